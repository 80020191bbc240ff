"""POST /api/leads on the shared HTTP server: web forms hand over leads.

Authorised by `Authorization: Bearer <CHATCRM_API_TOKEN>` (compared in constant time); without a
configured token the route is not mounted at all. Answers 201 {lead_id, customer_id, assignee, pool,
reason}, 400 with the field errors, 401 without the token. An `Idempotency-Key` header makes a retry
return the first answer instead of a second lead.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from aiohttp import web

from bot.settings import Settings
from chat.app import App
from chat.territories.view import reason_text
from crm.errors import StorageError
from crm.intake import FormErrors
from crm.model import Lang
from crm.routing import Routed

logger = logging.getLogger(__name__)

PATH = "/api/leads"
MAX_BODY_BYTES = 64 * 1024


def answer(routed: Routed) -> dict[str, Any]:
    lead = routed.lead
    assignee = routed.assignee
    return {
        "lead_id": lead.id,
        "customer_id": lead.customer_id,
        "assignee": {"id": assignee.id, "name": assignee.name} if assignee else None,
        "pool": lead.pool if assignee is None else None,
        "reason": {
            "key": lead.reason.get("key"),
            "zh": reason_text(Lang.ZH, lead.reason),
            "en": reason_text(Lang.EN, lead.reason),
        },
    }


class LeadIntakeApi:
    """The intake route; a ChannelRuntime (bot/channels.py) without a messenger behind it."""

    def __init__(self, app: App, token: str, team_id: int | None = None) -> None:
        self._app = app
        self._token = token.encode("utf-8")
        self._team_id = team_id

    @property
    def max_body(self) -> int | None:
        return None  # the route checks its own limit; the server's stays what the channels need

    def mount(self, web_app: web.Application) -> None:
        web_app.router.add_post(PATH, self.handle)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def close(self) -> None:
        return None

    def _authorised(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        scheme, _, given = header.partition(" ")
        if scheme.lower() != "bearer" or not given:
            return False
        return hmac.compare_digest(given.strip().encode("utf-8"), self._token)

    async def handle(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response(
                {"error": "unauthorized"}, status=401, headers={"WWW-Authenticate": "Bearer"}
            )
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            return web.json_response({"error": "too_large", "limit": MAX_BODY_BYTES}, status=413)
        body = await request.content.read(MAX_BODY_BYTES + 1)
        if len(body) > MAX_BODY_BYTES:
            return web.json_response({"error": "too_large", "limit": MAX_BODY_BYTES}, status=413)
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return web.json_response({"error": "invalid_json", "fields": {}}, status=400)
        team_id = self._team_id or await self._app.pool.first_team_id()
        if team_id is None:
            return web.json_response({"error": "no_team"}, status=503)
        self._team_id = team_id  # teams are never deleted: the first one stays the first
        key = request.headers.get("Idempotency-Key")
        try:
            routed = await self._app.intake.form(team_id, data, key)
        except FormErrors as exc:
            return web.json_response({"error": "invalid", "fields": dict(exc.errors)}, status=400)
        except StorageError:
            logger.exception("intake: lead not stored")
            return web.json_response({"error": "unavailable"}, status=503, headers={"Retry-After": "5"})
        return web.json_response(answer(routed), status=201)


def intake_api(settings: Settings, app: App) -> LeadIntakeApi | None:
    """The intake route when CHATCRM_API_TOKEN is set; None keeps the endpoint off."""
    if settings.api_token is None or not settings.api_token.get_secret_value().strip():
        return None
    return LeadIntakeApi(app, settings.api_token.get_secret_value().strip(), settings.api_team)
