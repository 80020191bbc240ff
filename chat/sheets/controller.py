"""Spreadsheets as every channel sees them: a file sent with the caption /import is imported (a
progress message edited every 1,000 rows where the channel can), /import alone sends the template,
/export sends the member's (or, for managers, the team's) records, and the result's button undoes an
import as a whole."""

from __future__ import annotations

import asyncio
import logging

from chat.registry import Registry
from chat.sheets import view
from chat.sheets.acts import SheetAct
from chat.views import Reply, text
from crm.errors import InputRejected
from crm.exports import Entity, ExportService
from crm.imports import ImportResult, ImportService
from crm.inputs import Upload
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
        *,
        max_bytes: int,
    ) -> None:
        self.imports = imports
        self.exports = exports
        self._workbooks = workbooks
        self._max_bytes = max_bytes

    def register(self, registry: Registry) -> None:
        registry.commands({"import": self.template, "export": self.export})
        registry.buttons({SheetAct.UNDO: self._undo})
        registry.files(self.upload)

    async def template(self, actor: Member, _args: str) -> Reply:
        """/import without a file: the template, with required columns marked and an example row."""
        if self._workbooks is None:
            raise InputRejected("import.unavailable")
        funnel = await self.imports.funnel(actor.team_id)
        sheets = view.template(actor.lang, funnel, actor.name)
        data = await asyncio.to_thread(view.workbook, self._workbooks, sheets)
        return view.template_reply(actor.lang, data)

    async def upload(self, actor: Member, upload: Upload) -> Reply | None:
        caption = (upload.caption or "").strip()
        if not caption.lower().startswith("/import"):
            return None
        words = caption[len("/import") :].lower().split()
        mode = next((_MODES[w] for w in words if w in _MODES), ImportMode.UPDATE)
        dry_run = any(w in _DRY for w in words)
        limit = min(self._max_bytes, upload.max_bytes or self._max_bytes)
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
