"""`chatcrm import` and `chatcrm export`: spreadsheets in and out on the server.

chatcrm import FILE --team ID [--mode create|update|skip] [--owner MEMBER] [--dry-run] [--json]
chatcrm import template -o FILE.xlsx [--lang zh|en] [--team ID]
chatcrm import undo RUN --team ID
chatcrm export customers|contacts|deals|interactions|all --team ID [--member ID] -o FILE.xlsx

An import runs as the team's first admin (or manager), so every owner in the file may be named;
`--owner` gives the rows without an owner to that member instead of the territory routing. An export
runs as `--member` (a rep: their own records) or as the team's first admin (the whole team), in that
member's language and timezone. Failed rows go to FILE.errors.xlsx (or `--errors PATH`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from bot.commands.common import read_bytes
from bot.settings import Settings
from crm.model import Lang, Member

T = TypeVar("T")


def register(commands: Any) -> None:
    imp = commands.add_parser(
        "import",
        help="import customers and contacts from .xlsx/.xls/.csv; `import template`, `import undo RUN`",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    imp.add_argument("target", help="the file to import, or `template`, or `undo`")
    imp.add_argument("run", nargs="?", type=int, help="with `undo`: the import's number")
    imp.add_argument("--team", type=int, default=None, help="team id (default: the first team)")
    imp.add_argument("--mode", choices=["create", "update", "skip"], default="update")
    imp.add_argument("--owner", default=None, help="member (id or name) who gets rows without an owner")
    imp.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
    imp.add_argument("--json", action="store_true", help="print JSON")
    imp.add_argument("--errors", type=Path, default=None, help="where to write the failed rows")
    imp.add_argument("-o", "--output", type=Path, default=None, help="with `template`: the file to write")
    imp.add_argument("--lang", choices=["zh", "en"], default=None, help="text language")
    imp.set_defaults(handler=_import)

    exp = commands.add_parser("export", help="export customers, contacts, deals, interactions as .xlsx")
    exp.add_argument("what", choices=["customers", "contacts", "deals", "interactions", "all"])
    exp.add_argument("--team", type=int, default=None, help="team id (default: the first team)")
    exp.add_argument("--member", type=int, default=None, help="export as this member (a rep: their own)")
    exp.add_argument("-o", "--output", type=Path, required=True, help="the .xlsx file to write")
    exp.set_defaults(handler=_export)


def _run(settings: Settings, work: Callable[[Any], Awaitable[T]]) -> T:
    from storage.database import Database

    async def go() -> T:
        database = Database(settings.database)
        try:
            await database.migrate()
            return await work(database)
        finally:
            await database.close()

    return asyncio.run(go())


async def _member(database: Any, team_id: int | None, wanted: str | int | None) -> Member | None:
    """A member of the team by id or name; without one, the team's first admin, else manager."""
    from crm.columns import fold

    async with database.uow(read_only=True) as uow:
        teams = await uow.teams.all()
        team = next((t for t in teams if team_id is None or t.id == team_id), None)
        if team is None:
            return None
        members = await uow.members.in_team(team.id)
    if wanted is not None:
        said = str(wanted).strip().lstrip("#")
        return next((m for m in members if str(m.id) == said or fold(m.name) == fold(said)), None)
    admins = [m for m in members if m.role.value == "admin"] or [m for m in members if m.role.sees_team]
    return admins[0] if admins else None


def _services(database: Any) -> tuple[Any, Any]:
    from bot.sheets.reader import SpreadsheetFiles
    from bot.sheets.writer import XlsxWriter
    from crm.clock import SystemClock
    from crm.exports import ExportService
    from crm.import_routing import TerritoryOwners
    from crm.imports import ImportService
    from crm.routing import LeadRouter
    from nlu.normalize import Normalizer
    from nlu.places import PlaceIndex

    clock = SystemClock()
    normalizer = Normalizer()
    # As in the bot: rows without an owner go through territory routing where the team has territories.
    owners = TerritoryOwners(LeadRouter(normalizer, PlaceIndex()))
    return (
        ImportService(database.uow, clock, normalizer, SpreadsheetFiles(), owners),
        ExportService(database.uow, clock, XlsxWriter),
    )


def _fail(text: str) -> int:
    print(text, file=sys.stderr)
    return 1


