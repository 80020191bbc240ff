"""The pool on Telegram through the dispatcher and a recording Bot API session: a manager routes a lead
with /lead, a rep lists the pool and claims with the inline button, a second tap is told it was taken."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiogram import Bot
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.telegram import make_dispatcher
from chat.app import App
from crm.model import Role
from nlu.extractor import Extractor
from tests.channels.test_telegram_deals import ADMIN, MANAGER, REP, REP2, FileSession, Tg, _newcomer
from tests.conftest import FakeClock
from tests.support.deals import RecordingNotifier
from tests.support.telegram import callback_update, text_update
from tests.support.territory import make_pool_app


@pytest.fixture
def app(sqlite_engine: AsyncEngine, clock: FakeClock, extractor: Extractor, tmp_path: Path) -> App:
    return make_pool_app(sqlite_engine, clock, extractor, tmp_path, RecordingNotifier())


@pytest.fixture
async def tg(app: App) -> Tg:
    dp, _ = make_dispatcher(app, burst_seconds=0.05)
    session = FileSession()
    tg = Tg(dp, Bot("42:TEST-TOKEN", session=session), session)
    await tg.feed(text_update(ADMIN, "/start"))
    for who, role in ((MANAGER, Role.MANAGER), (REP, Role.REP), (REP2, Role.REP)):
        admin = await app.identify(_newcomer(ADMIN))
        assert admin is not None
        invite = await app.members.invite(admin, role)
        await tg.feed(text_update(who, f"/start {invite.code}"))
    session.clear()
    return tg


async def test_route_list_and_claim_on_telegram(tg: Tg) -> None:
    routed = await tg.say(MANAGER, "/lead 李雷 13812344590 地址：朝阳")
    assert "进入「公海」" in routed and "地区不明确" in routed
    assert any("北京市朝阳区" in label for label in tg.buttons())
    listing = await tg.say(REP, "/pool")
    assert "138****4590" in listing and "13812344590" not in listing
    claim = next(data for label, data in tg.buttons().items() if label.startswith("领取"))
    await tg.press(REP, "领取")
    answers = " ".join(e.text or "" for e in tg.session.edits()) + " ".join(tg.session.texts())
    assert "已领取" in answers and "+86 138 1234 4590" in answers
    tg.session.clear()
    await tg.feed(callback_update(REP2, claim))
    again = " ".join(e.text or "" for e in tg.session.edits()) + " ".join(tg.session.texts())
    assert "手慢了" in again and "小李" in again
