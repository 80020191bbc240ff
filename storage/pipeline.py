"""Repositories of the deal pipeline: evidence, stage history, digest deliveries, and the aggregate
queries that give the health of many deals at once. They never commit.

The snapshot queries read each open deal with its customer's budget and timeline, its last
interaction and its overdue commitments in one statement (correlated subqueries on indexed columns),
plus one query for confirmed evidence and one for decision roles: a few statements for any number of
deals, instead of one round of lookups per deal.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import RowMapping, Select, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

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

MAX_DIGEST_ATTEMPTS = 3


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
    async def claim(self, team_id: int, member_id: int, day: date, kind: str, now: datetime) -> bool:
        """Takes the member's digest of `day`: True for exactly one caller, ever, unless the one that
        took it marked it failed (then up to MAX_DIGEST_ATTEMPTS tries in all).

        The insert runs in a savepoint so that losing the race (the unique constraint) leaves the
        surrounding transaction usable on PostgreSQL.
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
                    )
                )
            return True
        except IntegrityError:
            pass
        c = t.digest_deliveries.c
        result = await self._conn.execute(
            update(t.digest_deliveries)
            .where(
                c.member_id == member_id,
                c.local_date == day,
                c.status == DigestStatus.FAILED.value,
                c.attempts < MAX_DIGEST_ATTEMPTS,
            )
            .values(status=DigestStatus.CLAIMED.value, attempts=c.attempts + 1, claimed_at=now)
        )
        return result.rowcount == 1

    async def settle(self, member_id: int, day: date, status: DigestStatus, at: datetime) -> None:
        c = t.digest_deliveries.c
        await self._conn.execute(
            update(t.digest_deliveries)
            .where(c.member_id == member_id, c.local_date == day)
            .values(status=status.value, delivered_at=at if status is DigestStatus.DELIVERED else None)
        )

    async def settled(self, team_id: int, days: Sequence[date]) -> set[tuple[int, date]]:
        """(member, day) pairs of `days` that need nothing more: claimed, delivered, skipped, or failed
        too often."""
        c = t.digest_deliveries.c
        query = select(c.member_id, c.local_date).where(
            c.team_id == team_id,
            c.local_date.in_(list(days)),
            or_(c.status != DigestStatus.FAILED.value, c.attempts >= MAX_DIGEST_ATTEMPTS),
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


_SNAPSHOT_LIMIT = 1_000_000


class PipelineQueries(_Repo):
    """Reads across deals for lists, the deal card, the pipeline and the digest."""

    def _snapshot_query(self, now: datetime) -> Select[Any]:
        d, c, i, k = t.deals, t.customers, t.interactions, t.commitments
        last = (
            select(func.max(i.c.created_at))
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
        return select(
            d.c.id,
            d.c.title,
            c.c.name,
            d.c.owner_id,
            d.c.stage,
            d.c.stage_entered_at,
            d.c.created_at,
            d.c.amount_cny,
            c.c.budget_cny.is_not(None),
            or_(c.c.timeline.is_not(None), c.c.timeline_by.is_not(None)),
            last.label("last_at"),
            overdue.label("overdue"),
            d.c.customer_id,
        ).select_from(d.join(c, c.c.id == d.c.customer_id))

    def _open(self, query: Select[Any], team_id: int, owner_id: int | None) -> Select[Any]:
        d = t.deals
        query = query.where(
            d.c.team_id == team_id, d.c.status == DealStatus.OPEN.value, d.c.archived_at.is_(None)
        )
        return query.where(d.c.owner_id == owner_id) if owner_id is not None else query

    async def snapshots(self, team_id: int, owner_id: int | None, now: datetime) -> list[DealSnapshot]:
        """Every open deal of the team (or of one owner) with what its health needs."""
        rows = (await self._conn.execute(self._open(self._snapshot_query(now), team_id, owner_id))).all()
        d, e, k = t.deals, t.deal_evidence, t.contacts
        evidence_query = self._open(
            select(e.c.deal_id, e.c.requirement)
            .select_from(e.join(d, d.c.id == e.c.deal_id))
            .where(e.c.status == EvidenceStatus.CONFIRMED.value, e.c.requirement.is_not(None))
            .distinct(),
            team_id,
            owner_id,
        )
        roles_query = select(k.c.customer_id, k.c.decision_role).where(
            k.c.team_id == team_id,
            k.c.decision_role.is_not(None),
            k.c.merged_into.is_(None),
            k.c.archived_at.is_(None),
        )
        if owner_id is not None:
            owned = self._open(select(d.c.customer_id), team_id, owner_id)
            roles_query = roles_query.where(k.c.customer_id.in_(owned.scalar_subquery()))
        return await self._build(rows, evidence_query, roles_query.distinct())

    async def snapshot(self, deal_id: int, now: datetime) -> DealSnapshot | None:
        """One deal (open or not) as the health rules see it."""
        row = (await self._conn.execute(self._snapshot_query(now).where(t.deals.c.id == deal_id))).first()
        if row is None:
            return None
        e, k = t.deal_evidence, t.contacts
        evidence_query = select(e.c.deal_id, e.c.requirement).where(
            e.c.deal_id == deal_id,
            e.c.status == EvidenceStatus.CONFIRMED.value,
            e.c.requirement.is_not(None),
        )
        roles_query = select(k.c.customer_id, k.c.decision_role).where(
            k.c.customer_id == row[12],
            k.c.decision_role.is_not(None),
            k.c.merged_into.is_(None),
            k.c.archived_at.is_(None),
        )
        snapshots = await self._build([row], evidence_query, roles_query)
        return snapshots[0]

    async def _build(
        self, rows: Sequence[Any], evidence_query: Select[Any], roles_query: Select[Any]
    ) -> list[DealSnapshot]:
        evidence: dict[int, set[str]] = defaultdict(set)
        for deal_id, requirement in (await self._conn.execute(evidence_query)).all():
            evidence[deal_id].add(requirement)
        roles: dict[int, set[DecisionRole]] = defaultdict(set)
        for customer_id, role in (await self._conn.execute(roles_query)).all():
            roles[customer_id].add(DecisionRole(role))
        empty_e: frozenset[str] = frozenset()
        empty_r: frozenset[DecisionRole] = frozenset()
        frozen_e = {key: frozenset(value) for key, value in evidence.items()}
        frozen_r = {key: frozenset(value) for key, value in roles.items()}
        return [
            DealSnapshot(
                deal_id=row[0],
                title=row[1],
                customer_name=row[2],
                owner_id=row[3],
                stage=row[4],
                stage_entered_at=row[5],
                created_at=row[6],
                amount_cny=row[7],
                has_budget=bool(row[8]),
                has_timeline=bool(row[9]),
                last_interaction_at=row[10],
                overdue_commitments=int(row[11] or 0),
                evidence=frozen_e.get(row[0], empty_e),
                roles=frozen_r.get(row[12], empty_r),
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
    "DigestDeliveryRepository",
    "PipelineQueries",
    "StageChangeRepository",
]
