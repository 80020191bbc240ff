"""The lead repository (crm.ports.LeadRepository): leads, the pool, claims, job leases, reclaim reads.

Every claim is a conditional UPDATE whose rowcount says who won, the same on SQLite (one writer at a
time) and PostgreSQL (row locks; READ COMMITTED re-checks the WHERE after the lock is released).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import RowMapping, and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from crm.leads import (
    AssignedBy,
    Availability,
    Lead,
    LeadSource,
    LeadStatus,
    MemberLoad,
    PoolScope,
    PoolSummary,
    ReclaimCandidate,
)
from crm.model import DealStatus, EvidenceStatus, Lang, Member, Role, Source
from crm.places import Division
from storage import tables as t

# Interactions that are a rep's follow-up (reclaim): a forwarded chat, a voice note, a card, a check-in.
FOLLOW_UP_SOURCES = (Source.CHAT.value, Source.VOICE.value, Source.CARD.value, Source.LOCATION.value)


def _lead(row: RowMapping) -> Lead:
    data = dict(row)
    province, city, district, code = (data.pop(k) for k in ("province", "city", "district", "code"))
    data["division"] = Division(province, city, district, code) if province else None
    data["candidates"] = [Division.from_json(c) for c in data["candidates"] or []]
    data["source"] = LeadSource(data["source"])
    data["status"] = LeadStatus(data["status"])
    data["assigned_by"] = AssignedBy(data["assigned_by"]) if data["assigned_by"] else None
    data["reason"] = dict(data["reason"] or {})
    return Lead(**data)


def _values(lead: Lead) -> dict[str, Any]:
    division = lead.division
    return {
        "team_id": lead.team_id,
        "customer_id": lead.customer_id,
        "contact_id": lead.contact_id,
        "interaction_id": lead.interaction_id,
        "source": lead.source.value,
        "status": lead.status.value,
        "origin": lead.origin,
        "assignee_id": lead.assignee_id,
        "assigned_by": lead.assigned_by.value if lead.assigned_by else None,
        "assigned_at": lead.assigned_at,
        "pool": lead.pool,
        "territory": lead.territory,
        "region": lead.region,
        "province": division.province if division else None,
        "city": division.city if division else None,
        "district": division.district if division else None,
        "code": division.code if division else None,
        "candidates": [c.to_json() for c in lead.candidates],
        "country": lead.country,
        "reason": lead.reason,
        "pooled_at": lead.pooled_at,
        "alert_stage": lead.alert_stage,
        "alert_due_at": lead.alert_due_at,
        "lease_until": lead.lease_until,
        "notify": lead.notify,
        "former_owner_id": lead.former_owner_id,
        "lost_at": lead.lost_at,
        "idempotency_key": lead.idempotency_key,
        "external_ref": lead.external_ref,
        "created_at": lead.created_at,
    }


def _live_customer() -> Any:
    c = t.customers.c
    return and_(t.leads.c.customer_id == c.id, c.merged_into.is_(None), c.archived_at.is_(None))


class LeadRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        # Leads written in this unit of work: after its commit, those with a notice wake the lead job.
        self.seen: list[Lead] = []

    async def add(self, lead: Lead) -> Lead:
        result = await self._conn.execute(insert(t.leads).returning(t.leads.c.id), _values(lead))
        lead.id = result.scalar_one()
        self.seen.append(lead)
        return lead

    async def get(self, lead_id: int) -> Lead | None:
        row = (await self._conn.execute(select(t.leads).where(t.leads.c.id == lead_id))).mappings().first()
        return _lead(row) if row else None

    async def update(self, lead: Lead) -> None:
        await self._conn.execute(update(t.leads).where(t.leads.c.id == lead.id).values(_values(lead)))
        self.seen.append(lead)

    async def _one(self, *where: Any) -> Lead | None:
        query = select(t.leads).where(*where).order_by(t.leads.c.id.desc()).limit(1)
        row = (await self._conn.execute(query)).mappings().first()
        return _lead(row) if row else None

    async def by_idempotency_key(self, team_id: int, key: str) -> Lead | None:
        return await self._one(t.leads.c.team_id == team_id, t.leads.c.idempotency_key == key)

    async def by_external_ref(self, team_id: int, ref: str) -> Lead | None:
        return await self._one(t.leads.c.team_id == team_id, t.leads.c.external_ref == ref)

    async def open_for_customer(self, customer_id: int) -> Lead | None:
        return await self._one(
            t.leads.c.customer_id == customer_id,
            t.leads.c.status.in_([LeadStatus.POOL.value, LeadStatus.ASSIGNED.value]),
        )

    async def take(self, lead_id: int, member_id: int, how: str, at: datetime) -> bool:
        result = await self._conn.execute(
            update(t.leads)
            .where(t.leads.c.id == lead_id, t.leads.c.status == LeadStatus.POOL.value)
            .values(
                status=LeadStatus.ASSIGNED.value,
                assignee_id=member_id,
                assigned_by=how,
                assigned_at=at,
                alert_due_at=None,
                notify=False,
                lease_until=None,
            )
        )
        return result.rowcount == 1

    async def pool(
        self, team_id: int, scope: PoolScope | None, limit: int, offset: int = 0, oldest_first: bool = False
    ) -> tuple[list[Lead], int]:
        c = t.leads.c
        where = [c.team_id == team_id, c.status == LeadStatus.POOL.value]
        if scope is not None:
            restricted = c.territory.in_(list(scope.restricted)) if scope.restricted else None
            open_pool: Any = c.pool.in_(list(scope.pools))
            if restricted is not None:
                open_pool = and_(open_pool, or_(c.territory.is_(None), ~restricted))
            where.append(or_(c.territory.in_(list(scope.mine)), open_pool) if scope.mine else open_pool)
        base = select(t.leads).join(t.customers, _live_customer()).where(*where)
        total = (await self._conn.execute(select(func.count()).select_from(base.subquery()))).scalar_one()
        order = (c.pooled_at, c.id) if oldest_first else (c.pooled_at.desc(), c.id.desc())
        query = base.order_by(*order).limit(limit).offset(offset)
        rows = (await self._conn.execute(query)).mappings()
        return [_lead(row) for row in rows], int(total)

    async def team_members(self, team_id: int) -> list[Member]:
        owner = select(t.pool_owners.c.member_id).where(t.pool_owners.c.team_id == team_id).scalar_subquery()
        query = (
            select(t.members)
            .where(t.members.c.team_id == team_id, t.members.c.id.is_distinct_from(owner))
            .order_by(t.members.c.id)
        )
        found = []
        for row in (await self._conn.execute(query)).mappings():
            data = dict(row)
            data["role"] = Role(data["role"])
            data["lang"] = Lang(data["lang"])
            found.append(Member(**data))
        return found

    async def loads(
        self, team_id: int, member_ids: Sequence[int], day_start: datetime, now: datetime
    ) -> dict[int, MemberLoad]:
        if not member_ids:
            return {}
        ids = list(member_ids)
        d, c = t.deals.c, t.leads.c
        open_deals = {
            int(owner): int(count)
            for owner, count in (
                await self._conn.execute(
                    select(d.owner_id, func.count())
                    .where(
                        d.owner_id.in_(ids),
                        d.status == DealStatus.OPEN.value,
                        d.archived_at.is_(None),
                    )
                    .group_by(d.owner_id)
                )
            ).all()
        }
        since = now.timestamp() - 24 * 3600
        day_from = day_start
        received: dict[int, tuple[int, int, int, datetime | None]] = {}
        rows = (
            await self._conn.execute(
                select(c.assignee_id, c.assigned_at, c.assigned_by).where(
                    c.assignee_id.in_(ids),
                    c.assigned_at >= min(day_from, datetime.fromtimestamp(since, now.tzinfo)),
                )
            )
        ).all()
        last = {
            int(member): moment
            for member, moment in (
                await self._conn.execute(
                    select(c.assignee_id, func.max(c.assigned_at))
                    .where(c.assignee_id.in_(ids), c.assigned_by.is_distinct_from(AssignedBy.EXISTING.value))
                    .group_by(c.assignee_id)
                )
            ).all()
        }
        for member, moment, how in rows:
            if how == AssignedBy.EXISTING.value:
                continue  # a customer of theirs coming back is no new lead
            in_24h, today, claims, _ = received.get(int(member), (0, 0, 0, None))
            if moment.timestamp() >= since:
                in_24h += 1
            if moment >= day_from:
                if how == AssignedBy.CLAIM.value:
                    claims += 1
                else:
                    today += 1
            received[int(member)] = (in_24h, today, claims, None)
        loads: dict[int, MemberLoad] = {}
        for member_id in ids:
            in_24h, today, claims, _ = received.get(member_id, (0, 0, 0, None))
            loads[member_id] = MemberLoad(
                open_deals.get(member_id, 0), in_24h, today, claims, last.get(member_id)
            )
        return loads

    async def lock_member(self, member_id: int) -> None:
        # FOR UPDATE on PostgreSQL; SQLite writers are serialised by BEGIN IMMEDIATE already.
        await self._conn.execute(select(t.members.c.id).where(t.members.c.id == member_id).with_for_update())

    async def availability(self, member_ids: Sequence[int]) -> dict[int, Availability]:
        if not member_ids:
            return {}
        a = t.member_availability.c
        found: dict[int, Availability] = {}
        for row in (
            await self._conn.execute(select(t.member_availability).where(a.member_id.in_(list(member_ids))))
        ).mappings():
            away = tuple(
                (date.fromisoformat(start), date.fromisoformat(end)) for start, end in row["away"] or []
            )
            found[int(row["member_id"])] = Availability(
                frozenset(int(d) for d in row["weekly_off"] or []), away
            )
        return found

    async def set_availability(self, team_id: int, member_id: int, availability: Availability) -> None:
        a = t.member_availability
        values = {
            "weekly_off": sorted(availability.weekly_off),
            "away": [[start.isoformat(), end.isoformat()] for start, end in availability.away],
        }
        result = await self._conn.execute(update(a).where(a.c.member_id == member_id).values(values))
        if result.rowcount == 0:
            await self._conn.execute(insert(a).values(member_id=member_id, team_id=team_id, **values))

    async def pool_owner(self, team_id: int) -> int | None:
        query = select(t.pool_owners.c.member_id).where(t.pool_owners.c.team_id == team_id)
        found: int | None = (await self._conn.execute(query)).scalar_one_or_none()
        return found

    async def set_pool_owner(self, team_id: int, member_id: int) -> None:
        await self._conn.execute(insert(t.pool_owners).values(team_id=team_id, member_id=member_id))

    # --- jobs: notices and alerts, claimed with a lease ------------------------------------------------

    def _free(self, now: datetime) -> Any:
        c = t.leads.c
        return or_(c.lease_until.is_(None), c.lease_until < now)

    async def _claim(
        self, claimable: Any, order: Any, now: datetime, lease_until: datetime, limit: int
    ) -> list[Lead]:
        ids = (
            (await self._conn.execute(select(t.leads.c.id).where(claimable).order_by(order).limit(limit)))
            .scalars()
            .all()
        )
        claimed: list[Lead] = []
        for lead_id in ids:
            result = await self._conn.execute(
                update(t.leads).where(t.leads.c.id == lead_id, claimable).values(lease_until=lease_until)
            )
            if result.rowcount == 1:
                lead = await self.get(lead_id)
                if lead is not None:
                    claimed.append(lead)
        return claimed

    async def claim_notices(self, now: datetime, lease_until: datetime, limit: int) -> list[Lead]:
        c = t.leads.c
        claimable = and_(c.notify.is_(True), self._free(now))
        return await self._claim(claimable, c.id, now, lease_until, limit)

    async def settle_notice(self, lead_id: int, lease_until: datetime) -> bool:
        c = t.leads.c
        result = await self._conn.execute(
            update(t.leads)
            .where(c.id == lead_id, c.lease_until == lease_until)
            .values(notify=False, lease_until=None)
        )
        return result.rowcount == 1

    async def claim_alerts(self, now: datetime, lease_until: datetime, limit: int) -> list[Lead]:
        c = t.leads.c
        claimable = and_(
            c.status == LeadStatus.POOL.value,
            c.alert_due_at.is_not(None),
            c.alert_due_at <= now,
            c.notify.is_(False),
            self._free(now),
        )
        return await self._claim(claimable, c.alert_due_at, now, lease_until, limit)

    async def settle_alert(
        self, lead_id: int, lease_until: datetime, stage: int, next_due: datetime | None
    ) -> bool:
        c = t.leads.c
        result = await self._conn.execute(
            update(t.leads)
            .where(c.id == lead_id, c.lease_until == lease_until)
            .values(alert_stage=stage, alert_due_at=next_due, lease_until=None)
        )
        return result.rowcount == 1

    async def next_job_at(self) -> datetime | None:
        c = t.leads.c
        alert: datetime | None = (
            await self._conn.execute(
                select(func.min(c.alert_due_at)).where(
                    c.status == LeadStatus.POOL.value, c.alert_due_at.is_not(None)
                )
            )
        ).scalar_one_or_none()
        # A notice is due at once, or when the lease of the process sending it runs out.
        notice: datetime | None = (
            await self._conn.execute(
                select(func.min(func.coalesce(c.lease_until, c.created_at))).where(c.notify.is_(True))
            )
        ).scalar_one_or_none()
        moments = [m for m in (alert, notice) if m is not None]
        return min(moments) if moments else None

    async def claim_run(self, team_id: int, day: date, kind: str, now: datetime) -> bool:
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(
                    insert(t.lead_runs).values(team_id=team_id, day=day, kind=kind, claimed_at=now)
                )
        except IntegrityError:
            return False
        return True

    # --- reclaim --------------------------------------------------------------------------------------

    async def reclaim_candidates(self, team_id: int, pool_owner_id: int | None) -> list[ReclaimCandidate]:
        d, cu, m, i, s, e, lc, r = (
            t.deals,
            t.customers,
            t.members,
            t.interactions,
            t.deal_stage_changes,
            t.deal_evidence,
            t.leads,
            t.deal_reclaim,
        )
        touched = (
            select(func.max(i.c.created_at))
            .where(
                i.c.customer_id == d.c.customer_id,
                i.c.author_id == d.c.owner_id,
                i.c.undone_at.is_(None),
                i.c.source.in_(FOLLOW_UP_SOURCES),
            )
            .scalar_subquery()
        )
        moved = select(func.max(s.c.created_at)).where(s.c.deal_id == d.c.id).scalar_subquery()
        filed = (
            select(func.max(e.c.created_at))
            .where(e.c.deal_id == d.c.id, e.c.status != EvidenceStatus.DISCARDED.value)
            .scalar_subquery()
        )
        confirmed = select(func.max(e.c.confirmed_at)).where(e.c.deal_id == d.c.id).scalar_subquery()
        received = (
            select(func.max(lc.c.assigned_at))
            .where(lc.c.customer_id == d.c.customer_id, lc.c.assignee_id == d.c.owner_id)
            .scalar_subquery()
        )
        routed = select(func.count()).where(lc.c.customer_id == d.c.customer_id).scalar_subquery()
        query = (
            select(
                d.c.id,
                d.c.customer_id,
                d.c.owner_id,
                d.c.stage,
                d.c.created_at,
                d.c.stage_entered_at,
                touched.label("touched"),
                moved.label("moved"),
                filed.label("filed"),
                confirmed.label("confirmed"),
                received.label("received"),
                routed.label("routed"),
                r.c.owner_id.label("marks_owner"),
                r.c.extended_at,
                r.c.warned_for,
            )
            .select_from(
                d.join(cu, cu.c.id == d.c.customer_id)
                .join(m, m.c.id == d.c.owner_id)
                .outerjoin(r, r.c.deal_id == d.c.id)
            )
            .where(
                d.c.team_id == team_id,
                d.c.status == DealStatus.OPEN.value,
                d.c.archived_at.is_(None),
                cu.c.merged_into.is_(None),
                cu.c.archived_at.is_(None),
                m.c.role == Role.REP.value,
            )
            .order_by(d.c.id)
        )
        if pool_owner_id is not None:
            query = query.where(d.c.owner_id != pool_owner_id)
        found: list[ReclaimCandidate] = []
        for row in (await self._conn.execute(query)).mappings():
            moments = [
                row[k]
                for k in (
                    "created_at",
                    "stage_entered_at",
                    "touched",
                    "moved",
                    "filed",
                    "confirmed",
                    "received",
                )
                if row[k] is not None
            ]
            same_owner = row["marks_owner"] == row["owner_id"]
            found.append(
                ReclaimCandidate(
                    deal_id=row["id"],
                    customer_id=row["customer_id"],
                    owner_id=row["owner_id"],
                    stage=row["stage"],
                    last_activity=max(moments),
                    routed=bool(row["routed"]),
                    extended_at=row["extended_at"] if same_owner else None,
                    warned_for=row["warned_for"] if same_owner else None,
                )
            )
        return found

    async def reclaim_marks(self, deal_id: int) -> tuple[int, datetime | None, datetime | None] | None:
        r = t.deal_reclaim.c
        row = (
            await self._conn.execute(
                select(r.owner_id, r.extended_at, r.warned_for).where(r.deal_id == deal_id)
            )
        ).first()
        return (int(row[0]), row[1], row[2]) if row else None

    async def set_reclaim_marks(
        self, deal_id: int, owner_id: int, extended_at: datetime | None, warned_for: datetime | None
    ) -> None:
        r = t.deal_reclaim
        values = {"owner_id": owner_id, "extended_at": extended_at, "warned_for": warned_for}
        result = await self._conn.execute(update(r).where(r.c.deal_id == deal_id).values(values))
        if result.rowcount == 0:
            await self._conn.execute(insert(r).values(deal_id=deal_id, **values))

    async def summary(self, team_id: int, since: datetime, until: datetime, shown: int) -> PoolSummary:
        c = t.leads.c
        window = and_(c.team_id == team_id, c.created_at >= since, c.created_at < until)
        by_source = {
            str(source): int(number)
            for source, number in (
                await self._conn.execute(select(c.source, func.count()).where(window).group_by(c.source))
            ).all()
        }
        reclaimed = by_source.pop(LeadSource.RECLAIM.value, 0)
        unclaimed, total = await self.pool(team_id, None, shown, oldest_first=True)
        names = {}
        if unclaimed:
            query = select(t.customers.c.id, t.customers.c.name).where(
                t.customers.c.id.in_([lead.customer_id for lead in unclaimed])
            )
            names = {int(row[0]): row[1] for row in (await self._conn.execute(query)).all()}
        return PoolSummary(
            routed=sum(by_source.values()),
            reclaimed=reclaimed,
            unclaimed=unclaimed,
            unclaimed_total=total,
            names=names,
        )
