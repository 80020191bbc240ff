"""Operators take access away: deactivation with hand-over, roles, invites, reactivation, on real
databases (SQLite files; the races on SQLite and PostgreSQL, with two engines as two processes)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from chat.app import App
from crm.errors import InputRejected, InviteInvalid, NotAllowed, NotFound, NotRegistered
from crm.inputs import ChatMessage, Newcomer
from crm.members import StartOutcome
from crm.model import Channel, Member, ReminderStatus, Role
from crm.roster import Operator, default_successor
from nlu.extractor import Extractor
from storage import tables as t
from storage.db import create_engine
from tests.conftest import FakeClock, Team, make_app, person
from tests.support.team import join_team

CHAT = [
    ChatMessage("你好，我是华为技术有限公司的采购经理张伟，电话 138 1234 5678", sender="张伟", key="tg:1:1"),
    ChatMessage("我们预算大概30到50万，希望下个月上线", sender="张伟", key="tg:1:2"),
    ChatMessage("好的，我们下周三下午3点来拜访您", from_self=True, key="tg:1:3"),
    ChatMessage("我们承诺周五前给您报价", from_self=True, key="tg:1:4"),
]


def op(member: Member) -> Operator:
    return Operator.of(member)


async def owners(engine: AsyncEngine) -> dict[str, set[int]]:
    """Who owns the rows of each record table (open reminders and commitments only)."""
    async with engine.connect() as conn:
        return {
            "customers": set((await conn.execute(select(t.customers.c.owner_id))).scalars()),
            "contacts": set((await conn.execute(select(t.contacts.c.owner_id))).scalars()),
            "deals": set((await conn.execute(select(t.deals.c.owner_id))).scalars()),
            "commitments": set(
                (
                    await conn.execute(
                        select(t.commitments.c.owner_id).where(t.commitments.c.done_at.is_(None))
                    )
                ).scalars()
            ),
            "reminders": set(
                (
                    await conn.execute(
                        select(t.reminders.c.member_id).where(
                            t.reminders.c.status.in_(
                                [ReminderStatus.PENDING.value, ReminderStatus.DELIVERED.value]
                            )
                        )
                    )
                ).scalars()
            ),
        }


async def row_counts(engine: AsyncEngine) -> dict[str, int]:
    tables = (
        t.members,
        t.identities,
        t.customers,
        t.contacts,
        t.deals,
        t.commitments,
        t.reminders,
        t.interactions,
    )
    async with engine.connect() as conn:
        return {
            table.name: int((await conn.execute(select(func.count()).select_from(table))).scalar_one())
            for table in tables
        }


async def test_deactivating_a_rep_ends_access_and_hands_everything_to_the_manager(
    app: App, team: Team, sqlite_engine: AsyncEngine
) -> None:
    await app.capture.chat(team.rep, CHAT)
    reminder = await app.text(team.rep, "提醒我周五给他回电话")
    assert "已设提醒" in reminder.text
    # The rep also uses WeChat: access must end there too.
    link = await app.links.issue(team.rep)
    await app.links.redeem(Newcomer(Channel.WECHAT, "o-rep", "o-rep", ""), link.code)
    assert await app.members.identify(Channel.WECHAT, "o-rep") is not None
    assert await owners(sqlite_engine) == {kind: {team.rep.id} for kind in await owners(sqlite_engine)}
    before = await row_counts(sqlite_engine)

    done = await app.roster.deactivate(op(team.admin), team.rep.id)

    assert done.successor.id == team.manager.id  # the team's one manager, by default
    assert done.moved.counts() == {
        "customers": 1,
        "contacts": 1,
        "deals": 1,
        "commitments": 1,
        "reminders": 3,
    }
    assert await app.members.identify(Channel.TELEGRAM, "3") is None
    assert await app.members.identify(Channel.WECHAT, "o-rep") is None
    assert await owners(sqlite_engine) == {kind: {team.manager.id} for kind in await owners(sqlite_engine)}
    assert await row_counts(sqlite_engine) == before  # nothing deleted
    # The manager now finds the customer as theirs; the rep's old Member object is refused everywhere.
    assert [c.name for c in await app.customers.find(team.manager, "华为")] == ["华为技术有限公司"]
    assert [r.reminder.text for r in await app.reminders.open_for(team.manager)] != []
    audit = await audit_rows(sqlite_engine, "member.deactivated")
    assert audit == [(team.admin.id, team.rep.id)]
    # Deactivating twice changes nothing and says so.
    again = await app.roster.deactivate(op(team.admin), team.rep.id)
    assert again.already and again.moved.empty


async def audit_rows(engine: AsyncEngine, action: str) -> list[tuple[int | None, int | None]]:
    async with engine.connect() as conn:
        query = select(t.audit.c.actor_id, t.audit.c.target_id).where(t.audit.c.action == action)
        return [(row[0], row[1]) for row in (await conn.execute(query.order_by(t.audit.c.id))).all()]


async def test_a_capture_resolved_before_the_deactivation_is_refused(
    app: App, team: Team, sqlite_engine: AsyncEngine
) -> None:
    # Telegram's burst collector resolved the rep when the first forwarded message came in; the
    # admin deactivates them before the burst is over.
    stale = team.rep
    await app.roster.deactivate(op(team.admin), team.rep.id)
    with pytest.raises(NotRegistered):
        await app.chat(stale, CHAT)
    assert (await row_counts(sqlite_engine))["interactions"] == 0


async def test_the_admin_names_who_takes_over(app: App, team: Team, sqlite_engine: AsyncEngine) -> None:
    await app.capture.chat(team.rep, CHAT)
    done = await app.roster.deactivate(op(team.admin), team.rep.id, team.rep2.id)
    assert done.successor.id == team.rep2.id
    assert [c.name for c in await app.customers.find(team.rep2, "华为")] == ["华为技术有限公司"]
    with pytest.raises(InputRejected):  # the successor must be another active member of the team
        await app.roster.deactivate(op(team.admin), team.rep2.id, team.rep.id)
    with pytest.raises(InputRejected):
        await app.roster.deactivate(op(team.admin), team.rep2.id, team.rep2.id)


async def test_a_manager_acts_on_reps_only(app: App, team: Team) -> None:
    with pytest.raises(NotAllowed):
        await app.roster.deactivate(op(team.manager), team.admin.id)
    second = await app.members.invite(team.admin, Role.MANAGER)
    other = (await app.members.start(person("9", "另一个经理"), second.code)).member
    assert other is not None
    with pytest.raises(NotAllowed):
        await app.roster.deactivate(op(team.manager), other.id)
    with pytest.raises(NotAllowed):  # managers grant no roles
        await app.roster.set_role(op(team.manager), team.rep.id, Role.MANAGER)
    with pytest.raises(NotAllowed):  # reps administer nothing
        await app.roster.deactivate(op(team.rep), team.rep2.id)
    with pytest.raises(NotAllowed):
        await app.roster.roster(op(team.rep))
    # With two managers, the one acting takes over.
    done = await app.roster.deactivate(op(team.manager), team.rep.id)
    assert done.successor.id == team.manager.id


async def test_another_teams_member_is_out_of_reach(app: App, team: Team) -> None:
    # A second team (created on the server side, as another installation's tenant would be).
    async with app.ports.uow() as uow:
        from crm.model import Team as TeamRow

        other_team = await uow.teams.add(TeamRow(id=0, name="B", created_at=team.admin.created_at))
        await uow.commit()
    with pytest.raises(NotFound):
        await app.roster.deactivate(Operator(other_team.id), team.rep.id)
    with pytest.raises(NotAllowed):  # an operator object naming another team than the admin's own
        await app.roster.deactivate(Operator(other_team.id, team.admin), team.rep.id)


async def test_the_last_admin_can_neither_step_down_nor_leave(app: App, team: Team) -> None:
    with pytest.raises(NotAllowed, match=r"members\.last_admin"):
        await app.roster.set_role(op(team.admin), team.admin.id, Role.MANAGER)
    with pytest.raises(NotAllowed, match=r"members\.last_admin"):
        await app.roster.deactivate(op(team.admin), team.admin.id)
    with pytest.raises(NotAllowed, match=r"members\.last_admin"):
        await app.roster.deactivate(Operator(team.admin.team_id), team.admin.id)  # nor the server
    promoted = await app.roster.set_role(op(team.admin), team.manager.id, Role.ADMIN)
    assert promoted.before is Role.MANAGER and promoted.member.role is Role.ADMIN
    stepped_down = await app.roster.set_role(op(team.admin), team.admin.id, Role.REP)
    assert stepped_down.member.role is Role.REP
    # The former admin's next message is handled as a rep's: roles are read fresh on every update.
    former = await app.members.identify(Channel.TELEGRAM, "1")
    assert former is not None and former.role is Role.REP
    with pytest.raises(NotAllowed):
        await app.roster.roster(op(team.admin))  # the stale admin Member object no longer counts


async def test_a_role_change_takes_effect_at_once(app: App, team: Team) -> None:
    await app.capture.chat(team.rep, CHAT)
    assert await app.customers.find(team.rep2, "华为") == []
    await app.roster.set_role(op(team.admin), team.rep2.id, Role.MANAGER)
    rep2 = await app.members.identify(Channel.TELEGRAM, "4")
    assert rep2 is not None and [c.name for c in await app.customers.find(rep2, "华为")] == [
        "华为技术有限公司"
    ]


async def test_open_invites_are_listed_and_revoked(app: App, team: Team, clock: FakeClock) -> None:
    used = await app.members.invite(team.admin, Role.REP)
    await app.members.start(person("20"), used.code)
    stale = await app.members.invite(team.admin, Role.REP)
    clock.advance(days=8)
    rep_invite = await app.members.invite(team.manager, Role.REP)
    clock.advance(minutes=1)
    manager_invite = await app.members.invite(team.admin, Role.MANAGER)

    listed = [item.invite.code for item in await app.roster.open_invites(op(team.admin))]
    assert listed == [rep_invite.code, manager_invite.code]  # used and expired ones are not open
    assert stale.code not in listed
    assert [item.invite.code for item in await app.roster.open_invites(op(team.manager))] == [rep_invite.code]
    with pytest.raises(NotAllowed):
        await app.roster.revoke_invite(op(team.manager), manager_invite.code)

    revoked = await app.roster.revoke_invite(op(team.manager), rep_invite.code)
    assert revoked.revoked_at == clock.now()
    with pytest.raises(InviteInvalid):
        await app.members.start(person("21"), rep_invite.code)
    assert await app.members.identify(Channel.TELEGRAM, "21") is None
    with pytest.raises(InputRejected):  # revoked already
        await app.roster.revoke_invite(op(team.admin), rep_invite.code)
    with pytest.raises(NotFound):
        await app.roster.revoke_invite(op(team.admin), "no-such-code")
    assert [item.invite.code for item in await app.roster.open_invites(op(team.admin))] == [
        manager_invite.code
    ]


async def test_a_departing_manager_takes_no_invite_with_them(app: App, team: Team) -> None:
    pending = await app.members.invite(team.manager, Role.REP)
    done = await app.roster.deactivate(op(team.admin), team.manager.id)
    assert done.revoked_invites == (pending.code,)
    assert done.successor.id == team.admin.id  # no other manager: the admin who acts
    with pytest.raises(InviteInvalid):  # a link they kept cannot bring in their next account
        await app.members.start(person("30"), pending.code)


async def test_a_deactivated_member_cannot_come_back_by_invite_or_link(app: App, team: Team) -> None:
    link = await app.links.issue(team.rep)
    await app.roster.deactivate(op(team.admin), team.rep.id)
    invite = await app.members.invite(team.admin, Role.REP)
    result = await app.members.start(person("3"), invite.code)
    assert result.outcome is StartOutcome.DEACTIVATED and result.member is None
    assert (await app.roster.open_invites(op(team.admin)))[0].invite.code == invite.code  # still unused
    with pytest.raises(InviteInvalid):
        await app.links.redeem(Newcomer(Channel.WECHAT, "o-new", "o-new", ""), link.code)
    reply = await app.start(person("3"), None)
    assert "已被停用" in reply.text

    # What a deactivated member still owns can be handed over from their card.
    handover = await app.roster.handover(op(team.admin), team.rep.id)
    assert handover.default is not None and handover.default.id == team.manager.id
    assert team.rep.id not in [m.id for m in handover.candidates]

    back = await app.roster.reactivate(op(team.admin), team.rep.id)
    assert back.active and await app.members.identify(Channel.TELEGRAM, "3") is not None


async def test_reassign_moves_records_without_touching_access(app: App, team: Team) -> None:
    await app.capture.chat(team.rep, CHAT)
    done = await app.roster.reassign(op(team.manager), team.rep.id, team.rep2.id)
    assert done.moved.counts()["customers"] == 1 and done.successor.id == team.rep2.id
    assert await app.members.identify(Channel.TELEGRAM, "3") is not None
    assert await app.customers.find(team.rep, "华为") == []
    assert [c.name for c in await app.customers.find(team.rep2, "华为")] == ["华为技术有限公司"]


async def test_a_preference_saved_from_a_stale_read_does_not_give_access_back(app: App, team: Team) -> None:
    async with app.ports.uow() as uow:
        stale = await uow.members.get(team.rep.id)
    assert stale is not None and stale.active
    await app.roster.deactivate(op(team.admin), team.rep.id)
    await app.roster.set_role(op(team.admin), team.rep2.id, Role.MANAGER)
    stale.lang = stale.lang  # a preference written back from the member read before
    async with app.ports.uow() as uow:
        await uow.members.update(stale)
        rep2 = await uow.members.get(team.rep2.id)
        assert rep2 is not None
        rep2.role = Role.REP
        await uow.members.update(rep2)
        await uow.commit()
    assert await app.members.identify(Channel.TELEGRAM, "3") is None
    rep2_now = await app.members.identify(Channel.TELEGRAM, "4")
    assert rep2_now is not None and rep2_now.role is Role.MANAGER


def test_default_successor_rule(team_members: tuple[Member, ...]) -> None:
    admin, manager, rep, rep2, manager2 = team_members
    roster = [admin, manager, rep, rep2]
    assert default_successor(roster, rep, admin) is manager  # the team's one manager
    assert default_successor(roster, rep, None) is manager  # the server too
    assert default_successor([*roster, manager2], rep, manager2) is manager2  # the acting manager
    assert default_successor([*roster, manager2], rep, admin) is admin  # several managers: the admin
    assert default_successor([*roster, manager2], rep, None) is admin
    assert default_successor(roster, manager, admin) is admin
    assert default_successor([admin, rep], rep, None) is admin
    assert default_successor([admin], admin, None) is None


@pytest.fixture
def team_members() -> tuple[Member, ...]:
    from datetime import UTC, datetime

    from crm.model import Lang

    def member(member_id: int, role: Role) -> Member:
        created = datetime(2026, 1, 1, tzinfo=UTC)
        return Member(member_id, 1, f"m{member_id}", role, Lang.ZH, "Asia/Shanghai", created)

    return (
        member(1, Role.ADMIN),
        member(2, Role.MANAGER),
        member(3, Role.REP),
        member(4, Role.REP),
        member(5, Role.MANAGER),
    )


# --- races, as two processes would run them ------------------------------------------------------


@pytest.fixture
async def two_apps(
    schema_url: str, clock: FakeClock, extractor: Extractor, tmp_path: Path
) -> AsyncIterator[tuple[App, App]]:
    engines = [create_engine(schema_url), create_engine(schema_url)]
    try:
        yield (
            make_app(engines[0], clock, extractor, tmp_path / "spool-a"),
            make_app(engines[1], clock, extractor, tmp_path / "spool-b"),
        )
    finally:
        for engine in engines:
            await engine.dispose()


async def test_two_admins_demoting_each_other_at_once_leave_one_admin(two_apps: tuple[App, App]) -> None:
    first, second = two_apps
    team = await join_team(first)
    await first.roster.set_role(op(team.admin), team.manager.id, Role.ADMIN)
    other_admin = await first.members.identify(Channel.TELEGRAM, "2")
    assert other_admin is not None

    results = await asyncio.gather(
        first.roster.set_role(op(team.admin), other_admin.id, Role.REP),
        second.roster.set_role(op(other_admin), team.admin.id, Role.REP),
        return_exceptions=True,
    )
    assert sum(isinstance(r, NotAllowed) for r in results) == 1, results
    async with first.ports.uow(read_only=True) as uow:
        admins = await uow.members.in_team(team.admin.team_id, Role.ADMIN)
    assert len(admins) == 1


async def test_an_invite_redeemed_twice_at_once_lets_one_in(two_apps: tuple[App, App]) -> None:
    first, second = two_apps
    team = await join_team(first)
    invite = await first.members.invite(team.admin, Role.REP)
    results = await asyncio.gather(
        first.members.start(person("50", "甲"), invite.code),
        second.members.start(person("51", "乙"), invite.code),
        return_exceptions=True,
    )
    joined = [r for r in results if not isinstance(r, BaseException)]
    assert len(joined) == 1 and joined[0].outcome is StartOutcome.JOINED, results
    assert all(isinstance(r, InviteInvalid) for r in results if isinstance(r, BaseException)), results
    async with first.ports.uow(read_only=True) as uow:
        assert len(await uow.members.roster(team.admin.team_id)) == 5
