"""Link codes, once-only message claims and check-ins on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from chat.app import App
from crm.errors import InviteInvalid
from crm.inputs import ChatMessage, Newcomer, Place
from crm.linking import LINK_TTL, LinkService
from crm.members import MemberService
from crm.model import Channel, Role
from nlu.extractor import Extractor
from storage.uow import SqlUnitOfWorkFactory
from tests.conftest import FakeClock, make_app, person


def wechat(user: str) -> Newcomer:
    return Newcomer(Channel.WECHAT, user, user, "")


@pytest.fixture
def app_on(any_engine: AsyncEngine, clock: FakeClock, extractor: Extractor, tmp_path: Path) -> App:
    return make_app(any_engine, clock, extractor, tmp_path / "spool")


async def test_a_code_links_a_second_channel_once(app_on: App, clock: FakeClock) -> None:
    app = app_on
    founded = await app.members.start(person("1", "Boss"), None)
    assert founded.member is not None
    boss = founded.member
    link = await app.links.issue(boss)
    assert len(link.code) == 8 and link.expires_at == clock.now() + LINK_TTL

    member = await app.links.redeem(wechat("o-boss"), f" {link.code.lower()} ")
    assert member.id == boss.id
    assert (await app.members.identify(Channel.WECHAT, "o-boss")) is not None
    assert {i.channel for i in await app.members.identities(boss.id)} == {Channel.TELEGRAM, Channel.WECHAT}
    with pytest.raises(InviteInvalid) as used:
        await app.links.redeem(wechat("o-someone"), link.code)
    assert used.value.key == "link.invalid"


async def test_expired_unknown_and_taken_codes_are_refused(app_on: App, clock: FakeClock) -> None:
    app = app_on
    boss = (await app.members.start(person("1", "Boss"), None)).member
    assert boss is not None
    invite = await app.members.invite(boss, Role.REP)
    rep = (await app.members.start(Newcomer(Channel.WECHAT, "o-rep", "o-rep", ""), invite.code)).member
    assert rep is not None

    stale = await app.links.issue(boss)
    clock.advance(minutes=11)
    with pytest.raises(InviteInvalid):
        await app.links.redeem(wechat("o-boss"), stale.code)
    with pytest.raises(InviteInvalid):
        await app.links.redeem(wechat("o-boss"), "NOSUCH22")
    # The rep's WeChat account is the rep's: the boss cannot take it over with a code.
    fresh = await app.links.issue(boss)
    with pytest.raises(InviteInvalid) as taken:
        await app.links.redeem(wechat("o-rep"), fresh.code)
    assert taken.value.key == "link.taken"
    identity = await app.members.identify(Channel.WECHAT, "o-rep")
    assert identity is not None and identity.id == rep.id


async def test_link_command_gives_a_code_and_members_cannot_redeem(app_on: App) -> None:
    app = app_on
    boss = (await app.members.start(person("1", "Boss"), None)).member
    assert boss is not None
    reply = await app.command(boss, "link", "")
    assert "/link " in reply.text and "10 分钟" in reply.text
    assert "已经是团队成员" in (await app.command(boss, "link", "ABCDEFGH")).text


async def test_check_in_goes_to_the_recent_customer_and_can_move(app_on: App, clock: FakeClock) -> None:

    app = app_on
    boss = (await app.members.start(person("1", "Boss"), None)).member
    assert boss is not None
    await app.capture.chat(boss, [ChatMessage("郑十 13300005555 长河建材有限公司 下周见")])
    await app.capture.chat(boss, [ChatMessage("冯一 13200006666 青松软件有限公司 要报价")])
    reply = await app.check_in(boss, Place(31.2, 121.4, "青松软件园"), key="wx:o-1:1")
    assert "已签到：青松软件有限公司" in reply.text
    (other,) = reply.all_buttons()[:1]
    assert other.label == "长河建材有限公司"
    moved = await app.press(boss, other.act, other.target, other.arg)
    assert "已签到：长河建材有限公司" in moved.text
    again = await app.check_in(boss, Place(31.2, 121.4, "青松软件园"), key="wx:o-1:1")
    assert "已经签到过" in again.text
    clock.advance(days=2)
    later = await app.check_in(boss, Place(30.0, 120.0, None), key="wx:o-1:2")
    assert "还不知道是哪个客户" in later.text
    assert len(later.all_buttons()) == 2


async def test_members_service_link_keeps_unknown_people_unstored(
    any_engine: AsyncEngine, clock: FakeClock
) -> None:
    service = LinkService(SqlUnitOfWorkFactory(any_engine), clock)
    members = MemberService(SqlUnitOfWorkFactory(any_engine), clock)
    with pytest.raises(InviteInvalid):
        await service.redeem(wechat("o-x"), "ABCDEFGH")
    assert await members.identify(Channel.WECHAT, "o-x") is None
