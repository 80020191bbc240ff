"""The repositories behind team administration and /find, on the fake unit of work, SQLite and
PostgreSQL alike: preferences never write role or access, conditional invite use and revocation, the
one-row admin claim, the ownership hand-over, and people matched by name, phone or e-mail."""

from __future__ import annotations

from datetime import timedelta

import pytest

from crm.dedup import KeyKind, LookupKey
from crm.errors import StorageConflict
from crm.facts import Party
from crm.model import (
    AdminClaim,
    Commitment,
    Contact,
    Customer,
    Deal,
    DealStatus,
    Holdings,
    Invite,
    Lang,
    Member,
    ReminderStatus,
    Role,
    Team,
)
from tests.integration.test_storage import NOW, Factory, _reminder, factory  # noqa: F401


async def _team(factory: Factory) -> tuple[Team, Member, Member]:  # noqa: F811
    async with factory() as uow:
        team = await uow.teams.add(Team(id=0, name="T", created_at=NOW))
        one = await uow.members.add(Member(0, team.id, "甲", Role.REP, Lang.ZH, "Asia/Shanghai", NOW))
        two = await uow.members.add(Member(0, team.id, "乙", Role.MANAGER, Lang.ZH, "Asia/Shanghai", NOW))
        await uow.commit()
    return team, one, two


async def test_preferences_never_write_role_or_access(factory: Factory) -> None:  # noqa: F811
    _, rep, _ = await _team(factory)
    async with factory() as uow:
        assert await uow.members.set_active(rep.id, False, NOW)
        assert not await uow.members.set_active(rep.id, False, NOW)  # already
        await uow.members.set_role(rep.id, Role.ADMIN)
        await uow.commit()
    rep.lang = Lang.EN  # the stale object still says: active rep
    async with factory() as uow:
        await uow.members.update(rep)
        await uow.commit()
    async with factory() as uow:
        stored = await uow.members.get(rep.id)
        active = await uow.members.in_team(rep.team_id)
        everyone = await uow.members.roster(rep.team_id)
    assert stored is not None and stored.lang is Lang.EN
    assert stored.role is Role.ADMIN and not stored.active and stored.deactivated_at == NOW
    assert [m.name for m in active] == ["乙"] and [m.name for m in everyone] == ["甲", "乙"]


async def test_a_chosen_language_is_stored_as_chosen(factory: Factory) -> None:  # noqa: F811
    # lang_auto (the language still follows what the member writes) is a preference like lang: /lang
    # turns it off for good, and a member read again must not go back to following their messages.
    _, rep, _ = await _team(factory)
    assert rep.lang_auto is False
    for lang, auto in ((Lang.EN, True), (Lang.EN, False), (Lang.ZH, False)):
        rep.lang, rep.lang_auto = lang, auto
        async with factory() as uow:
            await uow.members.update(rep)
            await uow.commit()
        async with factory() as uow:
            stored = await uow.members.get(rep.id)
        assert stored is not None and (stored.lang, stored.lang_auto) == (lang, auto)


async def test_invites_are_used_and_revoked_once(factory: Factory) -> None:  # noqa: F811
    team, rep, manager = await _team(factory)

    def invite(code: str, role: Role, minutes: int) -> Invite:
        made = NOW + timedelta(minutes=minutes)
        return Invite(code, team.id, role, manager.id, made, made + timedelta(days=7))

    async with factory() as uow:
        for code, role, minutes in (("a", Role.REP, 0), ("b", Role.MANAGER, 1), ("c", Role.REP, 2)):
            await uow.invites.add(invite(code, role, minutes))
        await uow.invites.add(
            Invite("old", team.id, Role.REP, manager.id, NOW - timedelta(days=8), NOW - timedelta(days=1))
        )
        await uow.commit()
    async with factory() as uow:
        assert [i.code for i in await uow.invites.open_for_team(team.id, NOW)] == ["a", "b", "c"]
        assert await uow.invites.use("a", rep.id, NOW)
        assert not await uow.invites.use("a", manager.id, NOW)
        assert not await uow.invites.use("old", rep.id, NOW)  # expired
        assert await uow.invites.revoke("b", manager.id, NOW)
        assert not await uow.invites.revoke("b", manager.id, NOW)
        assert not await uow.invites.use("b", rep.id, NOW)
        assert await uow.invites.revoke_created_by(manager.id, None, NOW) == ["c"]
        await uow.commit()
    async with factory() as uow:
        assert await uow.invites.open_for_team(team.id, NOW) == []
        revoked = await uow.invites.get("b")
    assert revoked is not None and revoked.revoked_at == NOW and revoked.revoked_by == manager.id


