"""Repositories and the unit of work on real SQLite files and a real PostgreSQL server; the contracts
services rely on also on the fake unit of work of the services' unit tests (tests/support/fake_uow.py),
so that the fake answers as the real ones do."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from crm.dedup import KeyKind, LookupKey
from crm.errors import StorageConflict
from crm.events import ReminderScheduled
from crm.model import (
    Channel,
    Contact,
    Customer,
    Identity,
    Lang,
    Member,
    Reminder,
    ReminderKind,
    ReminderStatus,
    Role,
    Team,
)
from storage.db import create_engine
from storage.uow import SqlUnitOfWorkFactory
from tests.conftest import POSTGRES_URL, _postgres_admin, _postgres_with_schema, _sqlite_with_schema
from tests.support.fake_uow import FakeUnitOfWorkFactory

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
Factory = SqlUnitOfWorkFactory | FakeUnitOfWorkFactory


@pytest.fixture(params=["fake", "sqlite", "postgres"])
async def factory(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Factory]:
    """The unit-of-work factory of each backend: the fake, SQLite, PostgreSQL."""
    if request.param == "fake":
        yield FakeUnitOfWorkFactory()
        return
    if request.param == "sqlite":
        url, name = _sqlite_with_schema(tmp_path / "contract.db"), None
    else:
        if not POSTGRES_URL:
            pytest.fail("CHATCRM_TEST_POSTGRES_URL is not set: run the suite through `make test` or .ci/run")
        url, name = await _postgres_with_schema()
    engine = create_engine(url)
    try:
        yield SqlUnitOfWorkFactory(engine)
    finally:
        await engine.dispose()
        if name is not None:
            await _postgres_admin(f'DROP DATABASE "{name}" WITH (FORCE)')


async def _seed(factory: Factory) -> tuple[Team, Member]:
    async with factory() as uow:
        team = await uow.teams.add(Team(id=0, name="T", created_at=NOW))
        member = await uow.members.add(
            Member(
                id=0,
                team_id=team.id,
                name="rep",
                role=Role.REP,
                lang=Lang.ZH,
                timezone="Asia/Shanghai",
                # given in Shanghai time; must come back as the same instant in UTC
                created_at=datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")),
            )
        )
        await uow.commit()
    return team, member


async def test_timestamps_come_back_aware_in_utc(any_engine: AsyncEngine) -> None:
    factory = SqlUnitOfWorkFactory(any_engine)
    _, member = await _seed(factory)
    async with factory() as uow:
        stored = await uow.members.get(member.id)
    assert stored is not None
    assert stored.created_at == NOW
    assert stored.created_at.tzinfo is not None and stored.created_at.utcoffset() == timedelta(0)


async def test_naive_datetimes_are_refused(any_engine: AsyncEngine) -> None:
    factory = SqlUnitOfWorkFactory(any_engine)
    with pytest.raises(Exception, match="naive"):
        async with factory() as uow:
            await uow.teams.add(Team(id=0, name="T", created_at=datetime(2026, 1, 1)))


async def test_leaving_without_commit_rolls_back(factory: Factory) -> None:
    async with factory() as uow:
        await uow.teams.add(Team(id=0, name="T", created_at=NOW))
    async with factory() as uow:
        assert await uow.teams.count() == 0


def _reminder(member: Member, due: datetime, status: ReminderStatus = ReminderStatus.PENDING) -> Reminder:
    return Reminder(
        id=0,
        team_id=member.team_id,
        member_id=member.id,
        kind=ReminderKind.ASK,
        text="回电话",
        due_at=due,
        status=status,
        created_at=NOW,
    )


async def test_pending_reminders_are_published_after_the_commit_only(factory: Factory) -> None:
    _, member = await _seed(factory)
    published: list[list[tuple[int, datetime]]] = []
    factory.subscribe(
        lambda events: published.append(
            [(e.reminder_id, e.due_at) for e in events if isinstance(e, ReminderScheduled)]
        )
    )

    async with factory() as uow:  # rolled back: nothing happened
        await uow.reminders.add(_reminder(member, NOW + timedelta(hours=1)))
    async with factory() as uow:
        soon = await uow.reminders.add(_reminder(member, NOW + timedelta(hours=2)))
        await uow.reminders.add(_reminder(member, NOW + timedelta(hours=3), ReminderStatus.DONE))
        assert published == []  # not before the commit
        await uow.commit()
    async with factory() as uow:
        soon.status = ReminderStatus.CANCELLED  # a cancelled one wakes nobody
        await uow.reminders.update(soon)
        await uow.commit()

    assert published == [[(soon.id, NOW + timedelta(hours=2))]]


async def test_candidate_lookup_by_keys_skips_merged_and_archived(factory: Factory) -> None:
    team, member = await _seed(factory)
    phone = LookupKey(KeyKind.PHONE, "+8613812345678")
    name = LookupKey(KeyKind.NAME, "张伟")
    async with factory() as uow:
        customer = await uow.customers.add(
            Customer(id=0, team_id=team.id, owner_id=member.id, name="华为", created_at=NOW, updated_at=NOW),
            "华为",
        )
        ids = []
        for _ in range(3):
            contact = await uow.contacts.add(
                Contact(
                    id=0,
                    team_id=team.id,
                    owner_id=member.id,
                    customer_id=customer.id,
                    name="张伟",
                    created_at=NOW,
                    updated_at=NOW,
                    phones=["+8613812345678"],
                ),
                [phone, name],
            )
            ids.append(contact.id)
        merged = await uow.contacts.get(ids[1])
        archived = await uow.contacts.get(ids[2])
        assert merged is not None and archived is not None
        merged.merged_into = ids[0]
        archived.archived_at = NOW
        await uow.contacts.update(merged, [phone, name])
        await uow.contacts.update(archived, [phone, name])
        await uow.commit()
    async with factory() as uow:
        found = await uow.contacts.candidates(team.id, [phone], limit=10)
        by_name = await uow.contacts.candidates(team.id, [LookupKey(KeyKind.NAME, "张伟")], limit=10)
        other_team = await uow.contacts.candidates(team.id + 1, [phone], limit=10)
    assert [c.id for c, _ in found] == [ids[0]]
    assert [c.id for c, _ in by_name] == [ids[0]]
    assert set(found[0][1]) == {phone, name}  # each candidate comes with all its keys
    assert other_team == []


async def test_search_treats_like_wildcards_literally(factory: Factory) -> None:
    team, member = await _seed(factory)
    async with factory() as uow:
        for name in ("100% 科技", "星辰科技"):
            await uow.customers.add(
                Customer(
                    id=0, team_id=team.id, owner_id=member.id, name=name, created_at=NOW, updated_at=NOW
                ),
                name,
            )
        await uow.commit()
    async with factory() as uow:
        percent = await uow.customers.search(team.id, member.id, "%", 10)
        underscore = await uow.customers.search(team.id, member.id, "_", 10)
        text = await uow.customers.search(team.id, None, "科技", 10)
    assert [c.name for c in percent] == ["100% 科技"]
    assert underscore == []
    assert len(text) == 2


async def test_processed_key_recorded_twice_is_a_conflict(factory: Factory) -> None:
    async with factory() as uow:
        await uow.processed.add(["tg:1:1"])
        await uow.commit()
    with pytest.raises(StorageConflict):
        async with factory() as uow:
            await uow.processed.add(["tg:1:1"])
            await uow.commit()
    async with factory() as uow:
        assert await uow.processed.seen(["tg:1:1", "tg:1:2"]) == {"tg:1:1"}


async def test_two_processes_claim_each_due_reminder_once(schema_url: str, any_engine: AsyncEngine) -> None:
    """Two engines stand for two processes sharing one database."""
    first = SqlUnitOfWorkFactory(any_engine)
    team, member = await _seed(first)
    async with first() as uow:
        for i in range(40):
            await uow.reminders.add(
                Reminder(
                    id=0,
                    team_id=team.id,
                    member_id=member.id,
                    kind=ReminderKind.ASK,
                    text=f"r{i}",
                    due_at=NOW - timedelta(minutes=i),
                    status=ReminderStatus.PENDING,
                    created_at=NOW - timedelta(hours=1),
                )
            )
        await uow.commit()
    other_engine = create_engine(schema_url)
    second = SqlUnitOfWorkFactory(other_engine)

    async def claim(factory: SqlUnitOfWorkFactory) -> list[int]:
        claimed: list[int] = []
        # More rounds than needed: a round that loses every race to the other process claims nothing.
        for _ in range(30):
            async with factory() as uow:
                batch = await uow.reminders.claim_due(NOW, NOW + timedelta(minutes=5), limit=3)
                await uow.commit()
            claimed += [r.id for r in batch]
            await asyncio.sleep(0)
        return claimed

    try:
        a, b = await asyncio.gather(claim(first), claim(second))
    finally:
        await other_engine.dispose()
    assert len(a) + len(b) == 40
    assert set(a).isdisjoint(b)
    async with first() as uow:
        # a lease still running keeps a reminder from being claimed again
        assert await uow.reminders.claim_due(NOW, NOW + timedelta(minutes=5), limit=50) == []
        # an expired lease (the process died mid-delivery) frees it
        later = NOW + timedelta(minutes=6)
        assert len(await uow.reminders.claim_due(later, later + timedelta(minutes=5), limit=50)) == 40


async def test_a_channel_the_domain_does_not_list_is_stored_like_any_other(factory: Factory) -> None:
    """A new messenger names its own channel in its adapter; the domain and storage take it as it is."""
    line = Channel("line")
    _, member = await _seed(factory)
    async with factory() as uow:
        await uow.identities.add(Identity(line, "U4af4980629", member.id, "U4af4980629"))
        await uow.commit()
    async with factory() as uow:
        found = await uow.identities.get(Channel("line"), "U4af4980629")
        all_of_them = await uow.identities.for_member(member.id)
    assert found is not None and found.channel is line and found.member_id == member.id
    assert [i.channel for i in all_of_them] == [line]
