"""Reads for histories (crm.history): a team's audit entries, those touching one record or a customer's
family, and the journal rows of a page of them. They never write.

Which entries touch a customer is a union of index probes: its own journal rows and entries, those of
the contacts and deals that belong to it (by `customer_id`), and the entries on its interactions.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, select, union
from sqlalchemy.ext.asyncio import AsyncConnection

from crm.model import AuditEntry, FieldChange
from storage import tables as t
from storage.repositories import audit_entry, field_change


class HistoryQueries:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def operations(
        self,
        team_id: int,
        *,
        customer_id: int | None = None,
        record: tuple[str, int] | None = None,
        actor_id: int | None = None,
        since: datetime | None = None,
        before: int | None = None,
        after: int | None = None,
        limit: int,
    ) -> list[AuditEntry]:
        a = t.audit
        query = select(a).where(a.c.team_id == team_id)
        touching = None
        if customer_id is not None:
            touching = _family_entries(customer_id)
        elif record is not None:
            touching = _record_entries(*record)
        if touching is not None:
            query = query.where(a.c.id.in_(touching))
        if actor_id is not None:
            query = query.where(a.c.actor_id == actor_id)
        if since is not None:
            query = query.where(a.c.created_at >= since)
        if before is not None:
            query = query.where(a.c.id < before)
        if after is not None:
            # The entries just newer than `after`: the oldest of them first, then put newest first.
            query = query.where(a.c.id > after).order_by(a.c.id).limit(limit)
            rows = list((await self._conn.execute(query)).mappings())
            return [audit_entry(row) for row in reversed(rows)]
        query = query.order_by(a.c.id.desc()).limit(limit)
        return [audit_entry(row) for row in (await self._conn.execute(query)).mappings()]

    async def changes(self, audit_ids: Sequence[int]) -> list[FieldChange]:
        if not audit_ids:
            return []
        journal = t.field_journal
        query = select(journal).where(journal.c.audit_id.in_(list(audit_ids))).order_by(journal.c.id)
        return [field_change(row) for row in (await self._conn.execute(query)).mappings()]

    async def family(self, customer_id: int) -> set[tuple[str, int]]:
        contacts = select(t.contacts.c.id).where(t.contacts.c.customer_id == customer_id)
        deals = select(t.deals.c.id).where(t.deals.c.customer_id == customer_id)
        found = {("customer", customer_id)}
        found |= {("contact", int(i)) for i in (await self._conn.execute(contacts)).scalars()}
        found |= {("deal", int(i)) for i in (await self._conn.execute(deals)).scalars()}
        return found


def _record_entries(kind: str, record_id: int) -> Select[Any]:
    """Ids of the entries with journal rows on a record, or aimed at it."""
    j, a = t.field_journal, t.audit
    return (
        union(
            select(j.c.audit_id).where(j.c.record_type == kind, j.c.record_id == record_id),
            select(a.c.id).where(a.c.target_type == kind, a.c.target_id == record_id),
        )
        .subquery()
        .select()
    )


def _family_entries(customer_id: int) -> Select[Any]:
    """Ids of the entries touching a customer, its contacts and deals (journal rows or target), or aimed
    at one of its interactions."""
    j, a = t.field_journal, t.audit
    contacts = select(t.contacts.c.id).where(t.contacts.c.customer_id == customer_id)
    deals = select(t.deals.c.id).where(t.deals.c.customer_id == customer_id)
    interactions = select(t.interactions.c.id).where(t.interactions.c.customer_id == customer_id)
    return (
        union(
            select(j.c.audit_id).where(j.c.record_type == "customer", j.c.record_id == customer_id),
            select(j.c.audit_id).where(j.c.record_type == "contact", j.c.record_id.in_(contacts)),
            select(j.c.audit_id).where(j.c.record_type == "deal", j.c.record_id.in_(deals)),
            select(a.c.id).where(a.c.target_type == "customer", a.c.target_id == customer_id),
            select(a.c.id).where(and_(a.c.target_type == "contact", a.c.target_id.in_(contacts))),
            select(a.c.id).where(and_(a.c.target_type == "deal", a.c.target_id.in_(deals))),
            select(a.c.id).where(and_(a.c.target_type == "interaction", a.c.target_id.in_(interactions))),
        )
        .subquery()
        .select()
    )
