"""`chatcrm digest`, `chatcrm deals list` and `chatcrm stages show|check|load`, for operators and scripts.

chatcrm digest [--team ID] [--json] [--lang zh|en]   the managers' digest of a team, now
chatcrm deals list [--team ID] [--json]              the team's open deals with their health
chatcrm stages show [--team ID]                      the team's stage configuration (TOML)
chatcrm stages check FILE                            validate a stage file, change nothing
chatcrm stages load FILE --team ID                   validate and make it the team's funnel
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from bot.commands.common import fail, read_bytes
from bot.settings import Settings
from crm.model import Lang, Member, Role
from crm.stages import Funnel

T = TypeVar("T")


def register(commands: Any) -> None:
    digest = commands.add_parser("digest", help="print a team's manager digest now (nothing is sent)")
    digest.add_argument("--team", type=int, default=None, help="team id (default: the first team)")
    digest.add_argument("--json", action="store_true", help="print JSON")
    digest.add_argument(
        "--lang", choices=["zh", "en"], default=None, help="text language (default: the manager's)"
    )
    digest.set_defaults(handler=_digest)

    deals = commands.add_parser("deals", help="deals of a team")
    deal_actions = deals.add_subparsers(title="actions", metavar="ACTION")
    listing = deal_actions.add_parser("list", help="open deals with their stage and health")
    listing.add_argument("--team", type=int, default=None, help="team id (default: the first team)")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=_deals_list)

    stages = commands.add_parser("stages", help="a team's sales stages (TOML)")
    stage_actions = stages.add_subparsers(title="actions", metavar="ACTION")
    show = stage_actions.add_parser("show", help="print the team's stage configuration")
    show.add_argument("--team", type=int, default=None, help="team id (default: the first team)")
    show.set_defaults(handler=_stages_show)
    check = stage_actions.add_parser("check", help="validate a stage file without loading it")
    check.add_argument("file", type=Path)
    check.set_defaults(handler=_stages_check)
    load = stage_actions.add_parser("load", help="validate a stage file and make it the team's")
    load.add_argument("file", type=Path)
    load.add_argument("--team", type=int, required=True, help="team id")
    load.set_defaults(handler=_stages_load)


def _run(settings: Settings, work: Callable[[Any], Awaitable[T]]) -> T:
    """Runs `work(database)` on a migrated database, then closes it."""
    from storage.database import Database

    async def go() -> T:
        database = Database(settings.database)
        try:
            await database.migrate()
            return await work(database)
        finally:
            await database.close()

    return asyncio.run(go())


async def _team_and_manager(database: Any, team_id: int | None) -> tuple[int, Member | None, Funnel] | None:
    from crm.stages import team_funnel

    async with database.uow(read_only=True) as uow:
        teams = await uow.teams.all()
        team = next((t for t in teams if team_id is None or t.id == team_id), None)
        if team is None:
            return None
        members = await uow.members.in_team(team.id)
    manager = next((m for m in members if m.role is Role.MANAGER), None) or next(
        (m for m in members if m.role.sees_team), None
    )
    return team.id, manager, team_funnel(team.settings)


def _no_team(team_id: int | None, as_json: bool = False) -> int:
    if team_id is not None:
        return fail(as_json, "no_team", f"no team {team_id}")
    return fail(as_json, "no_team", "no team yet: start the assistant and send /start first")


def _reader(manager: Member | None, team_id: int, lang: str | None, settings: Settings) -> Member:
    """Whom the text is written for: the team's manager, in the language asked for."""
    now = datetime.now(UTC)
    base = manager or Member(
        id=0,
        team_id=team_id,
        name="operator",
        role=Role.MANAGER,
        lang=Lang.ZH,
        timezone=settings.default_timezone,
        created_at=now,
    )
    reader = Member(**{f: getattr(base, f) for f in base.__dataclass_fields__})
    reader.role = Role.MANAGER
    if lang is not None:
        reader.lang = Lang(lang)
    return reader


def _digest(settings: Settings, args: argparse.Namespace) -> int:
    from chat.deals import view as present_deals
    from crm.clock import SystemClock
    from crm.digest import DigestService, TeamDigest

    async def work(database: Any) -> tuple[TeamDigest, Member] | None:
        found = await _team_and_manager(database, args.team)
        if found is None:
            return None
        team_id, manager, _ = found
        digest = await DigestService(database.uow, SystemClock()).team(team_id)
        return digest, _reader(manager, team_id, args.lang, settings)

    result = _run(settings, work)
    if result is None:
        return _no_team(args.team, args.json)
    digest, reader = result
    if args.json:
        print(json.dumps(_digest_json(digest, reader), ensure_ascii=False, indent=2))
    else:
        print(present_deals.team_digest(reader, digest, None).text)
    return 0


