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
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import PurePosixPath
from typing import Any

from crm import audit, files, journal
from crm.columns import HEADER_SCAN_ROWS, NOT_IMPORTED, Layout, find_layout, fold
from crm.dedup import Fingerprint, LookupKey, Match, MatchKind, all_matches
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
    BlobStore,
    Clock,
    Normalizer,
    OwnerRouter,
    SpreadsheetReader,
    UnitOfWork,
    UnitOfWorkFactory,
)
from crm.records import can_see, contact_keys, sees_contact
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
RUN_KEY_PREFIX = "import-run:"
# How far back an import's key is looked for: a redelivered confirmation comes minutes later, not after
# this many imports of the team.
KEYED_RUNS_SCANNED = 50
_MIMES = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xls": "application/vnd.ms-excel",
    ".csv": "text/csv",
}


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
    # The import under this key had run before (a confirmation handled again): its counts, nothing new.
    replayed: bool = False

    def count(self, outcome: Outcome) -> int:
        return self.counts.get(outcome, 0)


@dataclass(frozen=True, slots=True)
class KeptFile:
    """A spreadsheet kept until the member says what it is for (a channel without captions)."""

    sha256: str
    size: int
    mime: str
    name: str | None


@dataclass(slots=True)
class ImportUndoResult:
    run: ImportRun
    undone: Undone


class ImporterOwns:
    """The default owner routing: whoever imports owns what they import."""

    async def route(
        self,
        uow: UnitOfWork,
        importer: Member,
        customer: Customer,
        contact: Contact | None,
        origin: str,
        at: datetime,
    ) -> int:
        return customer.owner_id


