"""Durable jobs (crm.jobs), the keys every process must see (callback nonces) and the numbered menus of
text channels. They never commit.

A claim is one statement pair in the caller's transaction: the candidates are selected oldest first
and, on PostgreSQL, locked with FOR UPDATE SKIP LOCKED, so that two processes claiming at once take
different jobs instead of queueing on each other's rows; then one conditional UPDATE leases them.
SQLite has no row locks and one writer at a time (the unit of work begins IMMEDIATE), so there the
conditional UPDATE alone decides, and the FOR UPDATE clause is left out by SQLAlchemy's SQLite dialect.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    RowMapping,
    and_,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from crm.model import Channel, Job, JobStatus, MenuChoice, NewJob
from storage import tables as t

_PENDING = JobStatus.PENDING.value
# Bounded bookkeeping text: an exception's message may be long (a traceback is logged, not stored).
ERROR_LIMIT = 500


class _Repo:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn


def _job(row: RowMapping) -> Job:
    return Job(
        id=row["id"],
        queue=row["queue"],
        lane=row["lane"],
        key=row["key"],
        payload=dict(row["payload"] or {}),
        attempts=row["attempts"],
        lease_until=row["lease_until"],
        created_at=row["created_at"],
    )


def _free(now: datetime) -> ColumnElement[bool]:
    """Unfinished, due, and under no live lease."""
    j = t.jobs.c
    return and_(
        j.status == _PENDING,
        j.not_before <= now,
        or_(j.lease_until.is_(None), j.lease_until < now),
    )


def _first_in_lane(owner: str, now: datetime, together: bool) -> ColumnElement[bool]:
    """No earlier unfinished job in the lane (with `together`: none that `owner` does not hold)."""
    j = t.jobs.c
    earlier = t.jobs.alias("earlier")
    e = earlier.c
    blocking = [e.queue == j.queue, e.lane == j.lane, e.status == _PENDING, e.id < j.id]
    if together:
        blocking.append(
            or_(e.lease_owner.is_(None), e.lease_owner != owner, e.lease_until.is_(None), e.lease_until < now)
        )
    return ~exists().where(*blocking)


class JobRepository(_Repo):
    async def add(self, jobs: Sequence[NewJob], at: datetime) -> None:
        if not jobs:
            return
        await self._conn.execute(
            insert(t.jobs),
            [
                {
                    "queue": job.queue,
                    "lane": job.lane,
                    "key": job.key,
                    "payload": job.payload,
                    "status": _PENDING,
                    "attempts": 0,
                    "not_before": at,
                    "created_at": at,
                }
                for job in jobs
            ],
        )

    async def existing(self, keys: Sequence[str]) -> set[str]:
        if not keys:
            return set()
        query = select(t.jobs.c.key).where(t.jobs.c.key.in_(list(keys)))
        return set((await self._conn.execute(query)).scalars().all())

    async def waiting(self, queue: str, lanes: Sequence[str]) -> dict[str, int]:
        if not lanes:
            return {}
        j = t.jobs.c
        query = (
            select(j.lane, func.count())
            .where(j.queue == queue, j.status == _PENDING, j.lane.in_(list(set(lanes))))
            .group_by(j.lane)
        )
        return {lane: int(count) for lane, count in (await self._conn.execute(query)).all()}

    async def claim(
        self,
        queue: str,
        owner: str,
        now: datetime,
        lease_until: datetime,
        *,
        limit: int,
        lane: str | None = None,
        skip_lanes: Sequence[str] = (),
        together: bool = False,
    ) -> list[Job]:
        j = t.jobs.c
        candidates = select(j.id).where(j.queue == queue, _free(now), _first_in_lane(owner, now, together))
        if lane is not None:
            candidates = candidates.where(j.lane == lane)
        if skip_lanes:
            candidates = candidates.where(j.lane.not_in(list(skip_lanes)))
        candidates = candidates.order_by(j.id).limit(limit).with_for_update(skip_locked=True, of=t.jobs)
        ids = list((await self._conn.execute(candidates)).scalars().all())
        if not ids:
            return []
        claimed = await self._conn.execute(
            update(t.jobs)
            .where(j.id.in_(ids), _free(now))
            .values(lease_owner=owner, lease_until=lease_until, attempts=j.attempts + 1)
            .returning(*t.jobs.c)
        )
        return sorted((_job(row) for row in claimed.mappings()), key=lambda job: job.id)

    async def renew(self, job_ids: Sequence[int], owner: str, lease_until: datetime) -> set[int]:
        if not job_ids:
            return set()
        j = t.jobs.c
        result = await self._conn.execute(
            update(t.jobs)
            .where(j.id.in_(list(job_ids)), j.lease_owner == owner, j.status == _PENDING)
            .values(lease_until=lease_until)
            .returning(j.id)
        )
        return set(result.scalars().all())

    async def finish(self, job_id: int, owner: str, at: datetime) -> bool:
        return await self._settle(
            job_id, owner, status=JobStatus.DONE.value, finished_at=at, lease_owner=None, lease_until=None
        )

    async def retry(self, job_id: int, owner: str, not_before: datetime, error: str) -> bool:
        return await self._settle(
            job_id,
            owner,
            not_before=not_before,
            lease_owner=None,
            lease_until=None,
            error=error[:ERROR_LIMIT],
        )

    async def fail(self, job_id: int, owner: str, at: datetime, error: str) -> bool:
        return await self._settle(
            job_id,
            owner,
            status=JobStatus.FAILED.value,
            finished_at=at,
            lease_owner=None,
            lease_until=None,
            error=error[:ERROR_LIMIT],
        )

    async def _settle(self, job_id: int, owner: str, **values: Any) -> bool:
        # Only the holder settles: a job whose lease ran out and that another process claimed since
        # is that process's now.
        j = t.jobs.c
        result = await self._conn.execute(
            update(t.jobs)
            .where(j.id == job_id, j.lease_owner == owner, j.status == _PENDING)
            .values(**values)
        )
        return result.rowcount == 1

    async def purge(self, queue: str, before: datetime) -> int:
        j = t.jobs.c
        result = await self._conn.execute(
            delete(t.jobs).where(j.queue == queue, j.status != _PENDING, j.finished_at < before)
        )
        return int(result.rowcount or 0)


class ExpiringKeyRepository(_Repo):
    async def add(self, keys: Sequence[str], expires_at: datetime, now: datetime) -> set[str]:
        unique = list(dict.fromkeys(keys))
        if not unique:
            return set()
        k = t.expiring_keys.c
        rows = (await self._conn.execute(select(k.key, k.expires_at).where(k.key.in_(unique)))).all()
        live = {key for key, expires in rows if expires > now}
        expired = [key for key, expires in rows if expires <= now]
        if expired:
            await self._conn.execute(delete(t.expiring_keys).where(k.key.in_(expired)))
        new = [key for key in unique if key not in live]
        if new:
            await self._conn.execute(
                insert(t.expiring_keys), [{"key": key, "expires_at": expires_at} for key in new]
            )
        return live

    async def live(self, keys: Sequence[str], now: datetime) -> set[str]:
        k = t.expiring_keys.c
        query = select(k.key).where(k.key.in_(list(dict.fromkeys(keys))), k.expires_at > now)
        return set((await self._conn.execute(query)).scalars()) if keys else set()

    async def purge(self, now: datetime) -> int:
        result = await self._conn.execute(delete(t.expiring_keys).where(t.expiring_keys.c.expires_at <= now))
        return int(result.rowcount or 0)


class MenuRepository(_Repo):
    async def put(
        self, channel: Channel, member_id: int, choices: Sequence[MenuChoice], at: datetime
    ) -> None:
        m = t.chat_menus.c
        values = {
            "choices": [[c.label, c.act, c.target, c.arg] for c in choices],
            "created_at": at,
        }
        # Update, else insert: portable (no dialect-specific upsert). Two processes writing one
        # member's first menu at once is one member typing on two channels of one kind: not a case.
        result = await self._conn.execute(
            update(t.chat_menus).where(m.channel == channel.value, m.member_id == member_id).values(values)
        )
        if result.rowcount == 0:
            await self._conn.execute(
                insert(t.chat_menus).values(channel=channel.value, member_id=member_id, **values)
            )

    async def get(self, channel: Channel, member_id: int) -> list[MenuChoice]:
        m = t.chat_menus.c
        query = select(m.choices).where(m.channel == channel.value, m.member_id == member_id)
        stored = (await self._conn.execute(query)).scalar_one_or_none()
        return [MenuChoice(str(c[0]), str(c[1]), int(c[2]), str(c[3])) for c in stored or []]


__all__ = ["ExpiringKeyRepository", "JobRepository", "MenuRepository"]
