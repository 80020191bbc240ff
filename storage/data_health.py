"""Data health (crm.data_health) in SQL: each owner's figures in four grouped statements over a whole
team, whatever its size, and the bookkeeping rows of the weekly nudge.

Per customer, a materialized CTE first computes its 3+1 flags and when it was last touched (correlated
EXISTS and MAX probes on indexed columns: contacts by customer, interactions by customer); the outer
statement sums them by owner. Contacts, open deals and open duplicate flags are grouped likewise.
`json_array_length` reads the phones column on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    func,
    insert,
    literal,
    not_,
    or_,
    select,
    text,
    union,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased

from crm.data_health import UNTOUCHED_DAYS, Example, Figures, GapKind, NudgeStatus
from crm.model import DealStatus, DuplicateStatus, ReminderStatus
from storage import tables as t
from storage.types import UTCDateTime

MAX_NUDGE_ATTEMPTS = 3
_OPEN_REMINDERS = [ReminderStatus.PENDING.value, ReminderStatus.DELIVERED.value]


def _live(table: Any) -> ColumnElement[bool]:
    return and_(table.c.merged_into.is_(None), table.c.archived_at.is_(None))


def _filled(column: Any) -> ColumnElement[bool]:
    return and_(column.is_not(None), column != "")


def _flag(condition: ColumnElement[bool]) -> Any:
    return case((condition, 1), else_=0)


def _count(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(_flag(condition)), 0)


def _has_phone(contacts: Any) -> ColumnElement[bool]:
    return func.json_array_length(contacts.c.phones) > 0


class DataHealthQueries:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def _no_jit(self) -> None:
        """PostgreSQL compiles a statement with LLVM when its estimated cost is high, and a correlated
        probe per row estimates high though it runs in microseconds: compiling took 0.6 to 1 s of the
        1.4 s the customers' and the deals' statements cost at 100k customers. Off for this
        transaction only."""
        if self._conn.dialect.name == "postgresql":
            await self._conn.execute(text("SET LOCAL jit = off"))

    # --- the per-customer flags ---------------------------------------------------------------------

    def _customer_flags(self, team_id: int, owner_id: int | None) -> Any:
        """One row per live customer: owner, whether it has a name and a follow-up status (1 or 0),
        what its live contacts have (`contact_bits`: 1 a named one, 2 one with a phone), last touched."""
        c, p, i = t.customers, t.contacts, t.interactions
        # One probe of the customer's contacts for both flags.
        contacts = (
            select(func.max(_flag(_filled(p.c.name))) + 2 * func.max(_flag(_has_phone(p))))
            .where(p.c.customer_id == c.c.id, _live(p))
            .correlate(c)
            .scalar_subquery()
        )
        last = (
            select(func.max(i.c.created_at))
            .where(i.c.customer_id == c.c.id, i.c.undone_at.is_(None))
            .correlate(c)
            .scalar_subquery()
        )
        query = select(
            c.c.id.label("id"),
            c.c.owner_id.label("owner_id"),
            c.c.name.label("name"),
            c.c.created_at.label("created_at"),
            _flag(_filled(c.c.name)).label("has_name"),
            func.coalesce(contacts, 0).label("contact_bits"),
            _flag(c.c.follow_up.is_not(None)).label("has_follow_up"),
            func.coalesce(last, c.c.created_at, type_=UTCDateTime).label("touched"),
        ).where(c.c.team_id == team_id, _live(c))
        if owner_id is not None:
            query = query.where(c.c.owner_id == owner_id)
        # Materialized: each customer's probes run once. Inlined (SQLite flattens a derived table into
        # the aggregate), the last-touched probe ran once per untouched bucket, three times as slow.
        return query.cte("flags").prefix_with("MATERIALIZED")

    def _planned(self, team_id: int, now: datetime) -> Any:
        """The team's customers with a next step: an open reminder, an open commitment not yet overdue,
        or a next meeting ahead. One set for the whole team, joined to its open deals: cheaper than
        asking deal by deal (on PostgreSQL half the time of two probes per deal)."""
        c, r, k = t.customers, t.reminders, t.commitments
        return (
            union(
                select(r.c.customer_id.label("customer_id")).where(
                    r.c.team_id == team_id, r.c.status.in_(_OPEN_REMINDERS)
                ),
                select(k.c.customer_id).where(
                    k.c.team_id == team_id,
                    k.c.done_at.is_(None),
                    or_(k.c.due_at.is_(None), k.c.due_at >= now),
                ),
                select(c.c.id).where(c.c.team_id == team_id, c.c.next_meeting > now),
            )
            .cte("planned")
            .prefix_with("MATERIALIZED")
        )

    def _open_deals(
        self, team_id: int, owner_id: int | None, now: datetime
    ) -> tuple[Select[Any], ColumnElement[bool]]:
        """Open deals (of one owner) with their customer, and the condition of those without a next
        step."""
        d, c = t.deals, t.customers
        planned = self._planned(team_id, now)
        query = (
            select(d.c.owner_id)
            .select_from(
                d.join(c, c.c.id == d.c.customer_id).outerjoin(
                    planned, planned.c.customer_id == d.c.customer_id
                )
            )
            .where(d.c.team_id == team_id, d.c.status == DealStatus.OPEN.value, d.c.archived_at.is_(None))
        )
        if owner_id is not None:
            query = query.where(d.c.owner_id == owner_id)
        return query, planned.c.customer_id.is_(None)

    def _open_flags(self, team_id: int, owner_id: int | None) -> Select[Any]:
        f, new, old = t.duplicate_flags, t.contacts, aliased(t.contacts)
        query = (
            select(new.c.owner_id)
            .select_from(f.join(new, new.c.id == f.c.contact_id).join(old, old.c.id == f.c.candidate_id))
            .where(f.c.team_id == team_id, f.c.status == DuplicateStatus.OPEN.value, _live(new), _live(old))
        )
        return query.where(new.c.owner_id == owner_id) if owner_id is not None else query

    # --- the figures ----------------------------------------------------------------------------------

    async def figures(self, team_id: int, now: datetime, owner_id: int | None = None) -> dict[int, Figures]:
        await self._no_jit()
        found: dict[int, Figures] = {}

        def of(owner: int) -> Figures:
            return found.setdefault(int(owner), Figures())

        flags = self._customer_flags(team_id, owner_id)
        cutoffs = [now - timedelta(days=days) for days in UNTOUCHED_DAYS]
        bits = flags.c.contact_bits
        customers = select(
            flags.c.owner_id,
            func.count(),
            _count(flags.c.has_name == 0),
            _count(bits.in_([0, 2])),
            _count(bits < 2),
            _count(flags.c.has_follow_up == 0),
            _count(and_(flags.c.has_name == 1, bits == 3, flags.c.has_follow_up == 1)),
            *(_count(flags.c.touched < cutoff) for cutoff in cutoffs),
        ).group_by(flags.c.owner_id)
        for row in await self._conn.execute(customers):
            figures = of(row[0])
            (
                figures.customers,
                figures.missing_customer,
                figures.missing_contact,
                figures.missing_phone,
                figures.missing_follow_up,
                figures.complete,
                figures.untouched_30,
                figures.untouched_60,
                figures.untouched_90,
            ) = (int(value) for value in row[1:])

        p = t.contacts
        contacts = select(p.c.owner_id, func.count(), _count(not_(_has_phone(p)))).where(
            p.c.team_id == team_id, _live(p)
        )
        if owner_id is not None:
            contacts = contacts.where(p.c.owner_id == owner_id)
        for owner, total, without in await self._conn.execute(contacts.group_by(p.c.owner_id)):
            figures = of(owner)
            figures.contacts, figures.contacts_without_phone = int(total), int(without)

        deals, unplanned = self._open_deals(team_id, owner_id, now)
        open_deals = deals.add_columns(func.count(), _count(unplanned))
        for owner, total, without in await self._conn.execute(open_deals.group_by(t.deals.c.owner_id)):
            figures = of(owner)
            figures.open_deals, figures.deals_without_next_step = int(total), int(without)

        flags_query = self._open_flags(team_id, owner_id)
        duplicates = flags_query.add_columns(func.count()).group_by(flags_query.selected_columns[0])
        for owner, total in await self._conn.execute(duplicates):
            of(owner).duplicates = int(total)
        return found

    # --- examples -----------------------------------------------------------------------------------

    async def examples(
        self, team_id: int, owner_id: int, now: datetime, kinds: Sequence[GapKind], limit: int
    ) -> dict[GapKind, list[Example]]:
        await self._no_jit()
        found: dict[GapKind, list[Example]] = {}
        for kind in kinds:
            query = self._examples(kind, team_id, owner_id, now).limit(limit)
            found[kind] = [Example(row[0], row[1], row[2]) for row in await self._conn.execute(query)]
        return found

    def _latest_capture(self, owner_id: int, column: Any, record_id: Any) -> Any:
        """The owner's latest live interaction on a record: whose lead-card buttons correct it."""
        i = t.interactions
        return (
            select(func.max(i.c.id))
            .where(column == record_id, i.c.author_id == owner_id, i.c.undone_at.is_(None))
            .scalar_subquery()
        )

    def _examples(self, kind: GapKind, team_id: int, owner_id: int, now: datetime) -> Select[Any]:
        c, p, d, i = t.customers, t.contacts, t.deals, t.interactions
        if kind is GapKind.NO_PHONE:
            return (
                select(p.c.name, c.c.name, self._latest_capture(owner_id, i.c.contact_id, p.c.id))
                .select_from(p.outerjoin(c, c.c.id == p.c.customer_id))
                .where(p.c.team_id == team_id, p.c.owner_id == owner_id, _live(p), not_(_has_phone(p)))
                .order_by(p.c.created_at, p.c.id)
            )
        if kind is GapKind.NO_FOLLOW_UP:
            return (
                select(c.c.name, literal(None), self._latest_capture(owner_id, i.c.customer_id, c.c.id))
                .where(c.c.team_id == team_id, c.c.owner_id == owner_id, _live(c), c.c.follow_up.is_(None))
                .order_by(c.c.created_at, c.c.id)
            )
        if kind is GapKind.NO_NEXT_STEP:
            deals, unplanned = self._open_deals(team_id, owner_id, now)
            return (
                deals.with_only_columns(
                    func.coalesce(func.nullif(d.c.title, ""), c.c.name), literal(None), d.c.id
                )
                .where(unplanned)
                .order_by(d.c.created_at, d.c.id)
            )
        flags = self._customer_flags(team_id, owner_id)
        if kind is GapKind.UNTOUCHED:
            cutoff = now - timedelta(days=UNTOUCHED_DAYS[0])
            return (
                select(flags.c.name, literal(None), flags.c.id)
                .where(flags.c.touched < cutoff)
                .order_by(flags.c.touched, flags.c.id)
            )
        return (
            select(flags.c.name, literal(None), flags.c.id)
            .where(flags.c.contact_bits.in_([0, 2]))
            .order_by(flags.c.created_at, flags.c.id)
        )


