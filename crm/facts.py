"""Facts that perception and nlu hand to the domain: what a chat, a voice note or a card says.

These are plain frozen dataclasses so that nlu (which imports crm) can build them and the
services can store them as JSON on the interaction they came from.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any


class Party(StrEnum):
    """Who made a commitment."""

    US = "us"
    CUSTOMER = "customer"


class DecisionRole(StrEnum):
    """A contact's role in the customer's decision chain."""

    DECISION_MAKER = "decision_maker"  # 拍板人 / the boss who signs off
    PROCUREMENT = "procurement"  # 采购
    TECHNICAL = "technical"  # 技术
    FINANCE = "finance"  # 财务
    USER = "user"  # 使用部门 / business user


@dataclass(frozen=True, slots=True)
class Region:
    """A place in mainland China (or elsewhere, with only what is known filled in)."""

    province: str | None = None
    city: str | None = None
    district: str | None = None

    def label(self) -> str:
        parts: list[str] = []
        for part in (self.province, self.city, self.district):
            if part and part not in parts:
                parts.append(part)
        return "".join(parts)

    def is_empty(self) -> bool:
        return not (self.province or self.city or self.district)


@dataclass(frozen=True, slots=True)
class Money:
    """A budget as said: `high` (and `low` for a range, "10到15万") in `currency` (ISO 4217).

    `cny` / `cny_min` are the CNY figures: the amount itself for CNY, else the amount at an exchange
    rate the team configured (`converted` is then True), else None.
    """

    high: Decimal
    low: Decimal | None = None
    currency: str = "CNY"
    cny: int | None = None
    cny_min: int | None = None
    converted: bool = False

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = _jsonable(self)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Money:
        low = data.get("low")
        return cls(
            high=Decimal(str(data["high"])),
            low=Decimal(str(low)) if low is not None else None,
            currency=data.get("currency") or "CNY",
            cny=data.get("cny"),
            cny_min=data.get("cny_min"),
            converted=bool(data.get("converted")),
        )


@dataclass(frozen=True, slots=True)
class CommitmentFact:
    """A promise made in the conversation, by us or by the customer (承诺事项)."""

    text: str
    by: Party
    due: datetime | None = None


@dataclass(frozen=True, slots=True)
class TodoFact:
    """Something the rep has to do; `due` when a time was said."""

    text: str
    due: datetime | None = None


@dataclass(frozen=True, slots=True)
class ReminderFact:
    """An explicit ask to be reminded ("提醒我周五给他回电话", "remind me Friday to call him back")."""

    text: str
    due: datetime


@dataclass(frozen=True, slots=True)
class PersonMention:
    """A person named in a conversation together with what is said of their role."""

    name: str
    title: str | None = None
    role: DecisionRole | None = None


@dataclass(frozen=True, slots=True)
class Facts:
    """Everything nlu found in a forwarded chat, a pasted chat or a voice-note transcript.

    Datetimes are timezone-aware, in the rep's timezone. Phones are E.164 strings.
    `budget_cny` is the upper bound of a range ("30到50万" -> 500000, budget_min_cny 300000), in CNY;
    `budget` is the budget as said, in its own currency (None CNY figures for "USD 120k" unless converted).
    `timeline` is the phrase as said ("下个月上线"); `timeline_by` the date it resolves to.
    """

    name: str | None = None
    title: str | None = None
    company: str | None = None
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    wechat_id: str | None = None
    address: str | None = None
    region: Region | None = None
    website: str | None = None
    budget_cny: int | None = None
    budget_min_cny: int | None = None
    budget: Money | None = None
    timeline: str | None = None
    timeline_by: date | None = None
    next_meeting: datetime | None = None
    needs: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    commitments: tuple[CommitmentFact, ...] = ()
    todos: tuple[TodoFact, ...] = ()
    reminders: tuple[ReminderFact, ...] = ()
    people: tuple[PersonMention, ...] = ()
    summary: str | None = None

    def is_empty(self) -> bool:
        return self == Facts(summary=self.summary)

    def identifies_someone(self) -> bool:
        """Whether the facts name a contact or customer (rather than only a time or a to-do)."""
        return bool(self.name or self.has_contact_details())

    def has_contact_details(self) -> bool:
        """A company, phone, e-mail or WeChat id: more than a name said in passing ("给王总发报价")."""
        return bool(self.company or self.phones or self.emails or self.wechat_id)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict with the keys of `chatcrm extract chat --json`."""
        data: dict[str, Any] = _jsonable(self)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Facts:
        region = data.get("region")
        return cls(
            name=data.get("name"),
            title=data.get("title"),
            company=data.get("company"),
            phones=tuple(data.get("phones") or ()),
            emails=tuple(data.get("emails") or ()),
            wechat_id=data.get("wechat_id"),
            address=data.get("address"),
            region=Region(**region) if region else None,
            website=data.get("website"),
            budget_cny=data.get("budget_cny"),
            budget_min_cny=data.get("budget_min_cny"),
            budget=Money.from_json(data["budget"]) if data.get("budget") else None,
            timeline=data.get("timeline"),
            timeline_by=_date(data.get("timeline_by")),
            next_meeting=_datetime(data.get("next_meeting")),
            needs=tuple(data.get("needs") or ()),
            keywords=tuple(data.get("keywords") or ()),
            commitments=tuple(
                CommitmentFact(text=c["text"], by=Party(c["by"]), due=_datetime(c.get("due")))
                for c in data.get("commitments") or ()
            ),
            todos=tuple(
                TodoFact(text=t["text"], due=_datetime(t.get("due"))) for t in data.get("todos") or ()
            ),
            reminders=tuple(
                ReminderFact(text=r["text"], due=_required_datetime(r["due"]))
                for r in data.get("reminders") or ()
            ),
            people=tuple(
                PersonMention(
                    name=p["name"],
                    title=p.get("title"),
                    role=DecisionRole(p["role"]) if p.get("role") else None,
                )
                for p in data.get("people") or ()
            ),
            summary=data.get("summary"),
        )


