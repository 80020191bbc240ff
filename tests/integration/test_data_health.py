"""Data health figures: the set-based SQL of storage/data_health.py on SQLite and PostgreSQL against the
plain-Python statement of the same rules over the fake tables (tests/support/fake_history.py), on random
teams; and on a small team whose every figure is counted by hand."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from crm.data_health import Example, Figures, GapKind
from crm.facts import Party
from crm.model import (
    Commitment,
    Contact,
    Customer,
    Deal,
    DealStatus,
    DuplicateFlag,
    DuplicateKind,
    DuplicateStatus,
    FollowUp,
    Interaction,
    Lang,
    Member,
    Reminder,
    ReminderKind,
    ReminderStatus,
    Role,
    Source,
    Team,
)
from tests.integration.test_storage import Factory, factory  # noqa: F401 (the three backends' fixture)

NOW = datetime(2026, 11, 23, 2, 30, tzinfo=UTC)


@dataclass
class Seeded:
    team_id: int
    reps: list[int]  # the manager first
    records: dict[str, list[Any]] = field(default_factory=dict)  # by fake table name, as stored

    def keep(self, table: str, record: Any) -> None:
        self.records.setdefault(table, []).append(record)


async def _team(uows: Factory, reps: int) -> Seeded:
    async with uows() as uow:
        team = await uow.teams.add(Team(id=0, name="T", created_at=NOW - timedelta(days=400)))
        ids = []
        for n in range(reps + 1):
            role = Role.MANAGER if n == 0 else Role.REP
            member = await uow.members.add(
                Member(
                    id=0,
                    team_id=team.id,
                    name=f"m{n}",
                    role=role,
                    lang=Lang.ZH,
                    timezone="Asia/Shanghai",
                    created_at=NOW - timedelta(days=400),
                )
            )
            ids.append(member.id)
        await uow.commit()
    return Seeded(team.id, ids)


async def _random_team(uows: Factory, seed: int) -> Seeded:
    """Customers, contacts, interactions, deals, reminders, commitments and duplicate flags in every
    state that matters: merged, archived, undone, done, overdue, with and without names and phones."""
    rng = random.Random(seed)
    seeded = await _team(uows, 4)
    owners = seeded.reps  # the manager owns records too

    def days(low: float, high: float) -> datetime:
        return NOW - timedelta(days=rng.uniform(low, high))

    async with uows() as uow:
        customer_ids: list[int] = []
        contact_ids: list[int] = []
        for n in range(60):
            created = days(0, 150)
            customer = await uow.customers.add(
                Customer(
                    id=0,
                    team_id=seeded.team_id,
                    owner_id=rng.choice(owners),
                    name=rng.choice([None, "", f"公司{n}"]) if rng.random() < 0.3 else f"公司{n}",
                    created_at=created,
                    updated_at=created,
                    follow_up=rng.choice([None, FollowUp.NEW, FollowUp.MEETING]),
                    next_meeting=rng.choice([None, NOW + timedelta(days=3), NOW - timedelta(days=3)]),
                    merged_into=customer_ids[0] if customer_ids and rng.random() < 0.08 else None,
                    archived_at=NOW if rng.random() < 0.08 else None,
                ),
                f"公司{n}",
            )
            customer_ids.append(customer.id)
            seeded.keep("customers", customer)
            for k in range(rng.randrange(0, 4)):
                contact = await uow.contacts.add(
                    Contact(
                        id=0,
                        team_id=seeded.team_id,
                        owner_id=rng.choice([customer.owner_id, rng.choice(owners)]),
                        customer_id=customer.id if rng.random() < 0.9 else None,
                        name=rng.choice([None, "", f"联系人{n}-{k}", f"联系人{n}-{k}"]),
                        created_at=days(0, 150),
                        updated_at=NOW,
                        phones=rng.choice([[], [], ["+8613800000000"], ["+8613800000000", "+8613900000000"]]),
                        merged_into=contact_ids[0] if contact_ids and rng.random() < 0.1 else None,
                        archived_at=NOW if rng.random() < 0.1 else None,
                    ),
                    [],
                )
                contact_ids.append(contact.id)
                seeded.keep("contacts", contact)
            for _ in range(rng.randrange(0, 4)):
                author = rng.choice([customer.owner_id, rng.choice(owners)])
                interaction = await uow.interactions.add(
                    Interaction(
                        id=0,
                        team_id=seeded.team_id,
                        author_id=author,
                        source=Source.CHAT,
                        content="…",
                        facts={},
                        created_at=days(0, 130),
                        customer_id=customer.id,
                        contact_id=rng.choice(contact_ids) if contact_ids else None,
                        undone_at=NOW if rng.random() < 0.2 else None,
                    )
                )
                seeded.keep("interactions", interaction)
            for _ in range(rng.randrange(0, 3)):
                created = days(0, 100)
                deal = await uow.deals.add(
                    Deal(
                        id=0,
                        team_id=seeded.team_id,
                        customer_id=customer.id,
                        owner_id=rng.choice([customer.owner_id, rng.choice(owners)]),
                        title=rng.choice(["", f"商机{n}"]),
                        stage="lead",
                        status=rng.choice(
                            [DealStatus.OPEN, DealStatus.OPEN, DealStatus.WON, DealStatus.LOST]
                        ),
                        stage_entered_at=created,
                        created_at=created,
                        updated_at=created,
                        archived_at=NOW if rng.random() < 0.1 else None,
                    )
                )
                seeded.keep("deals", deal)
            if rng.random() < 0.3:
                reminder = await uow.reminders.add(
                    Reminder(
                        id=0,
                        team_id=seeded.team_id,
                        member_id=customer.owner_id,
                        kind=ReminderKind.ASK,
                        text="回电话",
                        due_at=NOW + timedelta(days=rng.uniform(-5, 5)),
                        status=rng.choice(list(ReminderStatus)),
                        created_at=NOW,
                        customer_id=customer.id,
                    )
                )
                seeded.keep("reminders", reminder)
            if rng.random() < 0.3:
                commitment = await uow.commitments.add(
                    Commitment(
                        id=0,
                        team_id=seeded.team_id,
                        owner_id=customer.owner_id,
                        text="发报价",
                        party=Party.US,
                        created_at=NOW,
                        customer_id=customer.id,
                        due_at=rng.choice([None, NOW + timedelta(days=2), NOW - timedelta(days=2)]),
                        done_at=NOW if rng.random() < 0.3 else None,
                    )
                )
                seeded.keep("commitments", commitment)
        for _ in range(25):
            new, old = rng.sample(contact_ids, 2)
            flag = await uow.duplicates.add(
                DuplicateFlag(
                    id=0,
                    team_id=seeded.team_id,
                    kind=rng.choice(list(DuplicateKind)),
                    contact_id=new,
                    candidate_id=old,
                    score=80.0,
                    status=rng.choice([DuplicateStatus.OPEN, DuplicateStatus.OPEN, DuplicateStatus.MERGED]),
                    created_at=NOW,
                )
            )
            seeded.keep("duplicates", flag)
        await uow.commit()
    return seeded


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_the_sql_counts_as_the_rules_say(factory: Factory, seed: int) -> None:  # noqa: F811
    """Each backend's figures and examples equal those of the fake's plain-Python rules on the same
    records."""
    from tests.support.fake_history import DataHealthQueries as Reference
    from tests.support.fake_uow import FakeUnitOfWorkFactory

    seeded = await _random_team(factory, seed)
    async with factory(read_only=True) as uow:
        figures = await uow.data_health.figures(seeded.team_id, NOW)
        examples = {
            rep: await uow.data_health.examples(seeded.team_id, rep, NOW, list(GapKind), 50)
            for rep in seeded.reps
        }
        one = await uow.data_health.figures(seeded.team_id, NOW, seeded.reps[1])
    # The same records in fresh fake tables, for the reference rules.
    reference = FakeUnitOfWorkFactory()
    async with reference() as copy:
        for table, records in seeded.records.items():
            for record in records:
                copy.write(table, record.id, record)
        await copy.commit()
    async with reference(read_only=True) as ref_uow:
        rules = Reference(ref_uow)
        expected = await rules.figures(seeded.team_id, NOW)
        expected_examples = {
            rep: await rules.examples(seeded.team_id, rep, NOW, list(GapKind), 50) for rep in seeded.reps
        }
    assert figures == expected
    assert examples == expected_examples
    assert one == {seeded.reps[1]: expected[seeded.reps[1]]}
    total = Figures()
    for each in figures.values():
        total = total.add(each)
    # The random team has some of everything, so that no rule is compared on zeros only.
    assert total.untouched_90 and total.untouched_30 > total.untouched_90
    assert total.missing_customer and total.missing_contact and total.missing_phone and total.complete
    assert total.contacts_without_phone and total.deals_without_next_step and total.duplicates


async def test_a_small_team_counted_by_hand(factory: Factory) -> None:  # noqa: F811
    seeded = await _team(factory, 2)
    rep, rep2 = seeded.reps[1], seeded.reps[2]
    async with factory() as uow:

        async def customer(name: str | None, owner: int, days_old: float, **extra: object) -> Customer:
            created = NOW - timedelta(days=days_old)
            return await uow.customers.add(
                Customer(
                    id=0,
                    team_id=seeded.team_id,
                    owner_id=owner,
                    name=name,
                    created_at=created,
                    updated_at=created,
                    **extra,  # type: ignore[arg-type]
                ),
                name or "",
            )

        async def contact(owner: int, customer_id: int | None, name: str | None, *phones: str) -> Contact:
            return await uow.contacts.add(
                Contact(
                    id=0,
                    team_id=seeded.team_id,
                    owner_id=owner,
                    customer_id=customer_id,
                    name=name,
                    created_at=NOW - timedelta(days=1),
                    updated_at=NOW,
                    phones=list(phones),
                ),
                [],
            )

        async def touch(
            customer_id: int, contact_id: int | None, days_ago: float, undone: bool = False
        ) -> int:
            done = await uow.interactions.add(
                Interaction(
                    id=0,
                    team_id=seeded.team_id,
                    author_id=rep,
                    source=Source.CHAT,
                    content="…",
                    facts={},
                    created_at=NOW - timedelta(days=days_ago),
                    customer_id=customer_id,
                    contact_id=contact_id,
                    undone_at=NOW if undone else None,
                )
            )
            return done.id

        async def deal(customer_id: int, title: str, days_old: float) -> Deal:
            created = NOW - timedelta(days=days_old)
            return await uow.deals.add(
                Deal(
                    id=0,
                    team_id=seeded.team_id,
                    customer_id=customer_id,
                    owner_id=rep,
                    title=title,
                    stage="lead",
                    status=DealStatus.OPEN,
                    stage_entered_at=created,
                    created_at=created,
                    updated_at=created,
                )
            )

        # Complete, touched yesterday, a meeting ahead.
        huawei = await customer(
            "华为", rep, 100, follow_up=FollowUp.MEETING, next_meeting=NOW + timedelta(days=2)
        )
        zhang = await contact(rep, huawei.id, "张伟", "+8613800000001")
        await touch(huawei.id, zhang.id, 1)
        await deal(huawei.id, "华为", 100)
        # No follow-up status; its contact has no phone; last touched 65 days ago (a later touch undone).
        xingchen = await customer("星辰", rep, 200)
        wang = await contact(rep, xingchen.id, "王芳")
        capture = await touch(xingchen.id, wang.id, 65)
        await touch(xingchen.id, wang.id, 2, undone=True)
        quiet = await deal(xingchen.id, "", 80)  # no next step: shown by its customer's name
        # A private person without a company name; contact without a name but with a phone; never
        # touched since created 95 days ago; an open reminder on it is the deal's next step.
        nameless = await customer(None, rep, 95, follow_up=FollowUp.NEW)
        await contact(rep, nameless.id, None, "+8613800000002")
        await deal(nameless.id, "私人客户", 95)
        await uow.reminders.add(
            Reminder(
                id=0,
                team_id=seeded.team_id,
                member_id=rep,
                kind=ReminderKind.ASK,
                text="回电话",
                due_at=NOW - timedelta(hours=1),
                status=ReminderStatus.DELIVERED,
                created_at=NOW,
                customer_id=nameless.id,
            )
        )
        # Archived and merged customers and contacts count nowhere.
        await customer("旧客户", rep, 300, archived_at=NOW)
        gone = await contact(rep, xingchen.id, "已合并")
        gone.merged_into = wang.id
        await uow.contacts.update(gone, [])
        # rep2: one customer with no contact at all, 10 days old; one duplicate flag awaiting review.
        await customer("蓝海", rep2, 10, follow_up=FollowUp.NEW)
        first = await contact(rep2, None, "李雷", "+8613800000003")
        second = await contact(rep2, None, "李蕾")
        await uow.duplicates.add(
            DuplicateFlag(
                id=0,
                team_id=seeded.team_id,
                kind=DuplicateKind.REVIEW,
                contact_id=second.id,
                candidate_id=first.id,
                score=80.0,
                status=DuplicateStatus.OPEN,
                created_at=NOW,
            )
        )
        await uow.commit()

    async with factory(read_only=True) as uow:
        figures = await uow.data_health.figures(seeded.team_id, NOW)
        examples = await uow.data_health.examples(seeded.team_id, rep, NOW, list(GapKind), 5)
    assert figures[rep] == Figures(
        customers=3,
        complete=1,
        missing_customer=1,
        missing_contact=1,  # the nameless customer's only contact has no name
        missing_phone=1,  # 星辰: 王芳 has none
        missing_follow_up=1,
        contacts=3,
        contacts_without_phone=1,
        untouched_30=2,  # 星辰 (65 days: the undone touch does not count) and the nameless (95)
        untouched_60=2,
        untouched_90=1,
        open_deals=3,
        deals_without_next_step=1,
    )
    assert figures[rep].completeness == 67  # 8 of 12 core fields
    assert figures[rep2] == Figures(
        customers=1,
        missing_contact=1,
        missing_phone=1,
        contacts=2,
        contacts_without_phone=1,
        duplicates=1,
    )
    assert examples[GapKind.NO_PHONE] == [Example("王芳", "星辰", capture)]
    assert examples[GapKind.NO_FOLLOW_UP] == [Example("星辰", None, capture)]
    assert examples[GapKind.NO_NEXT_STEP] == [Example("星辰", None, quiet.id)]
    assert examples[GapKind.UNTOUCHED] == [
        Example(None, None, nameless.id),
        Example("星辰", None, xingchen.id),
    ]
    assert examples[GapKind.NO_CONTACT] == [Example(None, None, nameless.id)]