def _import(settings: Settings, args: argparse.Namespace) -> int:
    if args.target == "template":
        return _template(settings, args)
    if args.target == "undo":
        return _undo(settings, args)
    from bot.sheets.writer import XlsxWriter
    from chat.errors import message
    from chat.sheets import view
    from crm.errors import ChatCrmError
    from crm.imports import ImportResult
    from crm.model import ImportMode

    path = Path(args.target)
    data = read_bytes(path)
    if data is None:
        return 1

    async def work(database: Any) -> tuple[Member, ImportResult] | str:
        actor = await _member(database, args.team, None)
        if actor is None:
            return f"no team {args.team}" if args.team is not None else "no team yet"
        owner: int | None = None
        if args.owner is not None:
            member = await _member(database, actor.team_id, args.owner)
            if member is None:
                return f"no active member {args.owner!r} in team {actor.team_id}"
            owner = member.id
        if args.lang is not None:
            actor.lang = Lang(args.lang)
        imports, _ = _services(database)

        async def progress(done: int, total: int) -> None:
            if not args.json:
                print(f"{done}/{total} rows", file=sys.stderr)

        result = await imports.run(
            actor,
            data,
            path.name,
            mode=ImportMode(args.mode),
            dry_run=args.dry_run,
            default_owner=owner,
            progress=progress,
        )
        return actor, result

    try:
        outcome = _run(settings, work)
    except ChatCrmError as exc:
        return _fail(message(Lang(args.lang or "en"), exc))
    if isinstance(outcome, str):
        return _fail(outcome)
    actor, result = outcome
    errors_path: Path | None = None
    if result.failures:
        errors_path = args.errors or path.with_name(path.stem + ".errors.xlsx")
        errors_path.write_bytes(view.workbook(XlsxWriter, view.errors(actor.lang, result)))
    if args.json:
        print(json.dumps(_result_json(actor.lang, result, errors_path), ensure_ascii=False, indent=2))
    else:
        print(view.result(actor.lang, result, None).text)
        if errors_path is not None:
            print(f"errors: {errors_path}")
        if result.run_id is not None and not result.dry_run:
            print(f"import #{result.run_id}: `chatcrm import undo {result.run_id} --team {actor.team_id}`")
    return 0


def _result_json(lang: Lang, result: Any, errors_path: Path | None) -> dict[str, Any]:
    from chat.sheets import view

    return {
        "import": result.run_id,
        "file": result.file_name,
        "mode": result.mode.value,
        "dry_run": result.dry_run,
        "status": result.status.value,
        "rows": result.total,
        "counts": {outcome.value: n for outcome, n in result.counts.items()},
        "flagged": result.flagged,
        "stages_kept": result.stages_kept,
        "unknown_columns": result.unknown_columns,
        "skipped_sheets": result.skipped_sheets,
        "failures": [
            {"sheet": f.sheet, "row": f.line, "reason": f.problem.key, "text": view.reason(lang, f)}
            for f in result.failures
        ],
        "errors_file": str(errors_path) if errors_path else None,
    }


def _template(settings: Settings, args: argparse.Namespace) -> int:
    from bot.sheets.writer import XlsxWriter
    from chat.sheets import view
    from crm.stages import default_funnel

    if args.output is None:
        return _fail("import template: give the file to write with -o FILE.xlsx")
    lang = Lang(args.lang or "zh")
    funnel = default_funnel()
    owner = ""
    if args.team is not None:

        async def work(database: Any) -> tuple[Any, str] | None:
            actor = await _member(database, args.team, None)
            if actor is None:
                return None
            imports, _ = _services(database)
            return await imports.funnel(actor.team_id), actor.name

        found = _run(settings, work)
        if found is None:
            return _fail(f"no team {args.team}")
        funnel, owner = found
    args.output.write_bytes(view.workbook(XlsxWriter, view.template(lang, funnel, owner)))
    print(args.output)
    return 0


def _undo(settings: Settings, args: argparse.Namespace) -> int:
    from chat.errors import message
    from chat.sheets import view
    from crm.errors import ChatCrmError

    if args.run is None:
        return _fail("import undo: give the import's number")

    async def work(database: Any) -> tuple[Member, Any] | str:
        actor = await _member(database, args.team, None)
        if actor is None:
            return "no team"
        imports, _ = _services(database)
        return actor, await imports.undo(actor, args.run)

    try:
        outcome = _run(settings, work)
    except ChatCrmError as exc:
        return _fail(message(Lang(args.lang or "en"), exc))
    if isinstance(outcome, str):
        return _fail(outcome)
    actor, undone = outcome
    print(view.undone(Lang(args.lang) if args.lang else actor.lang, undone).text)
    return 0


def _export(settings: Settings, args: argparse.Namespace) -> int:
    from crm.exports import Entity, ExportResult

    async def work(database: Any) -> ExportResult | str:
        actor = await _member(database, args.team, args.member)
        if actor is None:
            return f"no member {args.member}" if args.member is not None else "no team"
        _, exports = _services(database)
        result: ExportResult = await exports.export(actor, Entity(args.what), via="cli")
        return result

    outcome = _run(settings, work)
    if isinstance(outcome, str):
        return _fail(outcome)
    args.output.write_bytes(outcome.data)
    counts = ", ".join(f"{entity.value} {n}" for entity, n in outcome.rows.items())
    print(f"{args.output}: {counts}")
    return 0
