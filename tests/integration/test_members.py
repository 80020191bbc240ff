"""Teams, invites and roles on a real SQLite file."""

from __future__ import annotations

import pytest

from chat.app import App
from crm.errors import InviteInvalid, NotAllowed
from crm.members import StartOutcome
from crm.model import Channel, Lang, Role
from tests.conftest import FakeClock, Team, person


async def test_first_start_founds_a_team_and_later_strangers_are_not_stored(app: App) -> None:
    first = await app.members.start(person("1", "Boss"), None)
    assert first.outcome is StartOutcome.FOUNDED
    assert first.member is not None and first.member.role is Role.ADMIN
    stranger = await app.members.start(person("2", "Who"), None)
    assert stranger.outcome is StartOutcome.UNKNOWN and stranger.member is None
    assert await app.members.identify(Channel.TELEGRAM, "2") is None
    again = await app.members.start(person("1"), None)
    assert again.outcome is StartOutcome.WELCOME_BACK


async def test_language_from_the_messenger_then_by_choice(app: App) -> None:
    english = await app.members.start(person("1", lang="en-US"), None)
    assert english.member is not None and english.member.lang is Lang.EN
    reply = await app.command(english.member, "lang", "zh")
    assert reply.text == "已切换为中文。"


async def test_invites_are_single_use_and_expire(app: App, team: Team, clock: FakeClock) -> None:
    invite = await app.members.invite(team.manager, Role.REP)
    joined = await app.members.start(person("10"), invite.code)
    assert joined.outcome is StartOutcome.JOINED and joined.member is not None
    assert joined.member.role is Role.REP and joined.member.team_id == team.admin.team_id
    with pytest.raises(InviteInvalid):
        await app.members.start(person("11"), invite.code)
    stale = await app.members.invite(team.manager, Role.REP)
    clock.advance(days=8)
    with pytest.raises(InviteInvalid):
        await app.members.start(person("12"), stale.code)


async def test_who_may_invite_whom(app: App, team: Team) -> None:
    with pytest.raises(NotAllowed):
        await app.members.invite(team.rep, Role.REP)
    with pytest.raises(NotAllowed):
        await app.members.invite(team.manager, Role.MANAGER)
    with pytest.raises(NotAllowed):
        await app.members.invite(team.admin, Role.ADMIN)
    assert (await app.members.invite(team.admin, Role.MANAGER)).role is Role.MANAGER


async def test_invite_reply_has_the_link(app: App, team: Team) -> None:
    reply = await app.invite(team.admin, "manager", "https://t.me/bot?start={code}")
    assert "https://t.me/bot?start=" in reply.text and "经理" in reply.text
    usage = await app.invite(team.admin, "boss", "{code}")
    assert "/invite rep" in usage.text


async def test_server_invite_for_the_cli(app: App, team: Team) -> None:
    code = await app.members.server_invite(Role.MANAGER)
    assert code is not None
    joined = await app.members.start(person("20"), code)
    assert joined.member is not None and joined.member.role is Role.MANAGER
