"""Spreadsheet export: customers, contacts, deals and interactions as an .xlsx workbook, one sheet each.

A rep exports their own records, managers and admins their team's. Headers are in the member's
language, times in the member's timezone, stages as the team's funnel names them, phones as text.
The customers and contacts sheets use the import's columns, so that importing an export back changes
nothing; the deals and interactions sheets are records of work that an import leaves alone. Records are
read a page at a time and written as they come (memory stays flat), and every export is audited: who,
what, how many rows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from crm import audit
from crm.columns import EXPORT_LABELS, SHEET_NAMES, SOURCE_LABELS, STATUS_LABELS, Field, label, pick
from crm.errors import InputRejected
from crm.model import Contact, Customer, Deal, DealStatus, Interaction, Lang, Member
from crm.ports import Clock, UnitOfWork, UnitOfWorkFactory, WorkbookFactory, WorkbookWriter
from crm.stages import LOST, WON, Funnel, team_funnel
from crm.table import Cell

PAGE = 2_000


class Entity(StrEnum):
    CUSTOMERS = "customers"
    CONTACTS = "contacts"
    DEALS = "deals"
    INTERACTIONS = "interactions"
    ALL = "all"

    def parts(self) -> tuple[Entity, ...]:
        if self is Entity.ALL:
            return (Entity.CUSTOMERS, Entity.CONTACTS, Entity.DEALS, Entity.INTERACTIONS)
        return (self,)


@dataclass(slots=True)
class ExportResult:
    data: bytes
    file_name: str
    rows: dict[Entity, int] = field(default_factory=dict)
    team: bool = False  # the whole team's records (else the member's own)


def _columns(lang: Lang, *names: Field | str) -> list[str]:
    return [label(n, lang) if isinstance(n, Field) else pick(EXPORT_LABELS[n], lang) for n in names]


CUSTOMER_COLUMNS: tuple[Field | str, ...] = (
    "id",
    Field.COMPANY,
    Field.ADDRESS,
    Field.PROVINCE,
    Field.CITY,
    Field.DISTRICT,
    Field.OWNER,
    Field.STAGE,
    Field.BUDGET,
    Field.NEXT_FOLLOW_UP,
    "created",
    Field.UPDATED,
)
CONTACT_COLUMNS: tuple[Field | str, ...] = (
    "id",
    Field.COMPANY,
    Field.NAME,
    Field.TITLE,
    Field.PHONE,
    Field.EMAIL,
    Field.WECHAT,
    Field.ADDRESS,
    Field.PROVINCE,
    Field.CITY,
    Field.DISTRICT,
    "decision_role",
    Field.OWNER,
    "created",
    Field.UPDATED,
)
DEAL_COLUMNS: tuple[Field | str, ...] = (
    "id",
    Field.COMPANY,
    "deal",
    Field.STAGE,
    "status",
    "amount",
    Field.OWNER,
    "stage_since",
    "closed",
    "lost_reason",
    "created",
    Field.UPDATED,
)
INTERACTION_COLUMNS: tuple[Field | str, ...] = (
    "id",
    "time",
    Field.COMPANY,
    Field.NAME,
    "source",
    "content",
    "author",
)
_WIDTHS = {
    Entity.CUSTOMERS: (8, 30, 36, 10, 10, 10, 10, 14, 12, 18, 18, 18),
    Entity.CONTACTS: (8, 30, 12, 14, 20, 26, 16, 30, 10, 10, 10, 12, 10, 18, 18),
    Entity.DEALS: (8, 30, 30, 14, 10, 12, 10, 18, 18, 20, 18, 18),
    Entity.INTERACTIONS: (8, 18, 30, 12, 8, 80, 10),
}


class ExportService:
    """Exports what a member may see as an .xlsx workbook."""

    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, writer: WorkbookFactory | None, *, page: int = PAGE
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._writer = writer
        self._page = page

    async def export(self, actor: Member, what: Entity, *, via: str = "chat") -> ExportResult:
        if self._writer is None:
            raise InputRejected("export.unavailable")
        writer = self._writer()
        now = self._clock.now()
        owner = None if actor.role.sees_team else actor.id
        rows: dict[Entity, int] = {}
        async with self._uow(read_only=True) as uow:
            team = await uow.teams.get(actor.team_id)
            sheet = _Sheets(uow, actor, team_funnel(team.settings if team else {}), writer)
            await sheet.load_members()
            for part in what.parts():
                rows[part] = await sheet.write(part, owner, self._page)
        data = await asyncio.to_thread(writer.finish)
        async with self._uow() as uow:
            await audit.record(
                uow,
                actor,
                "export",
                ("team", actor.team_id),
                {
                    "what": what.value,
                    "rows": {k.value: v for k, v in rows.items()},
                    "scope": "team" if owner is None else "own",
                    "via": via,
                },
                now,
            )
            await uow.commit()
        stamp = actor.local(now).strftime("%Y%m%d-%H%M")
        return ExportResult(data, f"chatcrm-{what.value}-{stamp}.xlsx", rows, team=owner is None)


class _Sheets:
    """Writes the sheets of one export, reading a page of records at a time."""

    def __init__(self, uow: UnitOfWork, actor: Member, funnel: Funnel, writer: WorkbookWriter) -> None:
        self._uow = uow
        self._actor = actor
        self._lang = actor.lang
        self._funnel = funnel
        self._writer = writer
        self._names: dict[int, str] = {}

    async def load_members(self) -> None:
        members = await self._uow.members.in_team(self._actor.team_id)
        counts: dict[str, int] = {}
        for member in members:
            counts[member.name] = counts.get(member.name, 0) + 1
        # A name two members share is written with the id, which the import reads back ("张伟 #12").
        self._names = {m.id: m.name if counts[m.name] == 1 else f"{m.name} #{m.id}" for m in members}

    async def _member(self, member_id: int) -> str:
        if member_id not in self._names:
            member = await self._uow.members.get(member_id)
            self._names[member_id] = f"{member.name} #{member_id}" if member else f"#{member_id}"
        return self._names[member_id]

    async def write(self, part: Entity, owner: int | None, page: int) -> int:
        lang = self._lang
        header = {
            Entity.CUSTOMERS: CUSTOMER_COLUMNS,
            Entity.CONTACTS: CONTACT_COLUMNS,
            Entity.DEALS: DEAL_COLUMNS,
            Entity.INTERACTIONS: INTERACTION_COLUMNS,
        }[part]
        await asyncio.to_thread(
            self._writer.add_sheet,
            pick(SHEET_NAMES[part.value], lang),
            _columns(lang, *header),
            _WIDTHS[part],
        )
        after, total = 0, 0
        while True:
            records = await self._page(part, owner, after, page)
            if not records:
                return total
            rows = await self._rows(part, records)
            await asyncio.to_thread(self._writer.append, rows)
            total += len(rows)
            after = records[-1].id

    async def _page(
        self, part: Entity, owner: int | None, after: int, page: int
    ) -> Sequence[Customer | Contact | Deal | Interaction]:
        exports, team = self._uow.exports, self._actor.team_id
        if part is Entity.CUSTOMERS:
            return await exports.customers(team, owner, after, page)
        if part is Entity.CONTACTS:
            return await exports.contacts(team, owner, after, page)
        if part is Entity.DEALS:
            return await exports.deals(team, owner, after, page)
        return await exports.interactions(team, owner, after, page)

    async def _rows(self, part: Entity, records: Sequence[object]) -> list[list[Cell]]:
        if part is Entity.CUSTOMERS:
            return await self._customers([r for r in records if isinstance(r, Customer)])
        if part is Entity.CONTACTS:
            return await self._contacts([r for r in records if isinstance(r, Contact)])
        if part is Entity.DEALS:
            return await self._deals([r for r in records if isinstance(r, Deal)])
        return await self._interactions([r for r in records if isinstance(r, Interaction)])

    def _time(self, moment: datetime | None) -> datetime | None:
        # Spreadsheets have no timezones: the member's local time, to the second.
        return self._actor.local(moment).replace(tzinfo=None, microsecond=0) if moment else None

    def _stage(self, deal: Deal | None) -> str | None:
        if deal is None:
            return None
        if deal.status is DealStatus.WON:
            return pick(STATUS_LABELS[WON], self._lang)
        if deal.status is DealStatus.LOST:
            return pick(STATUS_LABELS[LOST], self._lang)
        stage = self._funnel.stage(deal.stage)
        return stage.name(self._lang) if stage else deal.stage

    async def _customers(self, customers: list[Customer]) -> list[list[Cell]]:
        deals = await self._uow.exports.open_deals([c.id for c in customers])
        rows: list[list[Cell]] = []
        for c in customers:
            region = c.region
            rows.append(
                [
                    c.id,
                    c.name,
                    c.address,
                    region.province if region else None,
                    region.city if region else None,
                    region.district if region else None,
                    await self._member(c.owner_id),
                    self._stage(deals.get(c.id)),
                    c.budget_cny,
                    self._time(c.next_meeting),
                    self._time(c.created_at),
                    self._time(c.updated_at),
                ]
            )
        return rows

    async def _contacts(self, contacts: list[Contact]) -> list[list[Cell]]:
        companies = await self._uow.exports.customer_names([c.customer_id for c in contacts if c.customer_id])
        rows: list[list[Cell]] = []
        for c in contacts:
            region = c.region
            rows.append(
                [
                    c.id,
                    companies.get(c.customer_id) if c.customer_id else None,
                    c.name,
                    c.title,
                    ", ".join(c.phones) or None,
                    ", ".join(c.emails) or None,
                    c.wechat_id,
                    c.address,
                    region.province if region else None,
                    region.city if region else None,
                    region.district if region else None,
                    c.decision_role.value if c.decision_role else None,
                    await self._member(c.owner_id),
                    self._time(c.created_at),
                    self._time(c.updated_at),
                ]
            )
        return rows

    async def _deals(self, deals: list[Deal]) -> list[list[Cell]]:
        companies = await self._uow.exports.customer_names([d.customer_id for d in deals])
        rows: list[list[Cell]] = []
        for d in deals:
            stage = self._funnel.stage(d.stage)
            rows.append(
                [
                    d.id,
                    companies.get(d.customer_id),
                    d.title,
                    stage.name(self._lang) if stage else d.stage,
                    pick(STATUS_LABELS[d.status.value], self._lang),
                    d.amount_cny,
                    await self._member(d.owner_id),
                    self._time(d.stage_entered_at),
                    self._time(d.closed_at),
                    d.lost_reason,
                    self._time(d.created_at),
                    self._time(d.updated_at),
                ]
            )
        return rows

    async def _interactions(self, interactions: list[Interaction]) -> list[list[Cell]]:
        companies = await self._uow.exports.customer_names(
            [i.customer_id for i in interactions if i.customer_id]
        )
        people = await self._uow.exports.contact_names([i.contact_id for i in interactions if i.contact_id])
        rows: list[list[Cell]] = []
        for i in interactions:
            source = SOURCE_LABELS.get(i.source.value)
            rows.append(
                [
                    i.id,
                    self._time(i.created_at),
                    companies.get(i.customer_id) if i.customer_id else None,
                    people.get(i.contact_id) if i.contact_id else None,
                    pick(source, self._lang) if source else i.source.value,
                    i.content,
                    await self._member(i.author_id),
                ]
            )
        return rows
