"""Spreadsheets as every channel sees them: a file sent with the caption /import is imported (a
progress message edited every 1,000 rows where the channel can), /import alone sends the template,
/export sends the member's (or, for managers, the team's) records, and the result's button undoes an
import as a whole.

Where files carry no caption (WeChat, WeCom), a spreadsheet of customers is kept (crm.imports `keep`)
and: sent within AWAITING_TTL of /import, dry-run at once; otherwise the member is asked what it is
(import, deal evidence where evidence takes the file, or nothing). The dry run ends in a confirmation
whose button carries a token, so that a confirmation handled twice (a redelivered message) imports
once. The choices live in the database (the numbered menu), so any process may take the answer.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from pathlib import PurePosixPath

from chat.registry import Registry
from chat.sheets import view
from chat.sheets.acts import SheetAct
from chat.views import Reply, text
from crm import files
from crm.deals import EVIDENCE_TYPES
from crm.errors import InputRejected, NotFound
from crm.exports import Entity, ExportService
from crm.imports import ImportResult, ImportService
from crm.inputs import Upload
from crm.members import MemberService
from crm.model import ImportMode, Member
from crm.ports import WorkbookFactory

logger = logging.getLogger(__name__)

# What may follow /import in a caption: a mode, and "dry" for a dry run (words in either language).
_MODES = {
    "update": ImportMode.UPDATE,
    "更新": ImportMode.UPDATE,
    "skip": ImportMode.SKIP,
    "跳过": ImportMode.SKIP,
    "create": ImportMode.CREATE,
    "新建": ImportMode.CREATE,
}
SPREADSHEET_SUFFIXES = frozenset({".xlsx", ".xls", ".csv"})
# The pending state /import leaves: the member's next spreadsheet is the import (no text answers it, so
# typed text goes on as usual; it lapses with crm.members.AWAITING_TTL).
NEXT_FILE = "import_file"
_DRY = frozenset({"dry", "dry-run", "--dry-run", "test", "试导入", "预览", "试运行"})
_ENTITIES = {
    "customers": Entity.CUSTOMERS,
    "客户": Entity.CUSTOMERS,
    "contacts": Entity.CONTACTS,
    "联系人": Entity.CONTACTS,
    "deals": Entity.DEALS,
    "商机": Entity.DEALS,
    "interactions": Entity.INTERACTIONS,
    "跟进": Entity.INTERACTIONS,
    "跟进记录": Entity.INTERACTIONS,
    "all": Entity.ALL,
    "全部": Entity.ALL,
}


class Sheets:
    """/import, /export and the undo button of an import."""

    def __init__(
        self,
        imports: ImportService,
        exports: ExportService,
        workbooks: WorkbookFactory | None,
        members: MemberService,
        *,
        max_bytes: int,
    ) -> None:
        self.imports = imports
        self.exports = exports
        self.members = members
        self._workbooks = workbooks
        self._max_bytes = max_bytes
        self._registry: Registry | None = None

    def register(self, registry: Registry) -> None:
        self._registry = registry
        registry.commands({"import": self.template, "export": self.export})
        registry.buttons(
            {
                SheetAct.UNDO: self._undo,
                SheetAct.DRY: self._dry_button,
                SheetAct.RUN: self._run,
                SheetAct.EVIDENCE: self._evidence,
                SheetAct.DROP: self._drop,
            }
        )
        registry.files(self.upload)

    async def template(self, actor: Member, args: str) -> Reply:
        """/import without a file: the template, with required columns marked and an example row.
        Where files have no caption, the spreadsheet sent next is the import (with the mode named here:
        "/import skip")."""
        if self._workbooks is None:
            raise InputRejected("import.unavailable")
        funnel = await self.imports.funnel(actor.team_id)
        sheets = view.template(actor.lang, funnel, actor.name)
        data = await asyncio.to_thread(view.workbook, self._workbooks, sheets)
        mode, _ = _options(args)
        await self.members.set_awaiting(actor, {"kind": NEXT_FILE, "mode": mode.value})
        return view.template_reply(actor.lang, data, funnel)

    async def upload(self, actor: Member, upload: Upload) -> Reply | None:
        caption = (upload.caption or "").strip()
        if not caption.lower().startswith("/import"):
            if upload.captions or upload.is_photo or not _is_spreadsheet_name(upload.name):
                return None
            return await self._uncaptioned(actor, upload)
        mode, dry_run = _options(caption[len("/import") :])
        limit = self._limit(upload)
        if upload.size is not None and upload.size > limit:
            raise InputRejected("import.file_too_large", limit=max(1, limit // (1024 * 1024)))
        status = upload.status
        if status is not None:
            await status(text(actor.lang, "import.started", file=upload.name or "").text)
        data = await upload.fetch()
        if len(data) > limit:
            raise InputRejected("import.file_too_large", limit=max(1, limit // (1024 * 1024)))

        async def progress(done: int, total: int) -> None:
            if status is not None:
                await status(view.progress(actor.lang, done, total))

        outcome = await self.imports.run(
            actor, data, upload.name or "import.csv", mode=mode, dry_run=dry_run, progress=progress
        )
        return view.result(actor.lang, outcome, await self._errors(actor, outcome))

    def _limit(self, upload: Upload) -> int:
        return min(self._max_bytes, upload.max_bytes or self._max_bytes)

    async def _uncaptioned(self, actor: Member, upload: Upload) -> Reply | None:
        """A spreadsheet without a caption: the import after /import, else a question what it is for.
        A file that holds no sheet of customers (or is no spreadsheet) is left to the other routes,
        unless /import announced it: then why it cannot be imported is the answer."""
        awaiting = self.members.pending_awaiting(actor)
        expected = awaiting is not None and awaiting.get("kind") == NEXT_FILE
        limit = self._limit(upload)
        too_large = InputRejected("import.file_too_large", limit=max(1, limit // (1024 * 1024)))
        if upload.size is not None and upload.size > limit:
            if expected:
                raise too_large
            return None
        data = await upload.fetch()
        if len(data) > limit:
            if expected:
                raise too_large
            return None
        name = PurePosixPath((upload.name or "import.xlsx").replace("\\", "/")).name
        if awaiting is not None and expected:
            # Announced: the dry run at once (a file that cannot be imported is answered with why).
            await self.members.set_awaiting(actor, None)
            mode = _mode(str(awaiting.get("mode") or ""))
            outcome = await self.imports.run(actor, data, name, mode=mode, dry_run=True)
            return await self._preview(actor, outcome, await self.imports.keep(actor, data, name))
        try:
            await self.imports.read(actor, data, name)
        except InputRejected:
            return None  # no sheet of customers: evidence or refused, as any other file
        file_id = await self.imports.keep(actor, data, name)
        evidence = files.sniff(data, name) in EVIDENCE_TYPES
        return view.ask(actor.lang, name, file_id, evidence=evidence)

    async def _preview(self, actor: Member, outcome: ImportResult, file_id: int) -> Reply:
        # A fresh token per dry run: each confirmation is one import (Telegram's callback data
        # takes no ":" in a value, hence "-").
        confirm = f"{outcome.mode.value}-{secrets.token_hex(4)}"
        return view.preview(actor.lang, outcome, await self._errors(actor, outcome), file_id, confirm)

    async def _dry_button(self, actor: Member, file_id: int, arg: str) -> Reply:
        data, name = await self.imports.kept(actor, file_id)
        outcome = await self.imports.run(actor, data, name, mode=_mode(arg), dry_run=True)
        return await self._preview(actor, outcome, file_id)

    async def _run(self, actor: Member, file_id: int, arg: str) -> Reply:
        """The confirmed import of a kept file. The button's token keys the import: the same
        confirmation handled again (a redelivery, a retry after a crash) runs it once."""
        mode_text, _, token = arg.partition("-")
        if not token:
            raise NotFound("error.stale_button")
        data, name = await self.imports.kept(actor, file_id)
        outcome = await self.imports.run(actor, data, name, mode=_mode(mode_text), key=f"{file_id}:{token}")
        return view.result(actor.lang, outcome, await self._errors(actor, outcome))

    async def _evidence(self, actor: Member, file_id: int, _arg: str) -> Reply:
        """The kept file handed on to the routes after this one (deals: evidence), as if sent now."""
        assert self._registry is not None
        data, name = await self.imports.kept(actor, file_id)

        async def fetch() -> bytes:
            return data

        upload = Upload(fetch=fetch, name=name, size=len(data))
        return await self._registry.upload_after(self.upload, actor, upload)

    async def _drop(self, actor: Member, _file_id: int, _arg: str) -> Reply:
        return text(actor.lang, "import.dropped")

    async def _errors(self, actor: Member, outcome: ImportResult) -> bytes | None:
        if not outcome.failures or self._workbooks is None:
            return None
        return await asyncio.to_thread(view.workbook, self._workbooks, view.errors(actor.lang, outcome))

    async def errors_file(self, actor: Member, outcome: ImportResult) -> bytes | None:
        """errors.xlsx of an import's failed rows (the command line writes it beside the file)."""
        return await self._errors(actor, outcome)

    async def export(self, actor: Member, args: str) -> Reply:
        words = args.lower().split()
        what = _ENTITIES.get(words[0]) if words else Entity.ALL
        if what is None:
            return text(actor.lang, "export.usage")
        outcome = await self.exports.export(actor, what)
        return view.exported(actor.lang, outcome)

    async def _undo(self, actor: Member, target: int, _arg: str) -> Reply:
        return view.undone(actor.lang, await self.imports.undo(actor, target))


def _options(words_text: str) -> tuple[ImportMode, bool]:
    """The mode and whether it is a dry run, from what follows /import ("skip dry", "跳过 预览")."""
    words = words_text.lower().split()
    mode = next((_MODES[w] for w in words if w in _MODES), ImportMode.UPDATE)
    return mode, any(w in _DRY for w in words)


def _mode(value: str) -> ImportMode:
    try:
        return ImportMode(value)
    except ValueError:
        return ImportMode.UPDATE


def _is_spreadsheet_name(name: str | None) -> bool:
    return PurePosixPath((name or "").lower()).suffix in SPREADSHEET_SUFFIXES
