"""Replies and workbooks of spreadsheet import and export, in the member's language."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from chat.messages import t
from chat.sheets.acts import SheetAct
from chat.views import Attachment, Button, Reply, rows
from crm.columns import LABELS, Field, label
from crm.exports import Entity, ExportResult
from crm.imports import Failure, ImportResult, ImportUndoResult, Outcome
from crm.model import ImportMode, ImportStatus, Lang
from crm.ports import WorkbookFactory
from crm.stages import Funnel
from crm.table import Cell

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHOWN_ERRORS = 5

# The template's columns, in order; "*" marks the two of which one is required.
TEMPLATE_FIELDS = (
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
    Field.OWNER,
    Field.STAGE,
    Field.BUDGET,
    Field.NEXT_FOLLOW_UP,
    Field.NOTES,
)
_REQUIRED = (Field.COMPANY, Field.NAME)
_TEMPLATE_WIDTHS = (28, 12, 14, 16, 24, 14, 30, 8, 8, 8, 10, 14, 12, 16, 30)


@dataclass(frozen=True, slots=True)
class SheetData:
    name: str
    header: list[str]
    rows: list[list[Cell]]
    widths: tuple[int, ...] = ()


def workbook(factory: WorkbookFactory, sheets: Sequence[SheetData]) -> bytes:
    """Blocking: the sheets as .xlsx bytes (run it in a worker thread)."""
    writer = factory()
    for sheet in sheets:
        writer.add_sheet(sheet.name, sheet.header, sheet.widths)
        writer.append(sheet.rows)
    return writer.finish()


def template(lang: Lang, funnel: Funnel, owner: str) -> list[SheetData]:
    header = [label(f, lang) + (" *" if f in _REQUIRED else "") for f in TEMPLATE_FIELDS]
    example: list[Cell] = []
    for f in TEMPLATE_FIELDS:
        if f is Field.OWNER:
            example.append(owner)
        elif f is Field.STAGE:
            example.append(funnel.first.name(lang))
        elif f is Field.BUDGET:
            example.append(500000)
        elif f is Field.NEXT_FOLLOW_UP:
            example.append(None)
        else:
            example.append(t(lang, f"import.example.{f.value}") or None)
    stages = "、".join(s.name(lang) for s in funnel.stages)
    help_rows: list[list[Cell]] = [
        [label(f, lang), t(lang, f"import.help.{f.value}", stages=stages)]
        for f in TEMPLATE_FIELDS
        if f in LABELS
    ]
    return [
        SheetData(
            t(lang, "import.template.sheet"),
            header,
            [example],
            (28, 12, 14, 16, 24, 14, 30, 8, 8, 8, 10, 14, 12, 16, 30),
        ),
        SheetData(
            t(lang, "import.template.help_sheet"),
            [t(lang, "import.template.column"), t(lang, "import.template.meaning")],
            help_rows,
            (16, 70),
        ),
    ]


def template_reply(lang: Lang, data: bytes, funnel: Funnel) -> Reply:
    name = "chatcrm-import-template.xlsx" if lang is Lang.EN else "chatcrm-导入模板.xlsx"
    # Where the file cannot be sent, the columns as text: enough to make the sheet by hand.
    columns = "、".join(label(f, lang) + (" *" if f in _REQUIRED else "") for f in TEMPLATE_FIELDS)
    stages = "、".join(s.name(lang) for s in funnel.stages)
    instead = t(lang, "import.template.no_file", columns=columns, stages=stages)
    body = f"{t(lang, 'import.template')}\n{t(lang, 'import.template.no_caption')}"
    return Reply(body, attachment=Attachment(data, name, XLSX, instead=instead))


def reason(lang: Lang, failure: Failure) -> str:
    return t(lang, failure.problem.key, **failure.problem.params)


def errors(lang: Lang, result: ImportResult) -> list[SheetData]:
    """The failed rows of each sheet under that sheet's own header, the reason first: fixed, the
    file can be sent back as it is (the importer ignores the reason column)."""
    sheets: list[SheetData] = []
    for layout in result.layouts:
        failed = [f for f in result.failures if f.sheet == layout.sheet]
        if not failed:
            continue
        header = [t(lang, "import.errors_sheet.reason"), *layout.headers]
        body: list[list[Cell]] = [[reason(lang, f), *f.cells] for f in failed]
        sheets.append(SheetData(layout.sheet, header, body, (36,)))
    return sheets


def result(lang: Lang, outcome: ImportResult, errors_xlsx: bytes | None) -> Reply:
    if outcome.status is ImportStatus.FAILED:
        lines = [t(lang, "import.title.failed", done=outcome.done, total=outcome.total)]
    else:
        lines = [t(lang, "import.title.dry" if outcome.dry_run else "import.title", file=outcome.file_name)]
    lines.append(
        t(
            lang,
            "import.counts",
            created=outcome.count(Outcome.CREATED),
            updated=outcome.count(Outcome.UPDATED),
            unchanged=outcome.count(Outcome.UNCHANGED),
            skipped=outcome.count(Outcome.SKIPPED),
            merged=outcome.count(Outcome.MERGED),
            failed=outcome.count(Outcome.FAILED),
            flagged=outcome.flagged,
        )
    )
    if outcome.mode is not ImportMode.UPDATE:
        lines.append(t(lang, "import.mode", mode=t(lang, f"import.mode.{outcome.mode.value}")))
    if outcome.unknown_columns:
        lines.append(t(lang, "import.unknown", columns="、".join(outcome.unknown_columns)))
    if outcome.skipped_sheets:
        lines.append(t(lang, "import.skipped_sheets", sheets="、".join(outcome.skipped_sheets)))
    if outcome.stages_kept:
        lines.append(t(lang, "import.stages_kept", count=outcome.stages_kept))
    if outcome.flagged:
        lines.append(t(lang, "import.flagged", count=outcome.flagged))
    if outcome.failures:
        for failure in outcome.failures[:SHOWN_ERRORS]:
            lines.append(
                t(lang, "import.line", sheet=failure.sheet, line=failure.line, reason=reason(lang, failure))
            )
        if len(outcome.failures) > SHOWN_ERRORS:
            lines.append(t(lang, "import.errors.more", count=len(outcome.failures) - SHOWN_ERRORS))
        lines.append(t(lang, "import.errors"))
    buttons: tuple[tuple[Button, ...], ...] = ()
    wrote = any(outcome.count(o) for o in (Outcome.CREATED, Outcome.UPDATED, Outcome.MERGED))
    if outcome.run_id is not None and not outcome.dry_run and wrote:
        buttons = rows(Button(t(lang, "import.button.undo"), SheetAct.UNDO, target=outcome.run_id))
    attachment = (
        Attachment(errors_xlsx, "errors.xlsx", XLSX, instead=t(lang, "import.errors.no_file"))
        if errors_xlsx
        else None
    )
    if outcome.replayed:
        lines.insert(1, t(lang, "import.replayed"))
    return Reply("\n".join(lines), buttons, attachment)


def ask(lang: Lang, name: str, file_id: int, *, evidence: bool) -> Reply:
    """What a spreadsheet sent without a caption is for: the import, deal evidence (where evidence
    takes such a file), or nothing."""
    buttons = rows(
        Button(t(lang, "import.button.import"), SheetAct.DRY, target=file_id, arg=ImportMode.UPDATE.value),
        Button(t(lang, "import.button.evidence"), SheetAct.EVIDENCE, target=file_id) if evidence else None,
        Button(t(lang, "import.button.cancel"), SheetAct.DROP, target=file_id),
        width=1,
    )
    return Reply(t(lang, "import.ask", file=name), buttons)


def preview(
    lang: Lang, outcome: ImportResult, errors_xlsx: bytes | None, file_id: int, confirm: str
) -> Reply:
    """The dry run of a kept file, and the choice to import it (`confirm`: "mode-token") or not."""
    dry = result(lang, outcome, errors_xlsx)
    buttons = rows(
        Button(t(lang, "import.button.confirm"), SheetAct.RUN, target=file_id, arg=confirm),
        Button(t(lang, "import.button.cancel"), SheetAct.DROP, target=file_id),
        width=1,
    )
    return Reply(f"{dry.text}\n\n{t(lang, 'import.confirm')}", buttons, dry.attachment)


def progress(lang: Lang, done: int, total: int) -> str:
    return t(lang, "import.progress", done=done, total=total)


def undone(lang: Lang, outcome: ImportUndoResult) -> Reply:
    lines = [
        t(
            lang,
            "import.undone",
            id=outcome.run.id,
            archived=len(outcome.undone.archived),
            reverted=len(outcome.undone.reverted),
        )
    ]
    if outcome.undone.kept:
        lines.append(t(lang, "import.undone.kept", count=len(outcome.undone.kept)))
    return Reply("\n".join(lines), replace=True)


def exported(lang: Lang, outcome: ExportResult) -> Reply:
    text = t(
        lang,
        "export.done",
        scope=t(lang, "export.scope.team" if outcome.team else "export.scope.own"),
        customers=outcome.rows.get(Entity.CUSTOMERS, "—"),
        contacts=outcome.rows.get(Entity.CONTACTS, "—"),
        deals=outcome.rows.get(Entity.DEALS, "—"),
        interactions=outcome.rows.get(Entity.INTERACTIONS, "—"),
    )
    instead = t(lang, "export.no_file")
    return Reply(text, attachment=Attachment(outcome.data, outcome.file_name, XLSX, instead=instead))
