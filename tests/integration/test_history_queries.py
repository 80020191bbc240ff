"""The history reads (crm.ports.HistoryQueries) answer alike on the fake, SQLite and PostgreSQL: which
operations touch a customer's family or one record, by whom, since when, page by page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crm.model import (
    AuditEntry,
    Contact,
    Customer,
    Deal,
    DealStatus,
    FieldChange,
    Interaction,
    Lang,
    Member,
    Role,
    Source,
    Team,
)
from tests.integration.test_storage import Factory, factory  # noqa: F401 (the three backends' fixture)

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


async def test_which_operations_touch_what(factory: Factory) -> None:  # noqa: F811
    async with factory() as uow:
        team = await uow.teams.add(Team(id=0, name="T", created_at=NOW))
        rep, boss = [
            await uow.members.add(
                Member(
                    id=0,
                    team_id=team.id,
                    name=name,
                    role=role,
                    lang=Lang.ZH,
                    timezone="Asia/Shanghai",
                    created_at=NOW,
                )
            )
            for name, role in (("rep", Role.REP), ("boss", Role.MANAGER))
        ]
        mine = await uow.customers.add(
            Customer(id=0, team_id=team.id, owner_id=rep.id, name="甲", created_at=NOW, updated_at=NOW), "甲"
        )
        other = await uow.customers.add(
            Customer(id=0, team_id=team.id, owner_id=rep.id, name="乙", created_at=NOW, updated_at=NOW), "乙"
        )
        person = await uow.contacts.add(
            Contact(
                id=0,
                team_id=team.id,
                owner_id=rep.id,
                customer_id=mine.id,
                name="张",
                created_at=NOW,
                updated_at=NOW,
                archived_at=NOW,
            ),
            [],
        )
        deal = await uow.deals.add(
            Deal(
                id=0,
                team_id=team.id,
                customer_id=mine.id,
                owner_id=rep.id,
                title="",
                stage="lead",
                status=DealStatus.OPEN,
                stage_entered_at=NOW,
                created_at=NOW,
                updated_at=NOW,
            )
        )
        chat, elsewhere = [
            await uow.interactions.add(
                Interaction(
                    id=0,
                    team_id=team.id,
                    author_id=rep.id,
                    source=Source.CHAT,
                    content="…",
                    facts={},
                    created_at=NOW,
                    customer_id=c,
                )
            )
            for c in (mine.id, other.id)
        ]

        async def entry(n: int, actor: int, action: str, target: tuple[str, int], *rows: FieldChange) -> int:
            added = await uow.audit.add(
                AuditEntry(0, team.id, actor, action, target[0], target[1], {}, NOW + timedelta(hours=n))
            )
            await uow.journal.add(team.id, added.id, list(rows))
            return added.id

        capture = await entry(
            1,
            rep.id,
            "capture",
            ("interaction", chat.id),
            FieldChange("customer", mine.id, None),
            FieldChange("contact", person.id, None),
        )
        unrelated = await entry(
            2,
            rep.id,
            "capture",
            ("interaction", elsewhere.id),
            FieldChange("customer", other.id, "name", "乙", "乙方"),
        )
        kept = await entry(3, boss.id, "duplicate.kept_separate", ("contact", person.id))
        stage = await entry(
            4,
            boss.id,
            "deal.stage",
            ("deal", deal.id),
            FieldChange("deal", deal.id, "stage", "lead", "requirements"),
        )
        # A merge into the other customer that moved one of our interactions' rows: not ours.
        moved = await entry(
            5,
            rep.id,
            "merge",
            ("customer", other.id),
            FieldChange("interaction", chat.id, "customer_id", mine.id, other.id),
        )
        await uow.commit()

    async with factory(read_only=True) as uow:

        async def ids(**query: object) -> list[int]:
            return [e.id for e in await uow.history.operations(team.id, limit=10, **query)]  # type: ignore[arg-type]

        assert await ids() == [moved, stage, kept, unrelated, capture]
        assert await ids(customer_id=mine.id) == [stage, kept, capture]
        assert await ids(record=("contact", person.id)) == [kept, capture]
        assert await ids(record=("customer", other.id)) == [moved, unrelated]
        assert await ids(record=("interaction", chat.id)) == [moved, capture]
        assert await ids(customer_id=mine.id, actor_id=boss.id) == [stage, kept]
        assert await ids(since=NOW + timedelta(hours=3)) == [moved, stage, kept]
        assert await ids(customer_id=mine.id, before=stage) == [kept, capture]
        assert await ids(customer_id=mine.id, after=capture) == [stage, kept]
        assert [
            e.id for e in await uow.history.operations(team.id, customer_id=mine.id, after=capture, limit=1)
        ] == [kept]
        assert [e.id for e in await uow.history.operations(team.id + 1, limit=10)] == []
        assert await uow.history.family(mine.id) == {
            ("customer", mine.id),
            ("contact", person.id),
            ("deal", deal.id),
        }
        rows = await uow.history.changes([capture, stage])
        assert [(r.audit_id, r.record_type, r.field) for r in rows] == [
            (capture, "customer", None),
            (capture, "contact", None),
            (stage, "deal", "stage"),
        ]
        assert await uow.history.changes([]) == []