def _line_json(line: Any, funnel: Funnel, reader: Member) -> dict[str, Any]:
    from chat.deals import view as present_deals

    snapshot, health = line.snapshot, line.health
    return {
        "id": snapshot.deal_id,
        "tag": f"#D{snapshot.deal_id}",
        "name": snapshot.name,
        "owner_id": snapshot.owner_id,
        "owner": line.owner,
        "stage": snapshot.stage,
        "amount_cny": snapshot.amount_cny,
        "days_in_stage": health.days_in_stage,
        "stalled": health.stalled,
        "completeness": health.completeness,
        "missing": [r.key for r in health.missing],
        "roles_engaged": health.roles_engaged,
        "roles_required": health.roles_required,
        "last_touch_days": health.last_touch_days,
        "overdue_commitments": health.overdue,
        "risk": health.risk,
        "closeness": health.closeness,
        "advice": present_deals.advice_text(reader.lang, health.advice, funnel),
    }


def _digest_json(digest: Any, reader: Member) -> dict[str, Any]:
    funnel = digest.funnel
    return {
        "team_id": digest.team_id,
        "generated_at": digest.now.isoformat(),
        "total_open": digest.total_open,
        "stall_days": funnel.stall_days,
        "stalled_total": digest.stalled_total,
        "stalled": [_line_json(line, funnel, reader) for line in digest.stalled],
        "at_risk": [_line_json(line, funnel, reader) for line in digest.at_risk],
        "closing": [_line_json(line, funnel, reader) for line in digest.closing],
        "untouched_total": digest.untouched_total,
        "untouched": [_line_json(line, funnel, reader) for line in digest.untouched],
        "funnel": [
            {"stage": stage.key, "zh": stage.zh, "en": stage.en, "count": count}
            for stage, count in digest.counts
        ],
    }


def _deals_list(settings: Settings, args: argparse.Namespace) -> int:
    from crm.digest import DealLine
    from crm.health import Scorer

    async def work(database: Any) -> tuple[list[DealLine], Funnel, Member] | None:
        found = await _team_and_manager(database, args.team)
        if found is None:
            return None
        team_id, manager, funnel = found
        now = datetime.now(UTC)
        async with database.uow(read_only=True) as uow:
            snapshots = await uow.deal_queries.snapshots(team_id, None, now, funnel.evidence_keys())
            owners = {m.id: m.name for m in await uow.members.in_team(team_id)}
        scorer = Scorer(funnel, now)
        lines = [DealLine(s, scorer.assess(s), owners.get(s.owner_id, "?")) for s in snapshots]
        lines.sort(key=lambda line: (funnel.index(line.snapshot.stage), line.snapshot.deal_id))
        return lines, funnel, _reader(manager, team_id, None, settings)

    result = _run(settings, work)
    if result is None:
        return _no_team(args.team, args.json)
    lines, funnel, reader = result
    data = [_line_json(line, funnel, reader) for line in lines]
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    if not data:
        print("no open deals")
        return 0
    for row in data:
        flags = " STALLED" if row["stalled"] else ""
        print(
            f"{row['tag']:>8}  {row['stage']:<16} {row['days_in_stage']:>3}d  {row['completeness']:>3}%  "
            f"chain {row['roles_engaged']}/{row['roles_required']}  {row['owner']:<10} {row['name']}{flags}"
        )
    return 0


def _stages_show(settings: Settings, args: argparse.Namespace) -> int:
    async def work(database: Any) -> tuple[int, Member | None, Funnel] | None:
        return await _team_and_manager(database, args.team)

    found = _run(settings, work)
    if found is None:
        return _no_team(args.team)
    print(found[2].source, end="" if found[2].source.endswith("\n") else "\n")
    return 0


def _problems(exc: Any) -> None:
    from chat.deals import view as present_deals

    print(present_deals.stages_error(Lang.EN, exc).text, file=sys.stderr)


def _stages_check(settings: Settings, args: argparse.Namespace) -> int:
    from crm.stages import StageConfigError, parse_bytes

    data = read_bytes(args.file)
    if data is None:
        return 1
    try:
        funnel = parse_bytes(data)
    except StageConfigError as exc:
        _problems(exc)
        return 1
    print("ok: " + " -> ".join(f"{s.key} ({s.en})" for s in funnel.stages))
    return 0


def _stages_load(settings: Settings, args: argparse.Namespace) -> int:
    from crm.clock import SystemClock
    from crm.deals import DealService
    from crm.errors import ChatCrmError
    from crm.stages import StageConfigError, parse_bytes
    from nlu.extractor import Extractor
    from nlu.normalize import Normalizer

    data = read_bytes(args.file)
    if data is None:
        return 1
    try:
        source = parse_bytes(data).source
    except StageConfigError as exc:
        _problems(exc)
        return 1

    async def work(database: Any) -> Funnel:
        service = DealService(database.uow, SystemClock(), Extractor(), Normalizer())
        return await service.load_stages(None, args.team, source)

    try:
        funnel = _run(settings, work)
    except StageConfigError as exc:
        _problems(exc)
        return 1
    except ChatCrmError as exc:
        from chat.errors import message

        print(message(Lang.EN, exc), file=sys.stderr)
        return 1
    print(f"team {args.team}: " + " -> ".join(f"{s.key} ({s.en})" for s in funnel.stages))
    return 0
