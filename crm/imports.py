"""Spreadsheet import: customers and their contacts from an .xlsx, .xls or .csv file.

The file is read and every row checked outside any transaction (crm.rows). Then each row goes through
the matcher a capture uses (phone, e-mail, WeChat id, fuzzy name and company; crm.dedup):

- no match: the customer (with its first deal) and the contact are created; a fuzzy match between 75
  and 88 is created and flagged for /review;
- exactly one match: the mode decides (crm.model.ImportMode). `update` fills the record's empty fields
  (and replaces filled ones only when the row's "updated" time is newer than the record's); `skip`
  leaves it; `create` fails the row. A row matching a record this import created earlier (a row
  repeated in the file) fills that record in every mode: rows that duplicate each other become one;
- several matches: the row fails with the candidates' ids.

Nothing is ever deleted or merged. Rows are written in chunks of 1,000, one transaction each, under
one audit entry whose field journal (crm.journal) undo takes back as a whole: the records the import
created are archived and the fields it filled restored, where nothing changed since. A dry run does the
same work in one transaction that is rolled back, so it reports exactly what the import would do.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from crm import audit, journal
from crm.capture import CANDIDATE_LIMIT, TYPO_CANDIDATE_LIMIT
from crm.columns import HEADER_SCAN_ROWS, NOT_IMPORTED, Layout, find_layout, fold
from crm.dedup import Fingerprint, Match, MatchKind, all_matches
from crm.errors import InputRejected, NotAllowed, NotFound, StorageError
from crm.journal import Journal, Undone
from crm.model import (
    Contact,
    Customer,
    Deal,
    DealStatus,
    DuplicateFlag,
    DuplicateKind,
    DuplicateStatus,
    ImportMode,
    ImportRun,
    ImportStatus,
    Interaction,
    Member,
    Reminder,
    ReminderKind,
    ReminderStatus,
    Role,
    Source,
    StageChange,
)
from crm.ports import (
    Clock,
    Normalizer,
    OwnerRouter,
    SpreadsheetReader,
    UnitOfWork,
    UnitOfWorkFactory,
)
from crm.records import can_see, contact_keys, open_deal, sees_contact
from crm.rows import Row, RowProblem, RowReader, RowRejected, is_blank
from crm.stages import FIRST_STAGE_KEY, LOST, WON, Funnel, team_funnel
from crm.table import Cell

logger = logging.getLogger(__name__)

MAX_ROWS = 10_000
CHUNK_ROWS = 1_000
ACTION = "import"
_NUMBERED = re.compile(r"#\s*(\d+)\s*$")
UNDO_ACTION = "import.undone"
NOTE_KEY_PREFIX = "import-note:"


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"  # a matched record got values from the row
    UNCHANGED = "unchanged"  # matched, and the row had nothing it lacked
    SKIPPED = "skipped"  # matched, mode skip
    MERGED = "merged"  # repeated an earlier row of the file: its values went to that row's record
    FAILED = "failed"


# Reports rows done of the total, between chunks (after each commit).
ImportProgress = Callable[[int, int], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Failure:
    """A row that was not imported, with its reason and its cells as read (for the error file)."""

    sheet: str
    line: int
    problem: RowProblem
    cells: list[Cell]


@dataclass(slots=True)
class Parsed:
    """A file read and checked: its importable sheets' layouts, and each data row read or failed."""

    layouts: list[Layout]
    rows: list[Row | Failure]
    skipped_sheets: list[str] = field(default_factory=list)

    @property
    def unknown_columns(self) -> list[str]:
        return list(dict.fromkeys(name for layout in self.layouts for name in layout.unknown))


@dataclass(slots=True)
class ImportResult:
    file_name: str
    mode: ImportMode
    dry_run: bool
    total: int
    counts: dict[Outcome, int]
    flagged: int
    failures: list[Failure]
    layouts: list[Layout]
    unknown_columns: list[str]
    skipped_sheets: list[str] = field(default_factory=list)
    run_id: int | None = None
    status: ImportStatus = ImportStatus.DONE
    done: int = 0  # rows handled (less than total when the import stopped part way)
    stages_kept: int = 0  # rows whose stage differed from the deal's and was left (see `_deal`)

    def count(self, outcome: Outcome) -> int:
        return self.counts.get(outcome, 0)