CARD_FIELDS = (
    "name",
    "title",
    "company",
    "phones",
    "mobile",
    "fax",
    "emails",
    "website",
    "address",
    "wechat_id",
    "qq",
)


@dataclass(frozen=True, slots=True)
class CardFacts:
    """What a business card says. `confidence` maps each field found (see CARD_FIELDS) to 0..1.

    `mobile` is the mobile number (E.164); `phones` the landlines and 400 numbers (E.164 where they
    parse, with extensions as ";ext=NNN"); `fax` likewise.
    """

    name: str | None = None
    title: str | None = None
    company: str | None = None
    phones: tuple[str, ...] = ()
    mobile: str | None = None
    fax: str | None = None
    emails: tuple[str, ...] = ()
    website: str | None = None
    address: str | None = None
    wechat_id: str | None = None
    qq: str | None = None
    region: Region | None = None
    raw_text: str = ""
    confidence: dict[str, float] = field(default_factory=dict)

    def is_empty(self) -> bool:
        return not any(getattr(self, name) for name in CARD_FIELDS)

    def all_phones(self) -> tuple[str, ...]:
        numbers = ((self.mobile,) if self.mobile else ()) + self.phones
        return tuple(dict.fromkeys(numbers))

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = _jsonable(self)
        return data

    def as_facts(self) -> Facts:
        """The card seen as the facts of a capture, for dedup and the contact record."""
        return Facts(
            name=self.name,
            title=self.title,
            company=self.company,
            phones=self.all_phones(),
            emails=self.emails,
            wechat_id=self.wechat_id,
            address=self.address,
            region=self.region,
            website=self.website,
        )


def _jsonable(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, datetime | date):
        return obj.isoformat()
    if isinstance(obj, StrEnum):
        return obj.value
    if isinstance(obj, Decimal):
        # Exact, and readable in `chatcrm extract --json`: "120000", "5.5".
        return int(obj) if obj == obj.to_integral_value() else str(obj)
    if isinstance(obj, tuple | list):
        return [_jsonable(item) for item in obj]
    if isinstance(obj, dict):
        return {str(key): _jsonable(value) for key, value in obj.items()}
    return obj


def _datetime(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _required_datetime(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