@dataclass(slots=True)
class _Context:
    """What one import knows while it runs."""

    actor: Member
    mode: ImportMode
    funnel: Funnel
    members: dict[str, list[Member]]
    now: datetime
    default_owner: int | None
    file_name: str = ""
    dry_run: bool = False
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

    def ours(self, record: Contact | Customer, batch: _Batch) -> bool:
        """Whether this import made the record (an earlier row of the same file)."""
        if batch.is_new(record):
            return True
        made = self.created_contacts if isinstance(record, Contact) else self.created_customers
        return record.id in made


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
        blobs: BlobStore | None = None,
        max_rows: int = MAX_ROWS,
        chunk_rows: int = CHUNK_ROWS,
    ) -> None:
        self._uow = uow
        self._blobs = blobs
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
        key: str | None = None,
    ) -> ImportResult:
        """Imports a file for `actor` (a rep only for themselves). Rows without an owner go to
        `default_owner` when given, else through the owner router. A dry run writes nothing.

        With `key` (one confirmation of one file) the import runs once: the same key again returns the
        finished import's counts (`replayed`), or goes on where a stopped attempt left off (each chunk
        commits the rows done with it)."""
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
            file_name=name,
            dry_run=dry_run,
        )
        rows = parsed.rows
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
            chunks = [rows[i : i + self._chunk_rows] for i in range(0, len(rows), self._chunk_rows)]
            async with self._uow() as uow:
                for chunk in chunks:
                    await self._chunk(uow, ctx, chunk, Journal())
                    if progress is not None:
                        await progress(ctx.done, len(rows))
                # Never committed: leaving the unit of work rolls every write back.
        else:
            run = await self._start(actor, data, name, mode, len(rows), ctx, key)
            result.run_id = run.id
            # A stopped attempt under the same key committed its first `ctx.done` rows.
            start = ctx.done
            chunks = [rows[i : i + self._chunk_rows] for i in range(start, len(rows), self._chunk_rows)]
            if run.status is not ImportStatus.RUNNING:
                result.replayed = True
                failed = run.status is ImportStatus.FAILED
                result.status = ImportStatus.FAILED if failed else ImportStatus.DONE
                chunks = []
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
                if not result.replayed:
                    await self._finish(run, ctx, ImportStatus.DONE)
        result.flagged = len(ctx.flags)
        result.done = ctx.done
        result.stages_kept = ctx.stages_kept
        return result

    async def _start(
        self,
        actor: Member,
        data: bytes,
        name: str,
        mode: ImportMode,
        rows: int,
        ctx: _Context,
        key: str | None = None,
    ) -> ImportRun:
        """The import's row, its audit entry and the interaction its reminders hang on, committed
        before the first chunk so that a stop part way leaves an import that can be undone. Under a key
        an earlier import has: that import, with `ctx` where it stopped."""
        async with self._uow() as uow:
            if key is not None:
                earlier = await self._keyed(uow, actor.team_id, key)
                if earlier is not None:
                    await self._resume(uow, earlier, ctx)
                    return earlier
                # In the run's own transaction: two attempts under one key cannot both start.
                await uow.processed.add([RUN_KEY_PREFIX + key])
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
            run.detail = {"interaction": anchor.id, **({"key": key} if key is not None else {})}
            await uow.imports.update(run)
            await uow.commit()
        return run

    async def _keyed(self, uow: UnitOfWork, team_id: int, key: str) -> ImportRun | None:
        if not await uow.processed.seen([RUN_KEY_PREFIX + key]):
            return None
        for run in await uow.imports.recent(team_id, KEYED_RUNS_SCANNED):
            if run.detail.get("key") == key:
                return run
        raise InputRejected("import.running")

    async def _resume(self, uow: UnitOfWork, run: ImportRun, ctx: _Context) -> None:
        """`ctx` as the import under `run` left it: counts, rows done, flags, reminders, anchor. (The
        failed rows' reasons of the part done are not kept: only their count is.)"""
        known = {o.value: o for o in Outcome}
        ctx.counts.update({known[k]: int(v) for k, v in run.counts.items() if k in known})
        ctx.done = int(run.counts.get("done", 0))
        ctx.flags.extend(int(f) for f in run.detail.get("flags") or [])
        ctx.reminders.extend(int(r) for r in run.detail.get("reminders") or [])
        anchor = run.detail.get("interaction")
        if isinstance(anchor, int):
            ctx.anchor = await uow.interactions.get(anchor)

    # --- a file kept until the member says what it is for --------------------------------------------

    async def keep(self, actor: Member, data: bytes, name: str) -> int:
        """Stores a spreadsheet (once per content and team) until the member chooses what it is for,
        perhaps answered by another process; the id to fetch it back with (`kept`)."""
        if self._blobs is None:
            raise InputRejected("file.no_storage")
        if not data:
            raise InputRejected("import.empty")
        suffix = PurePosixPath(name.lower()).suffix
        digest = await asyncio.to_thread(lambda: hashlib.sha256(data).hexdigest())
        path = await asyncio.to_thread(self._blobs.put, data, digest, suffix if suffix in _MIMES else "")
        kept = KeptFile(digest, len(data), _MIMES.get(suffix, "application/octet-stream"), name[:300])
        async with self._uow() as uow:
            stored, _ = await files.record(uow, actor.team_id, kept, path, self._clock.now())
            await uow.commit()
        return stored.id

    async def kept(self, actor: Member, file_id: int) -> tuple[bytes, str]:
        """A file `keep` stored, and its name; NotFound for another team's or a vanished file."""
        async with self._uow(read_only=True) as uow:
            stored = await uow.files.get(file_id)
        if stored is None or stored.team_id != actor.team_id or self._blobs is None:
            raise NotFound("import.file_gone")
        path = self._blobs.open_path(stored.path)
        try:
            data = await asyncio.to_thread(path.read_bytes)
        except OSError as exc:
            raise NotFound("import.file_gone") from exc
        return data, stored.original_name or f"import{PurePosixPath(stored.path).suffix or '.xlsx'}"

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
            changed = ctx.counts.get(Outcome.CREATED, 0) + ctx.counts.get(Outcome.UPDATED, 0)
            if status is ImportStatus.DONE and not changed and ctx.anchor is not None:
                # Nothing came of it (the same file again): the interaction the import's reminders
                # would hang on records nothing, so it leaves no trace in exports or the record's
                # history; the import itself stays in the audit log.
                ctx.anchor.undone_at = run.finished_at
                await uow.interactions.update(ctx.anchor)
            await uow.commit()

    async def _chunk(
        self, uow: UnitOfWork, ctx: _Context, rows: Sequence[Row | Failure], changes: Journal
    ) -> None:
        """One chunk: what its rows may match is read first in a few statements, each row is decided
        in memory against that (and against what the rows before it made), then everything the chunk
        creates or changes is written a table at a time."""
        known = await self._prefetch(uow, ctx, [r for r in rows if isinstance(r, Row)])
        batch = _Batch()
        for row in rows:
            ctx.done += 1
            if isinstance(row, Failure):
                ctx.failures.append(row)
                ctx.tally(Outcome.FAILED)
                continue
            try:
                outcome = await self._row(uow, ctx, known, batch, row, changes)
            except RowRejected as exc:
                ctx.failures.append(Failure(row.sheet, row.line, exc.problem, row.cells))
                outcome = Outcome.FAILED
            ctx.tally(outcome)
        await self._flush(uow, ctx, known, batch, changes)

    async def _prefetch(self, uow: UnitOfWork, ctx: _Context, rows: Sequence[Row]) -> _Known:
        team_id = ctx.actor.team_id
        known = _Known()
        probes = [self._probe(row) for row in rows if row.has_contact]
        for phase in (
            [k for p in probes for k in p.exact_keys() + p.blocking_keys()],
            [k for p in probes for k in p.typo_keys()],
        ):
            for part in _parts(list(dict.fromkeys(phase))):
                for contact, keys in await uow.contacts.candidates(team_id, part, len(part) * 50):
                    known.add(contact, keys)
        known.customers = await uow.imports.customers_by_id(
            [c.customer_id for c, _ in known.contacts.values() if c.customer_id]
        )
        company_keys = [self._normalizer.company_key(row.company) for row in rows if row.company]
        for customer in await uow.imports.customers(team_id, [k for k in company_keys if k]):
            known.customers.setdefault(customer.id, customer)
            known.company(self._company_key(customer.name)).append(known.customers[customer.id])
        ids = list(known.customers)
        known.deals = await uow.imports.open_deals(ids)
        known.notes = await uow.imports.notes_for(ids)
        return known

    def _probe(self, row: Row) -> Fingerprint:
        return Fingerprint(
            phones=tuple(row.phones),
            emails=tuple(row.emails),
            wechat_id=row.wechat,
            name_key=self._normalizer.person_key(row.name) if row.name else "",
            company_key=self._normalizer.company_key(row.company) if row.company else "",
        )

    def _company_key(self, name: str | None) -> str:
        return self._normalizer.company_key(name) if name else ""

    # --- one row --------------------------------------------------------------------------------------

    async def _row(
        self, uow: UnitOfWork, ctx: _Context, known: _Known, batch: _Batch, row: Row, changes: Journal
    ) -> Outcome:
        owner = self._owner(ctx, row)
        review: Contact | None = None
        score = 0.0
        if row.has_contact:
            probe = self._probe(row)
            matches = known.matches(probe)
            strong = [m for m in matches if m.kind in (MatchKind.EXACT, MatchKind.PROPOSE)]
            if len(strong) > 1:
                raise RowRejected(
                    "import.row.several_matches", ids=batch.names(known.contact(m.contact_id) for m in strong)
                )
            if strong:
                contact = known.contact(strong[0].contact_id)
                customer = batch.customer_of(contact) or known.customers.get(contact.customer_id or 0)
                return await self._existing(uow, ctx, known, batch, row, contact, customer, changes)
            if matches:
                review, score = known.contact(matches[0].contact_id), matches[0].score
        customer = self._customer_by_name(ctx, known, batch, row)
        if customer is not None and not row.has_contact:
            return await self._existing(uow, ctx, known, batch, row, None, customer, changes)
        if customer is None:
            customer = await self._new_customer(uow, ctx, known, batch, row, owner)
        elif ctx.mode is ImportMode.UPDATE or ctx.ours(customer, batch):
            self._update_customer(ctx, known, batch, row, customer, changes)
        made: Contact | None = None
        if row.has_contact:
            made = self._new_contact(ctx, known, batch, row, customer, owner)
        if row.notes:
            self._note(ctx, known, batch, row, customer, made, changes)
        if review is not None and made is not None:
            flag = DuplicateFlag(
                id=0,
                team_id=ctx.actor.team_id,
                kind=DuplicateKind.REVIEW,
                contact_id=0,
                candidate_id=0,
                score=score,
                status=DuplicateStatus.OPEN,
                created_at=ctx.now,
            )
            batch.flags.append((flag, made, review))
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

    def _customer_by_name(self, ctx: _Context, known: _Known, batch: _Batch, row: Row) -> Customer | None:
        key = self._company_key(row.company)
        if not key:
            return None
        found = known.company(key)
        if len(found) > 1:
            raise RowRejected("import.row.several_customers", ids=batch.names(found))
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
        known: _Known,
        batch: _Batch,
        row: Row,
        contact: Contact | None,
        customer: Customer | None,
        changes: Journal,
    ) -> Outcome:
        """A row that matched a contact (and its customer), or a company-only row that matched a
        customer."""
        if (
            contact is not None
            and not batch.is_new(contact)
            and not sees_contact(ctx.actor, contact, customer)
        ):
            raise RowRejected("import.row.colleague")
        record: Contact | Customer | None = contact if contact is not None else customer
        ours = record is not None and ctx.ours(record, batch)
        if not ours:
            if ctx.mode is ImportMode.CREATE:
                raise RowRejected("import.row.exists", ids=batch.names([record] if record else []))
            if ctx.mode is ImportMode.SKIP:
                return Outcome.SKIPPED
        changed = False
        if contact is not None and customer is None and row.company:
            # A contact known without a company: the row says which.
            customer = self._customer_by_name(ctx, known, batch, row)
            if customer is None:
                customer = await self._new_customer(uow, ctx, known, batch, row, contact.owner_id)
            self._track(contact, batch, changes)
            batch.links.append((contact, customer))
            batch.touch(contact)
            changed = True
        if contact is not None:
            changed = self._update_contact(known, batch, row, contact, customer, changes) or changed
        if customer is not None:
            changed = self._update_customer(ctx, known, batch, row, customer, changes) or changed
            changed = await self._deal(uow, ctx, known, row, customer, changes) or changed
        if row.notes and customer is not None:
            changed = self._note(ctx, known, batch, row, customer, contact, changes) or changed
        if ours:
            return Outcome.MERGED
        return Outcome.UPDATED if changed else Outcome.UNCHANGED

    # --- filling ----------------------------------------------------------------------------------------

    def _track(self, record: Contact | Customer, batch: _Batch, changes: Journal) -> None:
        # A record this chunk creates is journaled as created when it is written, not field by field.
        if not batch.is_new(record):
            changes.track(record)

    def _update_contact(
        self,
        known: _Known,
        batch: _Batch,
        row: Row,
        contact: Contact,
        customer: Customer | None,
        changes: Journal,
    ) -> bool:
        """Empty fields take the row's values; filled ones only when the row is newer. Phones and
        e-mails are added to, never removed."""
        self._track(contact, batch, changes)
        newer = row.updated is not None and row.updated > contact.updated_at
        before = (contact.name, contact.title, contact.wechat_id, contact.address, contact.region)
        contact.name = _pick(contact.name, row.name, newer)
        contact.title = _pick(contact.title, row.title, newer)
        contact.wechat_id = _pick(contact.wechat_id, row.wechat, newer)
        contact.address = _pick(contact.address, row.address, newer)
        contact.region = _pick(contact.region, row.region, newer)
        phones = [p for p in row.phones if p not in contact.phones]
        known_emails = {e.lower() for e in contact.emails}
        emails = [e for e in row.emails if e.lower() not in known_emails]
        contact.phones = [*contact.phones, *phones]
        contact.emails = [*contact.emails, *emails]
        after = (contact.name, contact.title, contact.wechat_id, contact.address, contact.region)
        if before == after and not phones and not emails:
            return False
        batch.touch(contact)
        known.add(contact, contact_keys(self._normalizer, contact, customer.name if customer else None))
        return True

    def _update_customer(
        self, ctx: _Context, known: _Known, batch: _Batch, row: Row, customer: Customer, changes: Journal
    ) -> bool:
        self._track(customer, batch, changes)
        newer = row.updated is not None and row.updated > customer.updated_at
        before = (
            customer.name,
            customer.address,
            customer.region,
            customer.budget_cny,
            customer.next_meeting,
        )
        name, meeting = customer.name, customer.next_meeting
        customer.name = customer.name or row.company
        # On a row that names a person, the address and region are the person's.
        customer.address = _pick(customer.address, None if row.has_contact else row.address, newer)
        customer.region = _pick(customer.region, None if row.has_contact else row.region, newer)
        if row.budget is not None and (
            customer.budget_cny is None or (newer and customer.budget_cny != row.budget)
        ):
            customer.budget_cny = row.budget
            customer.budget_min_cny = None
        customer.next_meeting = _pick(customer.next_meeting, row.next_follow_up, newer)
        if _customer_fields(customer) == before:
            return False
        batch.touch(customer)
        if customer.name != name:
            known.company(self._company_key(customer.name)).append(customer)
            # Its contacts' dedup keys hold the company's name.
            batch.rekey.append(customer)
        if customer.next_meeting != meeting:
            self._follow_up(ctx, batch, customer)
        return True

    async def _deal(
        self, uow: UnitOfWork, ctx: _Context, known: _Known, row: Row, customer: Customer, changes: Journal
    ) -> bool:
        """The customer's open deal takes the row's stage when the row is newer and the member may move
        deals past their gates (managers and admins, recorded as an override with the reason "import");
        otherwise a different stage is left, and counted. (The budget column is the customer's; a deal's
        amount comes from it only when the import opens the deal.)"""
        deal = known.deals.get(customer.id) if customer.id else None
        if deal is None or not row.stage or row.stage == deal.stage:
            return False
        newer = row.updated is not None and row.updated > deal.updated_at
        if not (newer and ctx.actor.role.sees_team):
            ctx.stages_kept += 1
            return False
        changes.track(deal)
        await self._move(uow, ctx, deal, row.stage)
        deal.updated_at = ctx.now
        await uow.deals.update(deal)
        return True

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
        self, uow: UnitOfWork, ctx: _Context, known: _Known, batch: _Batch, row: Row, owner: int | None
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
            owner = ctx.actor.id
            if ctx.actor.role.sees_team:
                # The importer's until the owner router hands it over, once it is written. A rep
                # imports for themselves: what they bring stays theirs.
                batch.unowned.append(customer)
        customer.owner_id = owner
        stage = row.stage if row.stage and ctx.funnel.stage(row.stage) else FIRST_STAGE_KEY
        status = {WON: DealStatus.WON, LOST: DealStatus.LOST}.get(row.stage or "", DealStatus.OPEN)
        deal = Deal(
            id=0,
            team_id=customer.team_id,
            customer_id=0,
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
        batch.new(customer, row.line)
        batch.deals.append((deal, customer))
        if customer.name:
            known.company(self._company_key(customer.name)).append(customer)
        self._follow_up(ctx, batch, customer)
        return customer

    def _new_contact(
        self, ctx: _Context, known: _Known, batch: _Batch, row: Row, customer: Customer, owner: int | None
    ) -> Contact:
        region = row.region
        if region is None and row.address:
            region = self._normalizer.region(row.address)
        contact = Contact(
            id=0,
            team_id=ctx.actor.team_id,
            owner_id=owner if owner is not None else customer.owner_id,
            customer_id=0,
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
        batch.new(contact, row.line)
        batch.contacts.append((contact, customer))
        known.add(contact, contact_keys(self._normalizer, contact, customer.name))
        return contact

    def _note(
        self,
        ctx: _Context,
        known: _Known,
        batch: _Batch,
        row: Row,
        customer: Customer,
        contact: Contact | None,
        changes: Journal,
    ) -> bool:
        """The row's notes and unknown columns as a note on the record, once: the same text on the same
        record is not added again (importing a file twice adds nothing)."""
        text = row.notes or ""
        same = (id(customer), id(contact) if contact else 0, text)
        if same in batch.noted:
            return False
        batch.noted.add(same)
        if not batch.is_new(customer) and (contact is None or not batch.is_new(contact)):
            existing = known.notes.get(
                note_key(ctx.actor.team_id, customer.id, contact.id if contact else None, text)
            )
            if existing is not None:
                if existing.undone_at is None:
                    return False
                changes.track(existing)
                existing.undone_at = None
                batch.revived.append(existing)
                return True
        note = Interaction(
            id=0,
            team_id=ctx.actor.team_id,
            author_id=ctx.actor.id,
            source=Source.NOTE,
            content=text,
            facts={"import": True},
            created_at=ctx.now,
        )
        batch.notes.append((note, customer, contact))
        return True

    def _follow_up(self, ctx: _Context, batch: _Batch, customer: Customer) -> None:
        """A reminder for the owner when the row names a follow-up still ahead."""
        if customer.next_meeting is None or customer.next_meeting <= ctx.now:
            return
        reminder = Reminder(
            id=0,
            team_id=customer.team_id,
            member_id=customer.owner_id,
            kind=ReminderKind.FOLLOW_UP,
            text=customer.name or "",
            due_at=customer.next_meeting,
            status=ReminderStatus.PENDING,
            created_at=ctx.now,
            interaction_id=ctx.anchor.id if ctx.anchor else None,
        )
        batch.reminders.append((reminder, customer))

    # --- writing ----------------------------------------------------------------------------------------

    async def _flush(
        self, uow: UnitOfWork, ctx: _Context, known: _Known, batch: _Batch, changes: Journal
    ) -> None:
        """Writes what the chunk decided, a table at a time, parents before children."""
        imports = uow.imports
        await imports.add_customers([(c, self._company_key(c.name)) for c in batch.customers])
        for deal, customer in batch.deals:
            deal.customer_id = customer.id
        await imports.add_deals([deal for deal, _ in batch.deals])
        for contact, customer in batch.contacts:
            contact.customer_id = customer.id
        await imports.add_contacts(
            [(c, contact_keys(self._normalizer, c, customer.name)) for c, customer in batch.contacts]
        )
        for contact, customer in batch.links:
            contact.customer_id = customer.id
        customers = {c.id: c for c in (*known.customers.values(), *batch.customers)}
        for customer in batch.rekey:
            if not batch.is_new(customer):
                for contact in await uow.contacts.for_customer(customer.id):
                    if ("contact", contact.id) not in batch.changed:
                        batch.touch(contact)
        for record in batch.changed.values():
            record.updated_at = ctx.now
        await imports.update_customers(
            [(c, self._company_key(c.name)) for c in batch.changed.values() if isinstance(c, Customer)]
        )
        await imports.update_contacts(
            [
                (c, contact_keys(self._normalizer, c, _name(customers.get(c.customer_id or 0))))
                for c in batch.changed.values()
                if isinstance(c, Contact)
            ]
        )
        for note, customer, person in batch.notes:
            note.customer_id = customer.id
            note.contact_id = person.id if person else None
            note.external_key = note_key(ctx.actor.team_id, customer.id, note.contact_id, note.content)
        await imports.add_interactions([note for note, _, _ in batch.notes])
        for interaction in batch.revived:
            await uow.interactions.update(interaction)
        for reminder, customer in batch.reminders:
            reminder.customer_id = customer.id
            await uow.reminders.add(reminder)
            if ctx.anchor is not None:
                ctx.reminders.append(reminder.id)
        for flag, contact, candidate in batch.flags:
            flag.contact_id, flag.candidate_id = contact.id, candidate.id
            ctx.flags.append((await uow.duplicates.add(flag)).id)
        for customer in batch.customers:
            changes.created(customer)
            ctx.created_customers[customer.id] = batch.lines[id(customer)]
        for deal, _ in batch.deals:
            changes.created(deal)
        for contact, _ in batch.contacts:
            changes.created(contact)
            ctx.created_contacts[contact.id] = batch.lines[id(contact)]
        for note, _, _ in batch.notes:
            changes.created(note)
        if batch.unowned and not ctx.dry_run:
            # Routing writes leads and may make the team's pool owner: never in a dry run, whose
            # writes are rolled back.
            people: dict[int, list[Contact]] = {}
            for person, of in batch.contacts:
                people.setdefault(id(of), []).append(person)
            for customer in batch.unowned:
                made = people.get(id(customer), [])
                owner = await self._router.route(
                    uow, ctx.actor, customer, made[0] if made else None, ctx.file_name, ctx.now
                )
                # The router handed over the stored rows; these objects stay in step with them.
                records: list[Contact | Customer] = [customer, *made]
                for record in records:
                    if record.owner_id == ctx.actor.id:
                        record.owner_id = owner

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


KEY_PART = 900  # lookup keys per query: well under the bound-parameter limits of SQLite and asyncpg


def _parts(keys: list[LookupKey]) -> list[list[LookupKey]]:
    return [keys[i : i + KEY_PART] for i in range(0, len(keys), KEY_PART)]


def _customer_fields(customer: Customer) -> tuple[Any, ...]:
    return (customer.name, customer.address, customer.region, customer.budget_cny, customer.next_meeting)


def _name(customer: Customer | None) -> str | None:
    return customer.name if customer else None


def note_key(team_id: int, customer_id: int, contact_id: int | None, text: str) -> str:
    """The idempotency key of an imported note: the same text on the same record is one note."""
    digest = hashlib.sha256(f"{team_id}|{customer_id}|{contact_id or ''}|{text}".encode()).hexdigest()
    return f"{NOTE_KEY_PREFIX}{digest[:48]}"


class _Known:
    """What one chunk's rows may match: the contacts sharing a lookup key with any of its rows and the
    customers of their companies, read at the chunk's start, plus what the chunk's own rows create or
    change as they are decided. Candidates are keyed by Python object (new records have no id yet)."""

    def __init__(self) -> None:
        self.contacts: dict[int, tuple[Contact, list[LookupKey]]] = {}
        self._ids: dict[int, int] = {}  # a written contact's id -> its object
        self._by_key: dict[str, set[int]] = {}
        self._companies: dict[str, list[Customer]] = {}
        self.customers: dict[int, Customer] = {}
        self.deals: dict[int, Deal] = {}
        self.notes: dict[str, Interaction] = {}

    def add(self, contact: Contact, keys: Sequence[LookupKey]) -> None:
        """A contact and its keys (again, when its keys changed). A contact read twice (found by both
        lookups) stays the first object read."""
        if contact.id and self._ids.setdefault(contact.id, id(contact)) != id(contact):
            return
        ref = id(contact)
        old = self.contacts.get(ref)
        if old is not None:
            for key in old[1]:
                self._by_key.get(key.encoded(), set()).discard(ref)
        self.contacts[ref] = (contact, list(keys))
        for key in keys:
            self._by_key.setdefault(key.encoded(), set()).add(ref)

    def contact(self, ref: int) -> Contact:
        return self.contacts[ref][0]

    def company(self, name_key: str) -> list[Customer]:
        return self._companies.setdefault(name_key, []) if name_key else []

    def matches(self, probe: Fingerprint) -> list[Match]:
        """As crm.capture.find_duplicate: exact and selective keys first, the typo key only when they
        found nothing; every match, keyed by object."""
        for keys in (probe.exact_keys() + probe.blocking_keys(), probe.typo_keys()):
            refs = sorted({ref for key in keys for ref in self._by_key.get(key.encoded(), ())})
            if not refs:
                continue
            found = all_matches(probe, [(ref, Fingerprint.from_keys(self.contacts[ref][1])) for ref in refs])
            if found:
                return found
        return []


class _Batch:
    """What one chunk creates and changes, written when the chunk's rows are decided."""

    def __init__(self) -> None:
        self.customers: list[Customer] = []
        self.deals: list[tuple[Deal, Customer]] = []
        self.contacts: list[tuple[Contact, Customer]] = []
        self.notes: list[tuple[Interaction, Customer, Contact | None]] = []
        self.reminders: list[tuple[Reminder, Customer]] = []
        self.flags: list[tuple[DuplicateFlag, Contact, Contact]] = []
        self.links: list[tuple[Contact, Customer]] = []
        self.revived: list[Interaction] = []
        self.rekey: list[Customer] = []
        self.unowned: list[Customer] = []  # new customers no row or option gave an owner
        self.changed: dict[tuple[str, int], Contact | Customer] = {}
        self.noted: set[tuple[int, int, str]] = set()
        self.lines: dict[int, int] = {}  # a new record (by object) -> the row that made it
        self._owner_of: dict[int, Customer] = {}

    def new(self, record: Contact | Customer, line: int) -> None:
        self.lines[id(record)] = line
        if isinstance(record, Customer):
            self.customers.append(record)

    def is_new(self, record: Contact | Customer) -> bool:
        return id(record) in self.lines

    def touch(self, record: Contact | Customer) -> None:
        """An existing record the chunk changed (a new one is written whole anyway)."""
        if not self.is_new(record):
            kind = "contact" if isinstance(record, Contact) else "customer"
            self.changed[(kind, record.id)] = record

    def customer_of(self, contact: Contact) -> Customer | None:
        """A new contact's customer (it has no customer id yet)."""
        return (
            next((c for made, c in self.contacts if made is contact), None) if self.is_new(contact) else None
        )

    def names(self, records: Iterable[Contact | Customer]) -> str:
        """Records as a member can find them: "#12" once written, "row 5" for one this file makes."""
        return ", ".join(f"#{r.id}" if r.id else f"row {self.lines.get(id(r), '?')}" for r in records)


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
