"""POST /api/leads through aiohttp's test server on a real SQLite file: the token, the answers (201, 400
with field errors, 401), idempotency, a burst, and the endpoint off without a token."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.intake import PATH, LeadIntakeApi, intake_api
from bot.settings import Settings
from chat.app import App
from nlu.extractor import Extractor
from storage import tables as t
from tests.conftest import FakeClock
from tests.support.deals import RecordingNotifier
from tests.support.territory import SalesTeam, load_territories, make_pool_app, sales_team

TOKEN = "s3cret-token-for-forms"
FORM = {"name": "张伟", "company": "星海科技", "phone": "13812344590", "address": "上海市浦东新区张江路88号"}
Client = TestClient[Any, Any]


@pytest.fixture
async def api(
    sqlite_engine: AsyncEngine, clock: FakeClock, extractor: Extractor, tmp_path: Path, aiohttp_client: Any
) -> tuple[Client, App, SalesTeam]:
    app = make_pool_app(sqlite_engine, clock, extractor, tmp_path, RecordingNotifier())
    team = await sales_team(app)
    await load_territories(app, team)
    web_app = web.Application()
    LeadIntakeApi(app, TOKEN).mount(web_app)
    client = await aiohttp_client(web_app)
    return client, app, team


def post(client: Client) -> Callable[..., Awaitable[Any]]:
    async def send(
        body: Any, *, token: str | None = TOKEN, key: str | None = None, raw: bytes | None = None
    ) -> Any:
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if key is not None:
            headers["Idempotency-Key"] = key
        if raw is not None:
            return await client.post(PATH, data=raw, headers=headers)
        return await client.post(PATH, json=body, headers=headers)

    return send


async def test_a_form_lead_is_routed_and_answered_with_201(api: tuple[Client, App, SalesTeam]) -> None:
    client, _, team = api
    response = await post(client)({**FORM, "source": "官网"})
    assert response.status == 201
    body = await response.json()
    assert body["assignee"] == {"id": team.li.id, "name": "小李"}
    assert body["pool"] is None and body["lead_id"] > 0 and body["customer_id"] > 0
    assert body["reason"]["key"] == "routing.reason.territory" and "浦东" in body["reason"]["zh"]
    unclear = await (await post(client)({"name": "李雷", "phone": "13900001111", "address": "朝阳"})).json()
    assert unclear["assignee"] is None and unclear["pool"] == "公海"
    assert unclear["reason"]["key"] == "routing.reason.region_unclear"


@pytest.mark.parametrize("token", [None, "wrong", "", TOKEN + "x"])
async def test_without_the_token_nothing_is_stored(
    api: tuple[Client, App, SalesTeam], sqlite_engine: AsyncEngine, token: str | None
) -> None:
    client, _, _ = api
    response = await post(client)(FORM, token=token)
    assert response.status == 401
    async with sqlite_engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(t.leads))).scalar_one() == 0


async def test_bad_forms_get_400_with_the_field_errors(api: tuple[Client, App, SalesTeam]) -> None:
    client, _, _ = api
    response = await post(client)({"phone": "12", "email": "x@", "note": "hello"})
    assert response.status == 400
    assert (await response.json())["fields"] == {"phone": "invalid", "email": "invalid"}
    broken = await post(client)(None, raw=b"{not json")
    assert broken.status == 400 and (await broken.json())["error"] == "invalid_json"
    huge = await post(client)({"note": "x" * 70_000})
    assert huge.status == 413


async def test_the_idempotency_key_makes_a_retry_return_the_first_answer(
    api: tuple[Client, App, SalesTeam], sqlite_engine: AsyncEngine
) -> None:
    client, _, _ = api
    send = post(client)
    first = await (await send(FORM, key="abc-1")).json()
    retries = await asyncio.gather(*(send(FORM, key="abc-1") for _ in range(5)))
    assert {r.status for r in retries} == {201}
    assert {(await r.json())["lead_id"] for r in retries} == {first["lead_id"]}
    other = await (await send({**FORM, "phone": "13900009999", "company": "别的公司"}, key="abc-2")).json()
    assert other["lead_id"] != first["lead_id"]
    async with sqlite_engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(t.leads))).scalar_one() == 2


async def test_a_burst_of_posts_is_routed_without_losing_or_doubling_one(
    api: tuple[Client, App, SalesTeam], sqlite_engine: AsyncEngine
) -> None:
    client, _, _ = api
    send = post(client)
    forms = [{"name": f"客户{n}", "phone": f"137{n:08d}", "address": "广州天河区"} for n in range(60)]
    responses = await asyncio.gather(*(send(form, key=f"b{n}") for n, form in enumerate(forms)))
    assert {r.status for r in responses} == {201}
    ids = {(await r.json())["lead_id"] for r in responses}
    assert len(ids) == 60
    async with sqlite_engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(t.leads))).scalar_one() == 60


def test_the_endpoint_is_off_without_a_token(sqlite_engine: AsyncEngine, tmp_path: Path) -> None:
    off = Settings(CHATCRM_API_TOKEN=None)
    blank = Settings(CHATCRM_API_TOKEN="  ")
    on = Settings(CHATCRM_API_TOKEN=TOKEN)
    assert intake_api(off, None) is None  # type: ignore[arg-type]
    assert intake_api(blank, None) is None  # type: ignore[arg-type]
    assert isinstance(intake_api(on, None), LeadIntakeApi)  # type: ignore[arg-type]
