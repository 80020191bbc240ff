"""Repositories of deals: evidence, stage history, digest deliveries, and the aggregate
queries that give the health of many deals at once. They never commit.

The snapshot queries read each open deal with its customer's budget and timeline, its last
interaction and its overdue commitments in one statement (correlated subqueries on indexed columns),
plus one query for confirmed evidence and one for decision roles: a few statements for any number of
deals, instead of one round of lookups per deal.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Float,
    RowMapping,
    Select,
    and_,
    case,
    cast,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from crm.facts import DecisionRole, Party
from crm.health import DealSnapshot
from crm.model import (
    Commitment,
    Deal,
    DealEvidence,
    DealStatus,
    DigestStatus,
    EvidenceKind,
    EvidenceStatus,
    Reminder,
    ReminderKind,
    ReminderStatus,
    StageChange,
)
from storage import tables as t


class _Repo:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn


def _evidence(row: RowMapping) -> DealEvidence:
    data = dict(row)
    data["kind"] = EvidenceKind(data["kind"])
    data["status"] = EvidenceStatus(data["status"])
    data["keywords"] = list(data["keywords"] or [])
    return DealEvidence(**data)


def _evidence_values(evidence: DealEvidence) -> dict[str, Any]:
    values = {f.name: getattr(evidence, f.name) for f in dataclasses.fields(evidence) if f.name != "id"}
    values["kind"] = evidence.kind.value
    values["status"] = evidence.status.value
    return values


class DealEvidenceRepository(_Repo):
    async def add(self, evidence: DealEvidence) -> DealEvidence:
        result = await self._conn.execute(
            insert(t.deal_evidence).values(_evidence_values(evidence)).returning(t.deal_evidence.c.id)
        )
        evidence.id = result.scalar_one()
        return evidence

    async def get(self, evidence_id: int) -> DealEvidence | None:
        query = select(t.deal_evidence).where(t.deal_evidence.c.id == evidence_id)
        row = (await self._conn.execute(query)).mappings().first()
        return _evidence(row) if row else None

    async def update(self, evidence: DealEvidence) -> None:
        await self._conn.execute(
            update(t.deal_evidence)
            .where(t.deal_evidence.c.id == evidence.id)
            .values(_evidence_values(evidence))
        )

    async def for_deal(self, deal_id: int, statuses: Sequence[EvidenceStatus]) -> list[DealEvidence]:
        query = (
            select(t.deal_evidence)
            .where(
                t.deal_evidence.c.deal_id == deal_id,
                t.deal_evidence.c.status.in_([s.value for s in statuses]),
            )
            .order_by(t.deal_evidence.c.id)
        )
        return [_evidence(row) for row in (await self._conn.execute(query)).mappings()]

    async def confirmed_file(self, deal_id: int, file_id: int) -> DealEvidence | None:
        """The confirmed evidence of this deal that already holds this file, if any."""
        query = select(t.deal_evidence).where(
            t.deal_evidence.c.deal_id == deal_id,
            t.deal_evidence.c.file_id == file_id,
            t.deal_evidence.c.status == EvidenceStatus.CONFIRMED.value,
        )
        row = (await self._conn.execute(query.limit(1))).mappings().first()
        return _evidence(row) if row else None


def _change(row: RowMapping) -> StageChange:
    data = dict(row)
    data["to_status"] = DealStatus(data["to_status"])
    data["from_status"] = DealStatus(data["from_status"]) if data["from_status"] else None
    data["missing"] = list(data["missing"] or [])
    return StageChange(**data)


class StageChangeRepository(_Repo):
    async def add(self, change: StageChange) -> StageChange:
        values = {f.name: getattr(change, f.name) for f in dataclasses.fields(change) if f.name != "id"}
        values["to_status"] = change.to_status.value
        values["from_status"] = change.from_status.value if change.from_status else None
        result = await self._conn.execute(
            insert(t.deal_stage_changes).values(values).returning(t.deal_stage_changes.c.id)
        )
        change.id = result.scalar_one()
        return change

    async def for_deal(self, deal_id: int) -> list[StageChange]:
        query = (
            select(t.deal_stage_changes)
            .where(t.deal_stage_changes.c.deal_id == deal_id)
            .order_by(t.deal_stage_changes.c.id)
        )
        return [_change(row) for row in (await self._conn.execute(query)).mappings()]


class DigestDeliveryRepository(_Repo):
    """One row per member and local day (crm.ports.DigestDeliveryRepository). A claim is a lease
    held by `claimed_by` until `lease_until`; `attempts` counts the claims, so (holder, attempt) names
    one claim: renewing and settling touch the row only while that claim is still the current one."""

    async def claim(
        self,
        team_id: int,
        member_id: int,
        day: date,
        kind: str,
        owner: str,
        now: datetime,
        lease_until: datetime,
        max_attempts: int,
    ) -> int | None:
        """Takes the member's digest of `day` for `owner`: the claim's attempt number, or None when
        another process holds it, it is settled, or its attempts are spent.

        The first claim is an insert in a savepoint, so that losing the race (the unique constraint)
        leaves the surrounding transaction usable on PostgreSQL. A later one is a conditional UPDATE:
        of two processes racing for an expired claim only the one whose UPDATE still sees it
        claimable gets the row (SQLite: one writer at a time; PostgreSQL: the row lock, then the
        condition evaluated again), with no dialect-specific SKIP LOCKED.
        """
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(
                    insert(t.digest_deliveries).values(
                        team_id=team_id,
                        member_id=member_id,
                        local_date=day,
                        kind=kind,
                        status=DigestStatus.CLAIMED.value,
                        attempts=1,
                        claimed_at=now,
                        claimed_by=owner,
                        lease_until=lease_until,
                    )
                )
            return 1
        except IntegrityError:
            pass
        c = t.digest_deliveries.c
        this = and_(c.member_id == member_id, c.local_date == day)
        claimable = and_(
            this,
            c.status.in_([DigestStatus.CLAIMED.value, DigestStatus.RETRYING.value]),
            or_(c.lease_until.is_(None), c.lease_until <= now),
        )
        result = await self._conn.execute(
            update(t.digest_deliveries)
            .where(claimable, c.attempts < max_attempts)
            .values(
                status=DigestStatus.CLAIMED.value,
                attempts=c.attempts + 1,
                claimed_at=now,
                claimed_by=owner,
                lease_until=lease_until,
            )
        )
        if result.rowcount == 1:
            # The row is this transaction's now (the write lock on SQLite, the row lock on PostgreSQL).
            return int((await self._conn.execute(select(c.attempts).where(this))).scalar_one())
        # A claim that ran out on its last attempt (its process died each time) is given up here, by
        # whoever finds it, so that it stops being due.
        await self._conn.execute(
            update(t.digest_deliveries)
            .where(claimable, c.attempts >= max_attempts)
            .values(status=DigestStatus.FAILED.value, lease_until=None)
        )
        return None

    async def renew(self, member_id: int, day: date, owner: str, attempt: int, until: datetime) -> bool:
        return await self._held(member_id, day, owner, attempt, lease_until=until)

    async def settle(
        self,
        member_id: int,
        day: date,
        owner: str,
        attempt: int,
        status: DigestStatus,
        at: datetime,
        retry_at: datetime | None = None,
    ) -> bool:
        """Delivered, skipped, failed for good, or (RETRYING) claimable again from `retry_at`."""
        return await self._held(
            member_id,
            day,
            owner,
            attempt,
            status=status.value,
            delivered_at=at if status is DigestStatus.DELIVERED else None,
            lease_until=retry_at if status is DigestStatus.RETRYING else None,
        )

    async def _held(self, member_id: int, day: date, owner: str, attempt: int, **values: Any) -> bool:
        # Only the current claim may change the row: one that another process took over after the
        # lease ran out has a higher attempt number (and another holder).
        c = t.digest_deliveries.c
        result = await self._conn.execute(
            update(t.digest_deliveries)
            .where(
                c.member_id == member_id,
                c.local_date == day,
                c.status == DigestStatus.CLAIMED.value,
                c.claimed_by == owner,
                c.attempts == attempt,
            )
            .values(**values)
        )
        return result.rowcount == 1

    async def settled(self, team_id: int, days: Sequence[date], now: datetime) -> set[tuple[int, date]]:
        """(member, day) pairs of `days` that need nothing now: delivered, skipped, given up, or held
        by a lease (a process sending it, or a retry time) that has not run out."""
        c = t.digest_deliveries.c
        query = select(c.member_id, c.local_date).where(
            c.team_id == team_id,
            c.local_date.in_(list(days)),
            or_(
                c.status.not_in([DigestStatus.CLAIMED.value, DigestStatus.RETRYING.value]),
                c.lease_until > now,
            ),
        )
        return {(member, day) for member, day in (await self._conn.execute(query)).all()}

    async def status(self, member_id: int, day: date) -> tuple[DigestStatus, int] | None:
        c = t.digest_deliveries.c
        query = select(c.status, c.attempts).where(c.member_id == member_id, c.local_date == day)
        row = (await self._conn.execute(query)).first()
        return (DigestStatus(row[0]), int(row[1])) if row else None


def _deal(row: RowMapping) -> Deal:
    data = {column.name: row[column.name] for column in t.deals.c}
    data["status"] = DealStatus(data["status"])
    return Deal(**data)


class EpochSeconds(FunctionElement[float]):
    """Seconds since 1970 of a UTC timestamp column, computed by the database: reading 100k floats is
    much cheaper than parsing 100k timestamp strings (SQLite keeps them as text)."""

    type = Float()
    inherit_cache = True


@compiles(EpochSeconds, "sqlite")
def _epoch_sqlite(element: EpochSeconds, compiler: Any, **kw: Any) -> str:
    # UTCDateTime stores naive UTC text on SQLite; julianday() reads it; 2440587.5 is 1970-01-01. A
    # julian day in a double is exact to some 40 µs only: rounded to the millisecond, stored times
    # come back as they were (to the millisecond).
    return f"ROUND((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0, 3)"


@compiles(EpochSeconds, "postgresql")
def _epoch_postgresql(element: EpochSeconds, compiler: Any, **kw: Any) -> str:
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) AS DOUBLE PRECISION)"


_ROLE_BITS = {role: 1 << i for i, role in enumerate(DecisionRole)}


def _bits(column: Any, values: dict[Any, int]) -> Any:
    """A power of two per value, summed over distinct values: the set as a bitmask, in portable SQL."""
    if not values:
        return literal(0, BigInteger)
    return func.sum(
        case(*((column == key, literal(bit, BigInteger)) for key, bit in values.items()), else_=0).distinct()
    )


class _Decoder:
    """Bitmasks back to sets; there are few distinct masks, so each is built once."""

    def __init__(self, keys: Sequence[Any]) -> None:
        self.keys = list(keys)
        self.cache: dict[int, frozenset[Any]] = {0: frozenset()}

    def __call__(self, mask: int | None) -> frozenset[Any]:
        value = int(mask or 0)
        found = self.cache.get(value)
        if found is None:
            found = frozenset(key for i, key in enumerate(self.keys) if value >> i & 1)
            self.cache[value] = found
        return found


class DealQueries(_Repo):
    """Reads across deals for lists, the deal card, /pipeline and the digest."""

    def _snapshot_query(self, now: datetime, requirements: Sequence[str]) -> Select[Any]:
        """One row per deal: its fields, the customer's budget and timeline known, its last interaction,
        its overdue commitments, and as bitmasks the `requirements` it has confirmed evidence for and
        the decision roles among its customer's contacts. Correlated subqueries on indexed columns."""
        d, c, i, k, e, p = t.deals, t.customers, t.interactions, t.commitments, t.deal_evidence, t.contacts
        last = (
            select(EpochSeconds(func.max(i.c.created_at)))
            .where(i.c.deal_id == d.c.id, i.c.undone_at.is_(None))
            .correlate(d)
            .scalar_subquery()
        )
        overdue = (
            select(func.count())
            .where(k.c.deal_id == d.c.id, k.c.done_at.is_(None), k.c.due_at < now)
            .correlate(d)
            .scalar_subquery()
        )
        evidence = (
            select(
                cast(_bits(e.c.requirement, {key: 1 << n for n, key in enumerate(requirements)}), BigInteger)
            )
            .where(e.c.deal_id == d.c.id, e.c.status == EvidenceStatus.CONFIRMED.value)
            .correlate(d)
            .scalar_subquery()
        )
        roles = (
            select(cast(_bits(p.c.decision_role, {r.value: b for r, b in _ROLE_BITS.items()}), BigInteger))
            .where(
                p.c.customer_id == d.c.customer_id,
                p.c.decision_role.is_not(None),
                p.c.merged_into.is_(None),
                p.c.archived_at.is_(None),
            )
            .correlate(d)
            .scalar_subquery()
        )
        return select(
            d.c.id,
            d.c.title,
            c.c.name,
            d.c.owner_id,
            d.c.stage,
            EpochSeconds(d.c.stage_entered_at),
            EpochSeconds(d.c.created_at),
            d.c.amount_cny,
            c.c.budget_cny.is_not(None),
            or_(c.c.timeline.is_not(None), c.c.timeline_by.is_not(None)),
            last,
            overdue,
            evidence,
            roles,
        ).select_from(d.join(c, c.c.id == d.c.customer_id))

    def _open(self, query: Select[Any], team_id: int, owner_id: int | None) -> Select[Any]:
        d = t.deals
        query = query.where(
            d.c.team_id == team_id, d.c.status == DealStatus.OPEN.value, d.c.archived_at.is_(None)
        )
        return query.where(d.c.owner_id == owner_id) if owner_id is not None else query

    async def snapshots(
        self, team_id: int, owner_id: int | None, now: datetime, requirements: Sequence[str]
    ) -> list[DealSnapshot]:
        """Every open deal of the team (or of one owner) with what its health needs; `evidence` holds
        those of `requirements` it has."""
        query = self._open(self._snapshot_query(now, requirements), team_id, owner_id)
        return self._build((await self._conn.execute(query)).all(), requirements)

    async def snapshot(self, deal_id: int, now: datetime, requirements: Sequence[str]) -> DealSnapshot | None:
        """One deal (open or not) as the health rules see it."""
        query = self._snapshot_query(now, requirements).where(t.deals.c.id == deal_id)
        found = self._build((await self._conn.execute(query)).all(), requirements)
        return found[0] if found else None

    def _build(self, rows: Sequence[Any], requirements: Sequence[str]) -> list[DealSnapshot]:
        evidence = _Decoder(requirements)
        roles = _Decoder(list(_ROLE_BITS))
        fromtimestamp = datetime.fromtimestamp
        return [
            DealSnapshot(
                row[0],
                row[1],
                row[2],
                row[3],
                row[4],
                fromtimestamp(row[5], UTC),
                fromtimestamp(row[6], UTC),
                row[7],
                bool(row[8]),
                bool(row[9]),
                None if row[10] is None else fromtimestamp(row[10], UTC),
                int(row[11] or 0),
                evidence(row[12]),
                roles(row[13]),
            )
            for row in rows
        ]

    async def stage_counts(self, team_id: int, owner_id: int | None) -> dict[str, int]:
        d = t.deals
        query = self._open(select(d.c.stage, func.count()).group_by(d.c.stage), team_id, owner_id)
        return {stage: int(count) for stage, count in (await self._conn.execute(query)).all()}

    async def open_deals(
        self, team_id: int, owner_id: int | None, limit: int, text: str | None = None
    ) -> list[tuple[Deal, str | None]]:
        """Open deals with their customer's name, most recently changed first; with `text`, those whose
        title or customer name contains it."""
        d, c = t.deals, t.customers
        query = self._open(
            select(d, c.c.name.label("customer_name")).select_from(d.join(c, c.c.id == d.c.customer_id)),
            team_id,
            owner_id,
        )
        if text:
            pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            query = query.where(
                or_(d.c.title.ilike(pattern, escape="\\"), c.c.name.ilike(pattern, escape="\\"))
            )
        query = query.order_by(d.c.updated_at.desc(), d.c.id.desc()).limit(limit)
        return [(_deal(row), row["customer_name"]) for row in (await self._conn.execute(query)).mappings()]

    async def due_reminders(
        self, member_id: int, start: datetime, end: datetime, limit: int
    ) -> list[Reminder]:
        r = t.reminders
        query = (
            select(r)
            .where(
                r.c.member_id == member_id,
                r.c.status.in_([ReminderStatus.PENDING.value, ReminderStatus.DELIVERED.value]),
                r.c.due_at >= start,
                r.c.due_at < end,
            )
            .order_by(r.c.due_at, r.c.id)
            .limit(limit)
        )
        found = []
        for row in (await self._conn.execute(query)).mappings():
            data = dict(row)
            data["kind"] = ReminderKind(data["kind"])
            data["status"] = ReminderStatus(data["status"])
            found.append(Reminder(**data))
        return found

    async def overdue_commitments(self, owner_id: int, now: datetime, limit: int) -> list[Commitment]:
        k = t.commitments
        query = (
            select(k)
            .where(k.c.owner_id == owner_id, k.c.done_at.is_(None), k.c.due_at < now)
            .order_by(k.c.due_at, k.c.id)
            .limit(limit)
        )
        found = []
        for row in (await self._conn.execute(query)).mappings():
            data = dict(row)
            data["party"] = Party(data["party"])
            found.append(Commitment(**data))
        return found

    async def customer_names(self, customer_ids: Sequence[int]) -> dict[int, str | None]:
        if not customer_ids:
            return {}
        c = t.customers
        query = select(c.c.id, c.c.name).where(c.c.id.in_(list(customer_ids)))
        return {int(row[0]): row[1] for row in (await self._conn.execute(query)).all()}


__all__ = [
    "DealEvidenceRepository",
    "DealQueries",
    "DigestDeliveryRepository",
    "StageChangeRepository",
]
