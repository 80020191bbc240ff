"""Territories and the pool on the channels: WeChat strangers becoming inbound leads and a rep claiming
by number, the console's numbered menus, the territory file sent with its caption, and the Telegram
command menu listing the new commands."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.telegram import COMMANDS
from bot.wechat.runtime import WeChatChannel, web_application
from chat.app import App
from chat.delivery import ChannelNotifier
from crm.inputs import Newcomer, Upload
from crm.model import Channel, Role
from handlers.textchat import TextConversation
from nlu.extractor import Extractor
from storage import tables as t
from tests.channels.test_wechat import Callback, config
from tests.conftest import FakeClock
from tests.support import wechat as wx
from tests.support.deals import RecordingNotifier
from tests.support.fake_wechat import FakeWeChat
from tests.support.territory import SalesTeam, load_territories, make_pool_app, sales_team


@pytest.fixture
async def fake() -> AsyncIterator[FakeWeChat]:
    server = FakeWeChat()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def pool_app(sqlite_engine: AsyncEngine, clock: FakeClock, extractor: Extractor, tmp_path: Path) -> App:
    return make_pool_app(sqlite_engine, clock, extractor, tmp_path, RecordingNotifier())


@pytest.fixture
async def team(pool_app: App) -> SalesTeam:
    team = await sales_team(pool_app)
    await load_territories(pool_app, team)
    return team


async def channel(app: App, fake: FakeWeChat, aiohttp_client: Any, *, inbound: bool) -> Callback:
    made = WeChatChannel(
        app, replace(config("safe", fake), inbound_leads=inbound), ChannelNotifier(), backoff_seconds=0.01
    )
    web_app = web_application()
    made.mount(web_app)
    made.start()
    return Callback(made, await aiohttp_client(web_app), wx.Envelopes("safe"))


async def test_a_stranger_on_the_official_account_becomes_an_inbound_lead(
    pool_app: App, team: SalesTeam, fake: FakeWeChat, aiohttp_client: Any, sqlite_engine: AsyncEngine
) -> None:
    cb = await channel(pool_app, fake, aiohttp_client, inbound=True)
    try:
        await cb.post(wx.text("o-visitor", "你好，我是广州天河的陈先生，电话13700001234，想了解你们的设备"))
        await cb.done()
        assert "已收到您的咨询" in fake.texts("o-visitor")[-1]
        await cb.post(wx.text("o-visitor", "另外想问一下交货期"))
        await cb.done()
        async with sqlite_engine.connect() as conn:
            leads = (await conn.execute(select(t.leads))).mappings().all()
            history = (
                (
                    await conn.execute(
                        select(t.interactions.c.content).where(t.interactions.c.source == "lead")
                    )
                )
                .scalars()
                .all()
            )
        assert len(leads) == 1 and leads[0]["source"] == "wechat" and leads[0]["assignee_id"] == team.zhao.id
        assert leads[0]["external_ref"] == "wechat:o-visitor"
        assert history == [
            "你好，我是广州天河的陈先生，电话13700001234，想了解你们的设备",
            "另外想问一下交货期",
        ]
        # Members and /start still work as before.
        invite = await pool_app.members.invite(team.admin, Role.REP)
        await cb.post(wx.text("o-new-rep", f"/start {invite.code}"))
        await cb.done()
        assert "欢迎加入团队" in fake.texts("o-new-rep")[-1]
    finally:
        await cb.channel.close(5)


async def test_without_inbound_leads_a_stranger_gets_the_onboarding_text(
    pool_app: App, team: SalesTeam, fake: FakeWeChat, aiohttp_client: Any, sqlite_engine: AsyncEngine
) -> None:
    cb = await channel(pool_app, fake, aiohttp_client, inbound=False)
    try:
        await cb.post(wx.text("o-visitor", "你好，我是陈先生，电话13700001234"))
        await cb.done()
        assert "/start" in fake.texts("o-visitor")[-1]
        async with sqlite_engine.connect() as conn:
            assert (await conn.execute(select(t.leads.c.id))).first() is None
    finally:
        await cb.channel.close(5)


async def test_a_rep_claims_from_the_pool_by_number_on_wechat(
    pool_app: App, team: SalesTeam, fake: FakeWeChat, aiohttp_client: Any
) -> None:
    cb = await channel(pool_app, fake, aiohttp_client, inbound=False)
    try:
        lead = await pool_app.intake.form(
            team.admin.team_id, {"name": "李雷", "phone": "13812344590", "address": "朝阳"}, None
        )
        await pool_app.members.link(team.zhang, Channel.WECHAT, "o-zhang", "o-zhang")
        await cb.post(wx.text("o-zhang", "/pool"))
        await cb.done()
        listing = fake.texts("o-zhang")[-1]
        assert f"#L{lead.lead.id}" in listing and "138****4590" in listing and "1. 领取" in listing
        await cb.post(wx.text("o-zhang", "1"))
        await cb.done()
        assert "已领取" in fake.texts("o-zhang")[-1] and "+86 138 1234 4590" in fake.texts("o-zhang")[-1]
    finally:
        await cb.channel.close(5)


async def test_the_console_lists_and_claims_in_english(pool_app: App, team: SalesTeam) -> None:
    await pool_app.intake.form(
        team.admin.team_id, {"name": "Tom", "phone": "+14155550134", "address": "旧金山"}, None
    )
    console = TextConversation(pool_app, invite_template="/start {code}", channel=Channel.CONSOLE)
    who = Newcomer(Channel.TELEGRAM, "1", "1", "Admin")
    admin = await pool_app.identify(who)
    assert admin is not None
    await pool_app.members.set_lang(admin, admin.lang.__class__("en"))
    listing = await console.handle(who, "/pool")
    assert "waiting in the pool" in listing and "1. Claim" in listing and "Overseas" not in listing
    claimed = await console.handle(who, "1")
    assert "Claimed" in claimed and "+1 415 555 0134" in claimed
    away = await console.handle(Newcomer(Channel.TELEGRAM, "3", "3", "小李"), "/away 每周六日")
    assert "周六" in away


async def test_an_admin_sends_the_territory_file_with_its_caption(pool_app: App, team: SalesTeam) -> None:
    good = '[[territory]]\nname = "杭州"\nplace = "杭州"\nmembers = ["小赵"]\n'
    bad = '[[territory]]\nname = "x"\nplace = "火星"\nmembers = ["小刘"]\n'

    def upload(data: str, caption: str | None = "/territories") -> Upload:
        async def fetch() -> bytes:
            return data.encode()

        return Upload(fetch=fetch, name="territories.toml", size=len(data.encode()), caption=caption)

    refused = await pool_app.upload(team.admin, upload(bad))
    assert "第 3 行" in refused.text and "火星" in refused.text
    loaded = await pool_app.upload(team.admin, upload(good))
    assert "辖区已更新：1 条规则" in loaded.text
    shown = await pool_app.command(team.manager, "territories", "")
    assert "杭州" in shown.text and "小赵" in shown.text
    decision = await pool_app.pool.preview(team.admin.team_id, "杭州西湖区")
    assert decision.assignee is not None and decision.assignee.id == team.zhao.id
    # Without the caption a .toml file is the stage feature's business, as before.
    stages = await pool_app.upload(team.admin, upload(good, caption=None))
    assert "/stages" in stages.text


def test_the_telegram_menu_lists_the_pool_commands(app: App) -> None:
    for lang in ("zh", "en"):
        assert {"pool", "lead", "away", "territories"} <= {name for name, _ in COMMANDS[lang]}
    assert {"pool", "lead", "away", "territories"} <= set(app.command_names())


async def test_concurrent_wechat_claims_tell_the_slower_rep_who_was_quicker(
    pool_app: App, team: SalesTeam
) -> None:
    lead = await pool_app.intake.form(
        team.admin.team_id, {"name": "李雷", "phone": "13812344590", "address": "朝阳"}, None
    )
    from chat.territories.view import PoolAct

    replies = await asyncio.gather(
        pool_app.press(team.zhang, PoolAct.CLAIM, lead.lead.id, ""),
        pool_app.press(team.zhao, PoolAct.CLAIM, lead.lead.id, ""),
    )
    texts = sorted(r.text for r in replies)
    assert len([x for x in texts if "已领取" in x]) == 1 and len([x for x in texts if "手慢了" in x]) == 1