@dataclass(slots=True)
class ImportUndoResult:
    run: ImportRun
    undone: Undone


class ImporterOwns:
    """The default owner routing: whoever imports owns what they import."""

    async def owner(self, uow: UnitOfWork, importer: Member, customer: Customer) -> int:
        return importer.id


@dataclass(slots=True)
class _Context:
    """What one import knows while it runs."""

    actor: Member
    mode: ImportMode
    funnel: Funnel
    members: dict[str, list[Member]]
    now: datetime
    default_owner: int | None
    anchor: Interaction | None = None
    created_contacts: dict[int, int] = field(default_factory=dict)  # contact id -> the row that made it
    created_customers: dict[int, int] = field(default_factory=dict)
    counts: dict[Outcome, int] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    flags: list[int] = field(default_factory=list)
    reminders: list[int] = field(default_factory=list)
    stages_kept: int = 0
    done: int = 0

    def tally(self, outcome: Outcome) -> None:
        self.counts[outcome] = self.counts.get(outcome, 0) + 1


class ImportService:
    """Imports spreadsheets of customers and contacts, and undoes an import as a whole."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        normalizer: Normalizer,
        reader: SpreadsheetReader | None,
        router: OwnerRouter | None = None,
        *,
        max_rows: int = MAX_ROWS,
        chunk_rows: int = CHUNK_ROWS,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._normalizer = normalizer
        self._reader = reader
        self._router: OwnerRouter = router or ImporterOwns()
        self.max_rows = max_rows
        self._chunk_rows = chunk_rows

    # --- reading ------------------------------------------------------------------------------------

    async def read(self, actor: Member, data: bytes, name: str) -> Parsed:
        """Reads and checks a file; raises InputRejected (with the exact reason) for a file that cannot
        be imported at all: unreadable, too large, more than `max_rows` rows, or no sheet with a company
        or contact name column."""
        if self._reader is None:
            raise InputRejected("import.unavailable")
        reader = self._reader
        # A title and a header above the data do not count against the limit.
        budget = self.max_rows + HEADER_SCAN_ROWS + 2
        try:
            sheets = await asyncio.to_thread(reader.read, data, name, budget)
        except InputRejected as exc:
            if exc.key == "import.too_many_rows":
                raise InputRejected("import.too_many_rows", limit=self.max_rows) from exc
            raise
        async with self._uow(read_only=True) as uow:
            team = await uow.teams.get(actor.team_id)
        funnel = team_funnel(team.settings if team else {})
        parsed = Parsed([], [])
        headers_seen: list[str] = []
        for sheet in sheets:
            if fold(sheet.name) in NOT_IMPORTED:
                # An export's deals and interactions: records of work, not customers to import.
                parsed.skipped_sheets.append(sheet.name)
                continue
            layout = find_layout(sheet)
            if layout is None or not layout.importable:
                if any(sheet.rows):
                    parsed.skipped_sheets.append(sheet.name)
                    if layout is not None:
                        headers_seen += [h for h in layout.headers if h]
                    elif sheet.rows:
                        headers_seen += [str(c) for c in sheet.rows[0] if c not in (None, "")]
                continue
            parsed.layouts.append(layout)
            rows = RowReader(layout, self._normalizer, funnel, actor.tz)
            for index in range(layout.data_from, len(sheet.rows)):
                cells = sheet.rows[index]
                if is_blank(cells):
                    continue
                try:
                    parsed.rows.append(rows.read(index + 1, cells))
                except RowRejected as exc:
                    parsed.rows.append(Failure(sheet.name, index + 1, exc.problem, cells))
        if not parsed.layouts:
            shown = "、".join(dict.fromkeys(headers_seen[:12])) or "—"
            raise InputRejected("import.no_columns", found=shown)
        if len(parsed.rows) > self.max_rows:
            raise InputRejected("import.too_many_rows", limit=self.max_rows)
        return parsed

    # --- importing ------------------------------------------------------------------------------------

    async def run(
        self,
        actor: Member,
        data: bytes,
        name: str,
        *,
        mode: ImportMode = ImportMode.UPDATE,
        dry_run: bool = False,
        default_owner: int | None = None,
        progress: ImportProgress | None = None,
    ) -> ImportResult:
        """Imports a file for `actor` (a rep only for themselves). Rows without an owner go to
        `default_owner` when given, else through the owner router. A dry run writes nothing."""
        parsed = await self.read(actor, data, name)
        async with self._uow(read_only=True) as uow:
            members = await uow.members.in_team(actor.team_id)
            team = await uow.teams.get(actor.team_id)
        if default_owner is not None and all(m.id != default_owner for m in members):
            raise NotFound("import.owner_not_member")
        by_name: dict[str, list[Member]] = {}
        for member in members:
            by_name.setdefault(fold(member.name), []).append(member)
            by_name.setdefault(str(member.id), []).append(member)
        ctx = _Context(
            actor=actor,
            mode=mode,
            funnel=team_funnel(team.settings if team else {}),
            members=by_name,
            now=self._clock.now(),
            default_owner=default_owner,
        )
        rows = parsed.rows
        chunks = [rows[i : i + self._chunk_rows] for i in range(0, len(rows), self._chunk_rows)]
        result = ImportResult(
            file_name=name,
            mode=mode,
            dry_run=dry_run,
            total=len(rows),
            counts=ctx.counts,
            flagged=0,
            failures=ctx.failures,
            layouts=parsed.layouts,
            unknown_columns=parsed.unknown_columns,
            skipped_sheets=parsed.skipped_sheets,
        )
        if dry_run:
            async with self._uow() as uow:
                for chunk in chunks:
                    await self._chunk(uow, ctx, chunk, Journal())
                # Never committed: leaving the unit of work rolls every write back.
        else:
            run = await self._start(actor, data, name, mode, len(rows), ctx)
            result.run_id = run.id
            try:
                for chunk in chunks:
                    async with self._uow() as uow:
                        changes = Journal()
                        await self._chunk(uow, ctx, chunk, changes)
                        assert run.audit_id is not None
                        await uow.journal.add(actor.team_id, run.audit_id, changes.changes())
                        self._settle(run, ctx, ImportStatus.RUNNING)
                        await uow.imports.update(run)
                        await uow.commit()
                    if progress is not None:
                        await progress(ctx.done, len(rows))
            except StorageError:
                logger.exception("import %s stopped after %s of %s rows", run.id, ctx.done, len(rows))
                result.status = ImportStatus.FAILED
                await self._finish(run, ctx, ImportStatus.FAILED)
            else:
                await self._finish(run, ctx, ImportStatus.DONE)
        result.flagged = len(ctx.flags)
        result.done = ctx.done
        result.stages_kept = ctx.stages_kept
        return result

    async def _start(
        self, actor: Member, data: bytes, name: str, mode: ImportMode, rows: int, ctx: _Context
    ) -> ImportRun:
        """The import's row, its audit entry and the interaction its reminders hang on, committed
        before the first chunk so that a stop part way leaves an import that can be undone."""
        async with self._uow() as uow:
            run = await uow.imports.add(
                ImportRun(
                    id=0,
                    team_id=actor.team_id,
                    file_name=name[:300],
                    sha256=hashlib.sha256(data).hexdigest(),
                    mode=mode,
                    status=ImportStatus.RUNNING,
                    created_at=ctx.now,
                    actor_id=actor.id,
                    rows=rows,
                )
            )
            changes = Journal()
            anchor = await uow.interactions.add(
                Interaction(
                    id=0,
                    team_id=actor.team_id,
                    author_id=actor.id,
                    source=Source.DOCUMENT,
                    content=name[:300],
                    facts={"import": run.id},
                    created_at=ctx.now,
                )
            )
            changes.created(anchor)
            ctx.anchor = anchor
            entry = await audit.record(
                uow,
                actor,
                ACTION,
                ("import", run.id),
                {"file": name[:300], "mode": mode.value, "rows": rows},
                ctx.now,
                changes,
            )
            run.audit_id = entry.id
            run.detail = {"interaction": anchor.id}
            await uow.imports.update(run)
            await uow.commit()
        return run

    def _settle(self, run: ImportRun, ctx: _Context, status: ImportStatus) -> None:
        run.status = status
        run.counts = {outcome.value: n for outcome, n in ctx.counts.items()}
        run.counts["flagged"] = len(ctx.flags)
        run.counts["done"] = ctx.done
        run.detail = {**run.detail, "flags": ctx.flags, "reminders": ctx.reminders}

    async def _finish(self, run: ImportRun, ctx: _Context, status: ImportStatus) -> None:
        async with self._uow() as uow:
            self._settle(run, ctx, status)
            run.finished_at = self._clock.now()
            await uow.imports.update(run)
            await uow.commit()

    async def _chunk(
        self, uow: UnitOfWork, ctx: _Context, rows: Sequence[Row | Failure], changes: Journal
    ) -> None:
        for row in rows:
            ctx.done += 1
            if isinstance(row, Failure):
                ctx.failures.append(row)
                ctx.tally(Outcome.FAILED)
                continue
            try:
                outcome = await self._row(uow, ctx, row, changes)
            except RowRejected as exc:
                ctx.failures.append(Failure(row.sheet, row.line, exc.problem, row.cells))
                outcome = Outcome.FAILED
            ctx.tally(outcome)

    # --- one row --------------------------------------------------------------------------------------

    async def _row(self, uow: UnitOfWork, ctx: _Context, row: Row, changes: Journal) -> Outcome:
        owner = self._owner(ctx, row)
        team_id = ctx.actor.team_id
        review: Match | None = None
        if row.has_contact:
            probe = Fingerprint(
                phones=tuple(row.phones),
                emails=tuple(row.emails),
                wechat_id=row.wechat,
                name_key=self._normalizer.person_key(row.name) if row.name else "",
                company_key=self._normalizer.company_key(row.company) if row.company else "",
            )
            matches, by_id = await self._matches(uow, team_id, probe)
            strong = [m for m in matches if m.kind in (MatchKind.EXACT, MatchKind.PROPOSE)]
            if len(strong) > 1:
                raise RowRejected("import.row.several_matches", ids=_ids(m.contact_id for m in strong))
            if strong:
                contact = by_id[strong[0].contact_id]
                customer = await uow.customers.get(contact.customer_id) if contact.customer_id else None
                return await self._existing(uow, ctx, row, contact, customer, changes)
            review = matches[0] if matches else None
        customer = await self._customer_by_name(uow, ctx, row)
        if customer is not None and not row.has_contact:
            return await self._existing(uow, ctx, row, None, customer, changes)
        created_customer = customer is None
        if customer is None:
            customer = await self._new_customer(uow, ctx, row, owner, changes)
        elif ctx.mode is ImportMode.UPDATE or customer.id in ctx.created_customers:
            changes.track(customer)
            meeting = customer.next_meeting
            if self._fill_customer(customer, row):
                await self._save_customer(uow, ctx, customer)
                if customer.next_meeting != meeting:
                    await self._follow_up(uow, ctx, customer)
        # A row naming only a company is a customer without a contact.
        made: Contact | None = None
        if row.has_contact:
            made = await self._new_contact(uow, ctx, row, customer, owner, changes)
        if row.notes:
            await self._note(uow, ctx, row, customer, made, changes)
        if review is not None and made is not None:
            await self._flag(uow, ctx, made, review)
        if created_customer:
            ctx.created_customers[customer.id] = row.line
        if made is not None:
            ctx.created_contacts[made.id] = row.line
        return Outcome.CREATED

    def _owner(self, ctx: _Context, row: Row) -> int | None:
        """The member the row's owner column names (checked before anything is written)."""
        if not row.owner:
            return None
        said = row.owner.strip()
        # "张伟 #12" (how an export names a member whose name another shares), "#12", or a name.
        numbered = _NUMBERED.search(said)
        found = ctx.members.get(numbered[1] if numbered else fold(said)) or []
        if not found:
            raise RowRejected("import.row.owner_unknown", value=row.owner)
        if len({m.id for m in found}) > 1:
            raise RowRejected("import.row.owner_ambiguous", value=row.owner)
        member = found[0]
        if ctx.actor.role is Role.REP and member.id != ctx.actor.id:
            raise RowRejected("import.row.owner_not_allowed", value=row.owner)
        return member.id

    async def _matches(
        self, uow: UnitOfWork, team_id: int, probe: Fingerprint
    ) -> tuple[list[Match], dict[int, Contact]]:
        """Every contact the row matches, looked up as a capture looks up a duplicate: exact and
        selective keys first, the coarse typo key only when those found nothing."""
        seen: dict[int, Contact] = {}
        phases = [
            (probe.exact_keys() + probe.blocking_keys(), CANDIDATE_LIMIT),
            (probe.typo_keys(), TYPO_CANDIDATE_LIMIT),
        ]
        for keys, limit in phases:
            if not keys:
                continue
            candidates = await uow.contacts.candidates(team_id, keys, limit)
            if not candidates:
                continue
            seen.update((contact.id, contact) for contact, _ in candidates)
            matches = all_matches(probe, [(c.id, Fingerprint.from_keys(k)) for c, k in candidates])
            if matches:
                return matches, seen
        return [], seen

    async def _customer_by_name(self, uow: UnitOfWork, ctx: _Context, row: Row) -> Customer | None:
        if not row.company:
            return None
        key = self._normalizer.company_key(row.company)
        if not key:
            return None
        found = await uow.customers.by_name_key(ctx.actor.team_id, key)
        if len(found) > 1:
            raise RowRejected("import.row.several_customers", ids=_ids(c.id for c in found))
        if not found:
            return None
        customer = found[0]
        if not can_see(ctx.actor, customer.owner_id, customer.team_id):
            raise RowRejected("import.row.colleague")
        return customer

    async def _existing(
        self,
        uow: UnitOfWork,
        ctx: _Context,
        row: Row,
        contact: Contact | None,
        customer: Customer | None,
        changes: Journal,
    ) -> Outcome:
        """A row that matched a contact (and its customer), or a company-only row that matched a
        customer."""
        ours = (
            (contact.id in ctx.created_contacts)
            if contact
            else (customer is not None and customer.id in ctx.created_customers)
        )
        if contact is not None and not sees_contact(ctx.actor, contact, customer):
            raise RowRejected("import.row.colleague")
        if (
            contact is None
            and customer is not None
            and not can_see(ctx.actor, customer.owner_id, customer.team_id)
        ):
            raise RowRejected("import.row.colleague")
        if not ours:
            if ctx.mode is ImportMode.CREATE:
                target = contact.id if contact else customer.id if customer else 0
                raise RowRejected("import.row.exists", ids=_ids([target]))
            if ctx.mode is ImportMode.SKIP:
                return Outcome.SKIPPED
        contact_changed = False
        if contact is not None:
            changes.track(contact)
            if customer is None and row.company:
                customer = await self._customer_by_name(uow, ctx, row)
                if customer is None:
                    customer = await self._new_customer(uow, ctx, row, contact.owner_id, changes)
                    ctx.created_customers[customer.id] = row.line
                contact.customer_id = customer.id
                contact_changed = True
            contact_changed = self._fill_contact(contact, row) or contact_changed
        customer_changed = False
        if customer is not None:
            changes.track(customer)
            name, meeting = customer.name, customer.next_meeting
            if self._fill_customer(customer, row):
                await self._save_customer(uow, ctx, customer)
                customer_changed = True
                # A contact's dedup keys hold its company's name.
                contact_changed = contact_changed or (contact is not None and customer.name != name)
                if customer.next_meeting != meeting:
                    await self._follow_up(uow, ctx, customer)
            customer_changed = await self._deal(uow, ctx, row, customer, changes) or customer_changed
        if contact is not None and contact_changed:
            contact.updated_at = ctx.now
            await uow.contacts.update(
                contact, contact_keys(self._normalizer, contact, customer.name if customer else None)
            )
        noted = False
        if row.notes and customer is not None:
            noted = await self._note(uow, ctx, row, customer, contact, changes)
        changed = contact_changed or customer_changed or noted
        if ours:
            return Outcome.MERGED
        return Outcome.UPDATED if changed else Outcome.UNCHANGED

    # --- filling ----------------------------------------------------------------------------------------

    def _fill_contact(self, contact: Contact, row: Row) -> bool:
        """Empty fields take the row's values; filled ones only when the row is newer. Phones and
        e-mails are added to, never removed."""
        newer = row.updated is not None and row.updated > contact.updated_at
        before = (contact.name, contact.title, contact.wechat_id, contact.address, contact.region)
        contact.name = _pick(contact.name, row.name, newer)
        contact.title = _pick(contact.title, row.title, newer)
        contact.wechat_id = _pick(contact.wechat_id, row.wechat, newer)
        contact.address = _pick(contact.address, row.address, newer)
        contact.region = _pick(contact.region, row.region, newer)
        phones = [p for p in row.phones if p not in contact.phones]
        known = {e.lower() for e in contact.emails}
        emails = [e for e in row.emails if e.lower() not in known]
        contact.phones = [*contact.phones, *phones]
        contact.emails = [*contact.emails, *emails]
        after = (contact.name, contact.title, contact.wechat_id, contact.address, contact.region)
        return before != after or bool(phones or emails)

    def _fill_customer(self, customer: Customer, row: Row) -> bool:
        newer = row.updated is not None and row.updated > customer.updated_at
        before = (
            customer.name,
            customer.address,
            customer.region,
            customer.budget_cny,
            customer.next_meeting,
        )
        customer.name = customer.name or row.company
        customer.address = _pick(customer.address, row.address if not row.has_contact else None, newer)
        customer.region = _pick(customer.region, row.region if not row.has_contact else None, newer)
        if row.budget is not None and (
            customer.budget_cny is None or (newer and customer.budget_cny != row.budget)
        ):
            customer.budget_cny = row.budget
            customer.budget_min_cny = None
        customer.next_meeting = _pick(customer.next_meeting, row.next_follow_up, newer)
        after = (customer.name, customer.address, customer.region, customer.budget_cny, customer.next_meeting)
        return after != before

    async def _save_customer(self, uow: UnitOfWork, ctx: _Context, customer: Customer) -> None:
        customer.updated_at = ctx.now
        key = self._normalizer.company_key(customer.name) if customer.name else ""
        await uow.customers.update(customer, key)

    async def _deal(
        self, uow: UnitOfWork, ctx: _Context, row: Row, customer: Customer, changes: Journal
    ) -> bool:
        """The customer's open deal takes the row's stage when the row is newer and the member may move
        deals past their gates (managers and admins, recorded as an override with the reason "import");
        otherwise a different stage is left, and counted. (The budget column is the customer's; a deal's
        amount comes from it only when the import opens the deal.)"""
        deal = await open_deal(uow, customer.id)
        if deal is None or not row.stage or row.stage == deal.stage:
            return False
        changes.track(deal)
        changed = False
        newer = row.updated is not None and row.updated > deal.updated_at
        if row.stage and row.stage != deal.stage:
            if newer and ctx.actor.role.sees_team:
                await self._move(uow, ctx, deal, row.stage)
                changed = True
            else:
                ctx.stages_kept += 1
        if changed:
            deal.updated_at = ctx.now
            await uow.deals.update(deal)
        return changed

    async def _move(self, uow: UnitOfWork, ctx: _Context, deal: Deal, goal: str) -> None:
        before_stage, before_status = deal.stage, deal.status
        if goal == WON:
            deal.status, deal.closed_at = DealStatus.WON, ctx.now
        elif goal == LOST:
            deal.status, deal.closed_at = DealStatus.LOST, ctx.now
        else:
            deal.stage, deal.stage_entered_at = goal, ctx.now
        await uow.stage_changes.add(
            StageChange(
                id=0,
                team_id=deal.team_id,
                deal_id=deal.id,
                to_stage=goal,
                to_status=deal.status,
                created_at=ctx.now,
                actor_id=ctx.actor.id,
                from_stage=before_stage,
                from_status=before_status,
                override_reason="import",
            )
        )

    # --- creating ---------------------------------------------------------------------------------------

    async def _new_customer(
        self, uow: UnitOfWork, ctx: _Context, row: Row, owner: int | None, changes: Journal
    ) -> Customer:
        region = row.region
        if region is None and row.address:
            region = self._normalizer.region(row.address)
        customer = Customer(
            id=0,
            team_id=ctx.actor.team_id,
            owner_id=0,
            name=row.company,
            created_at=ctx.now,
            updated_at=ctx.now,
            address=row.address if not row.has_contact or row.company else None,
            region=region,
            budget_cny=row.budget,
            next_meeting=row.next_follow_up,
        )
        if owner is None:
            owner = ctx.default_owner
        if owner is None:
            owner = await self._router.owner(uow, ctx.actor, customer)
        customer.owner_id = owner
        key = self._normalizer.company_key(customer.name) if customer.name else ""
        await uow.customers.add(customer, key)
        changes.created(customer)
        stage = row.stage if row.stage and ctx.funnel.stage(row.stage) else FIRST_STAGE_KEY
        status = {WON: DealStatus.WON, LOST: DealStatus.LOST}.get(row.stage or "", DealStatus.OPEN)
        deal = await uow.deals.add(
            Deal(
                id=0,
                team_id=customer.team_id,
                customer_id=customer.id,
                owner_id=owner,
                title=customer.name or row.name or "",
                stage=stage,
                status=status,
                stage_entered_at=ctx.now,
                created_at=ctx.now,
                updated_at=ctx.now,
                amount_cny=row.budget,
                closed_at=ctx.now if status is not DealStatus.OPEN else None,
            )
        )
        changes.created(deal)
        await self._follow_up(uow, ctx, customer)
        return customer

    async def _new_contact(
        self,
        uow: UnitOfWork,
        ctx: _Context,
        row: Row,
        customer: Customer,
        owner: int | None,
        changes: Journal,
    ) -> Contact:
        region = row.region
        if region is None and row.address:
            region = self._normalizer.region(row.address)
        contact = Contact(
            id=0,
            team_id=ctx.actor.team_id,
            owner_id=owner if owner is not None else customer.owner_id,
            customer_id=customer.id,
            name=row.name,
            created_at=ctx.now,
            updated_at=ctx.now,
            title=row.title,
            phones=list(row.phones),
            emails=list(row.emails),
            wechat_id=row.wechat,
            address=row.address,
            region=region,
        )
        await uow.contacts.add(contact, contact_keys(self._normalizer, contact, customer.name))
        changes.created(contact)
        return contact

    async def _note(
        self,
        uow: UnitOfWork,
        ctx: _Context,
        row: Row,
        customer: Customer,
        contact: Contact | None,
        changes: Journal,
    ) -> bool:
        """The row's notes and unknown columns as a note on the record, once: the same text on the same
        record is not added again (importing a file twice adds nothing)."""
        text = row.notes or ""
        digest = hashlib.sha256(
            f"{ctx.actor.team_id}|{customer.id}|{contact.id if contact else ''}|{text}".encode()
        ).hexdigest()
        key = f"{NOTE_KEY_PREFIX}{digest[:48]}"
        existing = await uow.interactions.by_external_key(key)
        if existing is not None:
            if existing.undone_at is None:
                return False
            changes.track(existing)
            existing.undone_at = None
            await uow.interactions.update(existing)
            return True
        note = await uow.interactions.add(
            Interaction(
                id=0,
                team_id=ctx.actor.team_id,
                author_id=ctx.actor.id,
                source=Source.NOTE,
                content=text,
                facts={"import": True},
                created_at=ctx.now,
                customer_id=customer.id,
                contact_id=contact.id if contact else None,
                external_key=key,
            )
        )
        changes.created(note)
        return True

    async def _follow_up(self, uow: UnitOfWork, ctx: _Context, customer: Customer) -> None:
        """A reminder for the owner when the row names a follow-up still ahead."""
        if customer.next_meeting is None or customer.next_meeting <= ctx.now:
            return
        reminder = await uow.reminders.add(
            Reminder(
                id=0,
                team_id=customer.team_id,
                member_id=customer.owner_id,
                kind=ReminderKind.FOLLOW_UP,
                text=customer.name or "",
                due_at=customer.next_meeting,
                status=ReminderStatus.PENDING,
                created_at=ctx.now,
                customer_id=customer.id,
                interaction_id=ctx.anchor.id if ctx.anchor else None,
            )
        )
        if ctx.anchor is not None:
            ctx.reminders.append(reminder.id)

    async def _flag(self, uow: UnitOfWork, ctx: _Context, contact: Contact, match: Match) -> None:
        flag = await uow.duplicates.add(
            DuplicateFlag(
                id=0,
                team_id=ctx.actor.team_id,
                kind=DuplicateKind.REVIEW,
                contact_id=contact.id,
                candidate_id=match.contact_id,
                score=match.score,
                status=DuplicateStatus.OPEN,
                created_at=ctx.now,
            )
        )
        ctx.flags.append(flag.id)

    async def funnel(self, team_id: int) -> Funnel:
        async with self._uow(read_only=True) as uow:
            team = await uow.teams.get(team_id)
        return team_funnel(team.settings if team else {})

    # --- undo -----------------------------------------------------------------------------------------

    async def recent(self, actor: Member, limit: int = 5) -> list[ImportRun]:
        async with self._uow(read_only=True) as uow:
            runs = await uow.imports.recent(actor.team_id, limit * 4)
        return [r for r in runs if actor.role.sees_team or r.actor_id == actor.id][:limit]

    async def undo(self, actor: Member, run_id: int) -> ImportUndoResult:
        """Takes an import back as a whole: the records it created are archived, the fields it filled
        restored, where nothing changed since (what changed is kept and listed); its reminders are
        cancelled and its review flags dismissed."""
        now = self._clock.now()
        async with self._uow() as uow:
            run = await uow.imports.get(run_id)
            if run is None or run.team_id != actor.team_id:
                raise NotFound("import.not_found")
            if run.actor_id != actor.id and not actor.role.sees_team:
                raise NotAllowed()
            if run.status is ImportStatus.UNDONE:
                raise InputRejected("import.already_undone")
            if run.status is ImportStatus.RUNNING and run.finished_at is None and run.audit_id is None:
                raise InputRejected("import.running")
            entry = next(
                (e for e in await uow.audit.for_target("import", run.id) if e.action == ACTION), None
            )
            changes = await uow.journal.for_operation(entry.id) if entry is not None else []
            own = {c.record_id for c in changes if c.record_type == "interaction" and c.field is None}
            undone = await journal.undo(
                uow, changes, normalizer=self._normalizer, now=now, operation=entry, own_interactions=own
            )
            anchor = run.detail.get("interaction")
            if isinstance(anchor, int):
                for reminder in await uow.reminders.for_interaction(anchor):
                    if reminder.status in (ReminderStatus.PENDING, ReminderStatus.DELIVERED):
                        reminder.status = ReminderStatus.CANCELLED
                        await uow.reminders.update(reminder)
            for flag_id in run.detail.get("flags") or []:
                flag = await uow.duplicates.get(int(flag_id))
                if flag is not None and flag.status is DuplicateStatus.OPEN:
                    flag.status = DuplicateStatus.DISMISSED
                    await uow.duplicates.update(flag)
            run.status = ImportStatus.UNDONE
            run.undone_at = now
            await uow.imports.update(run)
            await audit.record(
                uow,
                actor,
                UNDO_ACTION,
                ("import", run.id),
                {"kept": len(undone.kept), "archived": len(undone.archived)},
                now,
                undone.journal,
            )
            await uow.commit()
        return ImportUndoResult(run, undone)


def _pick(current: Any, value: Any, newer: bool) -> Any:
    """A field's value after an import: the row's when the field is empty, or when the row is newer."""
    if value is None or value == "":
        return current
    if current is None or current == "" or newer:
        return value
    return current


def _ids(ids: Any) -> str:
    return ", ".join(f"#{i}" for i in ids)


__all__ = [
    "CHUNK_ROWS",
    "MAX_ROWS",
    "Failure",
    "ImportProgress",
    "ImportResult",
    "ImportService",
    "ImportUndoResult",
    "ImporterOwns",
    "Outcome",
    "Parsed",
]
