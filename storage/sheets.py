"""Spreadsheet imports and exports: the import runs, and the paged reads an export makes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import RowMapping, and_, select

from crm.model import Contact, Customer, Deal, DealStatus, ImportMode, ImportRun, ImportStatus, Interaction
from storage import tables as t
from storage.repositories import (
    _contact,
    _customer,
    _deal,
    _insert_id,
    _interaction,
    _Repo,
    _row_by_id,
    _values,
)

# Export reads this many rows per query: memory stays bounded whatever the team's size.
_CHUNK_IDS = 900  # ids per IN (...) list, under SQLite's default limit of bound parameters


def _run(row: RowMapping) -> ImportRun:
    data = dict(row)
    data["mode"] = ImportMode(data["mode"])
    data["status"] = ImportStatus(data["status"])
    data["counts"] = dict(data["counts"] or {})
    data["detail"] = dict(data["detail"] or {})
    return ImportRun(**data)


def _run_values(run: ImportRun) -> dict[str, Any]:
    values = _values(run)
    values["mode"] = run.mode.value
    values["status"] = run.status.value
    return values


class ImportRunRepository(_Repo):
    async def add(self, run: ImportRun) -> ImportRun:
        run.id = (await self._conn.execute(_insert_id(t.import_runs), _run_values(run))).scalar_one()
        return run

    async def get(self, run_id: int) -> ImportRun | None:
        row = await _row_by_id(self._conn, t.import_runs, run_id)
        return _run(row) if row else None

    async def update(self, run: ImportRun) -> None:
        await self._conn.execute(t.import_runs.update().where(t.import_runs.c.id == run.id), _run_values(run))

    async def recent(self, team_id: int, limit: int) -> list[ImportRun]:
        query = (
            select(t.import_runs)
            .where(t.import_runs.c.team_id == team_id)
            .order_by(t.import_runs.c.id.desc())
            .limit(limit)
        )
        return [_run(row) for row in (await self._conn.execute(query)).mappings()]


def _live(table: Any) -> Any:
    return and_(table.c.merged_into.is_(None), table.c.archived_at.is_(None))


class ExportQueries(_Repo):
    async def customers(
        self, team_id: int, owner_id: int | None, after_id: int, limit: int
    ) -> list[Customer]:
        c = t.customers.c
        query = select(t.customers).where(c.team_id == team_id, c.id > after_id, _live(t.customers))
        if owner_id is not None:
            query = query.where(c.owner_id == owner_id)
        rows = await self._conn.execute(query.order_by(c.id).limit(limit))
        return [_customer(row) for row in rows.mappings()]

    async def contacts(self, team_id: int, owner_id: int | None, after_id: int, limit: int) -> list[Contact]:
        c = t.contacts.c
        query = select(t.contacts).where(c.team_id == team_id, c.id > after_id, _live(t.contacts))
        if owner_id is not None:
            query = query.where(c.owner_id == owner_id)
        rows = await self._conn.execute(query.order_by(c.id).limit(limit))
        return [_contact(row) for row in rows.mappings()]

    async def deals(self, team_id: int, owner_id: int | None, after_id: int, limit: int) -> list[Deal]:
        c = t.deals.c
        query = select(t.deals).where(c.team_id == team_id, c.id > after_id, c.archived_at.is_(None))
        if owner_id is not None:
            query = query.where(c.owner_id == owner_id)
        rows = await self._conn.execute(query.order_by(c.id).limit(limit))
        return [_deal(row) for row in rows.mappings()]

    async def interactions(
        self, team_id: int, owner_id: int | None, after_id: int, limit: int
    ) -> list[Interaction]:
        c = t.interactions.c
        query = select(t.interactions).where(c.team_id == team_id, c.id > after_id, c.undone_at.is_(None))
        if owner_id is not None:
            query = query.where(c.author_id == owner_id)
        rows = await self._conn.execute(query.order_by(c.id).limit(limit))
        return [_interaction(row) for row in rows.mappings()]

    async def customer_names(self, customer_ids: Sequence[int]) -> dict[int, str | None]:
        return await self._names(t.customers, customer_ids)

    async def contact_names(self, contact_ids: Sequence[int]) -> dict[int, str | None]:
        return await self._names(t.contacts, contact_ids)

    async def _names(self, table: Any, ids: Sequence[int]) -> dict[int, str | None]:
        wanted = sorted(set(ids))
        found: dict[int, str | None] = {}
        for start in range(0, len(wanted), _CHUNK_IDS):
            part = wanted[start : start + _CHUNK_IDS]
            query = select(table.c.id, table.c.name).where(table.c.id.in_(part))
            found.update({row.id: row.name for row in await self._conn.execute(query)})
        return found

    async def open_deals(self, customer_ids: Sequence[int]) -> dict[int, Deal]:
        wanted = sorted(set(customer_ids))
        found: dict[int, Deal] = {}
        c = t.deals.c
        for start in range(0, len(wanted), _CHUNK_IDS):
            part = wanted[start : start + _CHUNK_IDS]
            query = (
                select(t.deals)
                .where(c.customer_id.in_(part), c.archived_at.is_(None))
                .order_by(c.customer_id, c.id)
            )
            for row in (await self._conn.execute(query)).mappings():
                deal = _deal(row)
                known = found.get(deal.customer_id)
                # The oldest open deal (as crm.records.open_deal); without one, the latest closed one.
                if known is None or known.status is not DealStatus.OPEN:
                    found[deal.customer_id] = deal
        return found
