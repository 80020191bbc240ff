"""Spreadsheet imports and exports: the import runs, and the paged reads an export makes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import RowMapping, and_, delete, insert, select

from crm.dedup import LookupKey
from crm.imports import NOTE_KEY_PREFIX
from crm.model import (
    Contact,
    Customer,
    Deal,
    DealStatus,
    ImportMode,
    ImportRun,
    ImportStatus,
    Interaction,
    Source,
)
from storage import tables as t
from storage.repositories import (
    _contact,
    _contact_values,
    _customer,
    _customer_values,
    _deal,
    _insert_id,
    _interaction,
    _interaction_values,
    _Repo,
    _row_by_id,
    _update_by_id,
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


def _chunks(items: Sequence[Any], size: int = _CHUNK_IDS) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


class ImportRunRepository(_Repo):
    """The import runs, and the reads and writes an import makes a chunk of rows at a time: one
    statement for many rows, where a row at a time would be a round trip each."""

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

    async def customers(self, team_id: int, name_keys: Sequence[str]) -> list[Customer]:
        found: list[Customer] = []
        c = t.customers.c
        for part in _chunks(sorted(set(name_keys))):
            query = select(t.customers).where(c.team_id == team_id, c.name_key.in_(part), _live(t.customers))
            found += [_customer(row) for row in (await self._conn.execute(query.order_by(c.id))).mappings()]
        return found

    async def customers_by_id(self, ids: Sequence[int]) -> dict[int, Customer]:
        found: dict[int, Customer] = {}
        for part in _chunks(sorted(set(ids))):
            query = select(t.customers).where(t.customers.c.id.in_(part))
            found.update((row["id"], _customer(row)) for row in (await self._conn.execute(query)).mappings())
        return found

    async def open_deals(self, customer_ids: Sequence[int]) -> dict[int, Deal]:
        found: dict[int, Deal] = {}
        c = t.deals.c
        for part in _chunks(sorted(set(customer_ids))):
            query = (
                select(t.deals)
                .where(c.customer_id.in_(part), c.status == DealStatus.OPEN.value, c.archived_at.is_(None))
                .order_by(c.id)
            )
            for row in (await self._conn.execute(query)).mappings():
                found.setdefault(row["customer_id"], _deal(row))
        return found

    async def notes_for(self, customer_ids: Sequence[int]) -> dict[str, Interaction]:
        found: dict[str, Interaction] = {}
        c = t.interactions.c
        for part in _chunks(sorted(set(customer_ids))):
            query = select(t.interactions).where(
                c.customer_id.in_(part), c.external_key.startswith(NOTE_KEY_PREFIX, autoescape=True)
            )
            for row in (await self._conn.execute(query)).mappings():
                found[row["external_key"]] = _interaction(row)
        return found

    async def add_customers(self, customers: Sequence[tuple[Customer, str]]) -> None:
        if customers:
            ids = await self._insert(t.customers, [_customer_values(c, key) for c, key in customers])
            for (customer, _), new_id in zip(customers, ids, strict=True):
                customer.id = new_id

    async def add_deals(self, deals: Sequence[Deal]) -> None:
        if deals:
            rows = [{**_values(d), "status": d.status.value} for d in deals]
            for deal, new_id in zip(deals, await self._insert(t.deals, rows), strict=True):
                deal.id = new_id

    async def add_contacts(self, contacts: Sequence[tuple[Contact, Sequence[LookupKey]]]) -> None:
        if not contacts:
            return
        ids = await self._insert(t.contacts, [_contact_values(c) for c, _ in contacts])
        for (contact, _), new_id in zip(contacts, ids, strict=True):
            contact.id = new_id
        await self._keys(contacts)

    async def update_contacts(self, contacts: Sequence[tuple[Contact, Sequence[LookupKey]]]) -> None:
        if not contacts:
            return
        await self._conn.execute(
            _update_by_id(t.contacts), [{**_contact_values(c), "row_id": c.id} for c, _ in contacts]
        )
        for part in _chunks([c.id for c, _ in contacts]):
            await self._conn.execute(delete(t.contact_keys).where(t.contact_keys.c.contact_id.in_(part)))
        await self._keys(contacts)

    async def update_customers(self, customers: Sequence[tuple[Customer, str]]) -> None:
        if customers:
            await self._conn.execute(
                _update_by_id(t.customers),
                [{**_customer_values(c, key), "row_id": c.id} for c, key in customers],
            )

    async def add_interactions(self, interactions: Sequence[Interaction]) -> None:
        if interactions:
            ids = await self._insert(t.interactions, [_interaction_values(i) for i in interactions])
            for interaction, new_id in zip(interactions, ids, strict=True):
                interaction.id = new_id

    async def _keys(self, contacts: Sequence[tuple[Contact, Sequence[LookupKey]]]) -> None:
        # As ContactRepository: merged and archived contacts keep no keys.
        rows = [
            {"team_id": contact.team_id, "contact_id": contact.id, "key": encoded}
            for contact, keys in contacts
            if contact.merged_into is None and contact.archived_at is None
            for encoded in dict.fromkeys(key.encoded() for key in keys)
        ]
        if rows:
            await self._conn.execute(insert(t.contact_keys), rows)

    async def _insert(self, table: Any, rows: list[dict[str, Any]]) -> list[int]:
        """Many rows in one statement, their new ids in the order given."""
        result = await self._conn.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True), rows
        )
        return [int(new_id) for new_id in result.scalars().all()]


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
        # Only what the sheet shows: an interaction's facts can be large, and 100,000 of them add up.
        query = select(
            c.id, c.team_id, c.author_id, c.source, c.content, c.created_at, c.customer_id, c.contact_id
        ).where(c.team_id == team_id, c.id > after_id, c.undone_at.is_(None))
        if owner_id is not None:
            query = query.where(c.author_id == owner_id)
        rows = await self._conn.execute(query.order_by(c.id).limit(limit))
        return [
            Interaction(
                id=row.id,
                team_id=row.team_id,
                author_id=row.author_id,
                source=Source(row.source),
                content=row.content,
                facts={},
                created_at=row.created_at,
                customer_id=row.customer_id,
                contact_id=row.contact_id,
            )
            for row in rows
        ]

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