async def test_one_admin_claim_spent_once(factory: Factory) -> None:  # noqa: F811
    _, rep, _ = await _team(factory)
    async with factory() as uow:
        assert await uow.claims.get() is None
        await uow.claims.add(AdminClaim("ABCDEFGHJKMN", NOW))
        await uow.commit()
    with pytest.raises(StorageConflict):
        async with factory() as uow:
            await uow.claims.add(AdminClaim("ZZZZZZZZZZZZ", NOW))
            await uow.commit()
    async with factory() as uow:
        assert not await uow.claims.spend("WRONGWRONGWR", rep.id, NOW)
        assert await uow.claims.spend("ABCDEFGHJKMN", rep.id, NOW)
        assert not await uow.claims.spend(None, rep.id, NOW)  # spent
        await uow.commit()
    async with factory() as uow:
        claim = await uow.claims.get()
    assert claim == AdminClaim("ABCDEFGHJKMN", NOW, used_at=NOW, used_by=rep.id)


async def test_the_hand_over_moves_what_is_owned_and_open(factory: Factory) -> None:  # noqa: F811
    team, rep, manager = await _team(factory)
    async with factory() as uow:
        customer = await uow.customers.add(Customer(0, team.id, rep.id, "华为", NOW, NOW), "华为")
        contact = await uow.contacts.add(Contact(0, team.id, rep.id, customer.id, "张伟", NOW, NOW), [])
        deal = await uow.deals.add(
            Deal(0, team.id, customer.id, rep.id, "华为", "lead", DealStatus.OPEN, NOW, NOW, NOW)
        )
        open_commitment = await uow.commitments.add(
            Commitment(0, team.id, rep.id, "发报价", Party.US, NOW, customer.id, deal.id)
        )
        await uow.commitments.add(
            Commitment(0, team.id, rep.id, "已报价", Party.US, NOW, customer.id, deal.id, done_at=NOW)
        )
        pending = await uow.reminders.add(_reminder(rep, NOW))
        await uow.reminders.add(_reminder(rep, NOW, ReminderStatus.DONE))
        await uow.commit()
    async with factory() as uow:
        assert await uow.ownership.holdings(team.id) == {rep.id: Holdings(customers=1, deals=1, reminders=1)}
        moved = await uow.ownership.transfer(team.id, rep.id, manager.id)
        assert await uow.ownership.transfer(team.id, rep.id, manager.id) == type(moved)()  # nothing left
        await uow.commit()
    assert moved.ids() == {
        "customers": [customer.id],
        "contacts": [contact.id],
        "deals": [deal.id],
        "commitments": [open_commitment.id],
        "reminders": [pending.id],
    }
    async with factory() as uow:
        assert await uow.ownership.holdings(team.id) == {
            manager.id: Holdings(customers=1, deals=1, reminders=1)
        }
        done = await uow.reminders.listing(rep.id, None, 10)
    assert [r.status for r in done] == [ReminderStatus.DONE]  # history stays with its author


async def test_people_matched_for_find(factory: Factory) -> None:  # noqa: F811
    team, rep, manager = await _team(factory)
    async with factory() as uow:
        hanhai = await uow.customers.add(Customer(0, team.id, rep.id, "瀚海", NOW, NOW), "瀚海")
        other = await uow.customers.add(Customer(0, team.id, rep.id, "星辰", NOW, NOW), "星辰")
        people = [
            Contact(0, team.id, rep.id, hanhai.id, "李明", NOW, NOW, phones=["+8613912345678"]),
            Contact(0, team.id, rep.id, other.id, "李明亮", NOW, NOW),
            Contact(0, team.id, rep.id, None, "李明月", NOW, NOW, emails=["li@example.com"]),
            Contact(0, team.id, manager.id, None, "李明华", NOW, NOW),
            Contact(0, team.id, rep.id, hanhai.id, "王芳", NOW, NOW, emails=["wang@hanhai.cn"]),
        ]
        for person in people:
            await uow.contacts.add(person, [LookupKey(KeyKind.NAME, person.name or "")])
        await uow.commit()
    async with factory() as uow:
        found = await uow.contacts.matching(team.id, "李明", [hanhai.id], rep.id, 10)
        assert [c.name for c in found] == ["李明", "李明月"]  # 星辰's is not asked for, 李明华 not rep's
        found = await uow.contacts.matching(team.id, "李明", [hanhai.id, other.id], None, 10)
        assert [c.name for c in found] == ["李明", "李明亮", "李明月", "李明华"]
        assert [c.name for c in await uow.contacts.matching(team.id, "139123", [hanhai.id], None, 10)] == [
            "李明"
        ]
        assert [c.name for c in await uow.contacts.matching(team.id, "HANHAI", [hanhai.id], None, 10)] == [
            "王芳"
        ]
        assert await uow.contacts.matching(team.id, "%", [hanhai.id], None, 10) == []