class NudgeDeliveryRepository:
    """One row per member and week (crm.ports.NudgeRepository); claims are leases."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def claim(
        self, team_id: int, member_id: int, week: date, now: datetime, lease_until: datetime
    ) -> bool:
        """The insert runs in a savepoint, so that losing the race (the unique constraint) leaves the
        surrounding transaction usable on PostgreSQL; the conditional update lets one process take a
        claim whose lease or pause is over."""
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(
                    insert(t.nudge_deliveries).values(
                        team_id=team_id,
                        member_id=member_id,
                        week=week,
                        status=NudgeStatus.CLAIMED.value,
                        attempts=1,
                        claimed_until=lease_until,
                    )
                )
            return True
        except IntegrityError:
            pass
        n = t.nudge_deliveries.c
        result = await self._conn.execute(
            update(t.nudge_deliveries)
            .where(
                n.member_id == member_id,
                n.week == week,
                n.status.in_([NudgeStatus.CLAIMED.value, NudgeStatus.FAILED.value]),
                n.claimed_until <= now,
                n.attempts < MAX_NUDGE_ATTEMPTS,
            )
            .values(status=NudgeStatus.CLAIMED.value, attempts=n.attempts + 1, claimed_until=lease_until)
        )
        return result.rowcount == 1

    async def settle(
        self,
        member_id: int,
        week: date,
        lease_until: datetime,
        status: NudgeStatus,
        at: datetime,
        retry_at: datetime | None = None,
    ) -> bool:
        n = t.nudge_deliveries.c
        values: dict[str, Any] = {"status": status.value}
        if status is NudgeStatus.DELIVERED:
            values["delivered_at"] = at
        if retry_at is not None:
            values["claimed_until"] = retry_at
        result = await self._conn.execute(
            update(t.nudge_deliveries)
            .where(
                n.member_id == member_id,
                n.week == week,
                n.status == NudgeStatus.CLAIMED.value,
                n.claimed_until == lease_until,
            )
            .values(**values)
        )
        return result.rowcount == 1

    async def settled(self, team_id: int, weeks: Sequence[date], now: datetime) -> set[tuple[int, date]]:
        n = t.nudge_deliveries.c
        query = select(n.member_id, n.week).where(
            n.team_id == team_id,
            n.week.in_(list(weeks)),
            or_(
                n.status.in_([NudgeStatus.DELIVERED.value, NudgeStatus.SKIPPED.value]),
                n.attempts >= MAX_NUDGE_ATTEMPTS,
                n.claimed_until > now,
            ),
        )
        return {(int(member), week) for member, week in (await self._conn.execute(query)).all()}

    async def status(self, member_id: int, week: date) -> tuple[NudgeStatus, int] | None:
        n = t.nudge_deliveries.c
        query = select(n.status, n.attempts).where(n.member_id == member_id, n.week == week)
        row = (await self._conn.execute(query)).first()
        return (NudgeStatus(row[0]), int(row[1])) if row else None


__all__ = ["DataHealthQueries", "NudgeDeliveryRepository"]
