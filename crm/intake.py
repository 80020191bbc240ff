"""Leads from outside: a web form posted to the intake API, and a stranger writing to the Official
Account. Both are checked here and routed through crm.routing (LeadRouter.assign via PoolService)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from crm.facts import Facts
from crm.leads import LeadSource
from crm.pool import PoolService
from crm.ports import Clock, FactExtractor, Normalizer
from crm.routing import LeadInput, Routed
from crm.text import one_line

# The form's fields and their longest accepted value.
FIELDS: dict[str, int] = {
    "name": 100,
    "company": 200,
    "phone": 40,
    "email": 254,
    "wechat_id": 64,
    "address": 300,
    "note": 4000,
    "source": 100,
}
IDENTIFYING = ("name", "company", "phone", "email", "wechat_id")
MAX_KEY = 200
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,190}\.[A-Za-z]{2,24}")
_WECHAT = re.compile(r"[A-Za-z][-_A-Za-z0-9]{5,19}")


@dataclass(frozen=True, slots=True)
class FormErrors(Exception):
    """What is wrong with a form, field by field (a code each: "required", "invalid", "too_long", …)."""

    errors: Mapping[str, str]


def validate(data: Any, normalizer: Normalizer) -> tuple[Facts, str, str | None]:
    """A form's JSON as facts, the text kept with the lead, and its own source; raises FormErrors."""
    if not isinstance(data, dict):
        raise FormErrors({"_": "not_an_object"})
    errors: dict[str, str] = {}
    values: dict[str, str] = {}
    for name, value in data.items():
        if name not in FIELDS:
            errors[name] = "unknown_field"
            continue
        if value is None:
            continue
        if not isinstance(value, str):
            errors[name] = "not_text"
            continue
        text = value.strip() if name == "note" else one_line(value)
        if len(text) > FIELDS[name]:
            errors[name] = "too_long"
            continue
        if text:
            values[name] = text
    phone = None
    if "phone" in values:
        phone = normalizer.phone(values["phone"])
        if phone is None:
            errors["phone"] = "invalid"
    if "email" in values and not _EMAIL.fullmatch(values["email"]):
        errors["email"] = "invalid"
    if "wechat_id" in values and not _WECHAT.fullmatch(values["wechat_id"]):
        errors["wechat_id"] = "invalid"
    if not errors and not any(name in values for name in IDENTIFYING):
        errors["name"] = "required_one_of"
    if errors:
        raise FormErrors(errors)
    facts = Facts(
        name=values.get("name"),
        company=values.get("company"),
        phones=(phone,) if phone else (),
        emails=(values["email"].lower(),) if "email" in values else (),
        wechat_id=values.get("wechat_id"),
        address=values.get("address"),
    )
    lines = [f"{name}: {values[name]}" for name in FIELDS if name in values and name != "source"]
    return facts, "\n".join(lines), values.get("source")


class Intake:
    """The intake API and WeChat strangers, on top of the pool service."""

    def __init__(
        self, pool: PoolService, normalizer: Normalizer, extractor: FactExtractor, clock: Clock
    ) -> None:
        self.pool = pool
        self._normalizer = normalizer
        self._extractor = extractor
        self._clock = clock

    async def form(self, team_id: int, data: Any, idempotency_key: str | None) -> Routed:
        """POST /api/leads: raises FormErrors for a form that is not one."""
        if idempotency_key is not None and (not idempotency_key.strip() or len(idempotency_key) > MAX_KEY):
            raise FormErrors({"Idempotency-Key": "invalid"})
        facts, content, origin = validate(data, self._normalizer)
        lead = LeadInput(
            team_id,
            facts,
            content,
            origin=origin,
            idempotency_key=f"api:{idempotency_key.strip()}" if idempotency_key else None,
        )
        return await self.pool.intake(lead, LeadSource.API)

    async def stranger(self, team_id: int, sender: str, text: str) -> Routed:
        """A stranger's message on the Official Account (`sender`: "channel:id"): their first becomes a
        lead, later ones join it."""
        said = text.strip()[:4000]
        facts = self._extractor.chat(said, self._clock.now())
        return await self.pool.intake(
            LeadInput(team_id, facts, said, origin="wechat", external_ref=sender),
            LeadSource.WECHAT,
        )
