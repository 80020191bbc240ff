"""`chatcrm territories show|check|load`, `chatcrm route` and `chatcrm pool list`, for operators.

chatcrm territories show [--team ID]            the team's territory file (TOML)
chatcrm territories check FILE [--team ID]      validate: unknown places and members, with the line
chatcrm territories load FILE --team ID         validate and make it the team's territories
chatcrm route --team ID --address TEXT [--at ISO] [--json]   the routing decision; stores nothing
chatcrm pool list --team ID [--json]            unclaimed leads, oldest first
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from bot.commands.common import fail, read_bytes, reference_time
from bot.settings import Settings
from crm.model import Lang

T = TypeVar("T")


def register(commands: Any) -> None:
    territories = commands.add_parser("territories", help="a team's territories and pool rules (TOML)")
    actions = territories.add_subparsers(title="actions", metavar="ACTION")
    show = actions.add_parser("show", help="print the team's territory file")
    show.add_argument("--team", type=int, default=None, help="team id (default: the first team)")
    show.set_defaults(handler=_show)
    check = actions.add_parser("check", help="validate a territory file without loading it")
    check.add_argument("file", type=Path)
    check.add_argument("--team", type=int, default=None, help="check member names and ids against this team")
    check.set_defaults(handler=_check)
    load = actions.add_parser("load", help="validate a territory file and make it the team's")
    load.add_argument("file", type=Path)
    load.add_argument("--team", type=int, required=True, help="team id")
    load.set_defaults(handler=_load)

    route = commands.add_parser("route", help="the routing decision for an address (stores nothing)")
    route.add_argument("--team", type=int, required=True, help="team id")
    route.add_argument("--address", required=True, help="an address or any text naming a place")
    route.add_argument("--at", default=None, help="as at this time (ISO 8601; default now)")
    route.add_argument("--json", action="store_true", help="print JSON")
    route.set_defaults(handler=_route)

    pool = commands.add_parser("pool", help="the public pool")
    pool_actions = pool.add_subparsers(title="actions", metavar="ACTION")
    listing = pool_actions.add_parser("list", help="unclaimed leads, oldest first")
    listing.add_argument("--team", type=int, required=True, help="team id")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=_pool_list)


def _run(settings: Settings, work: Callable[[Any], Awaitable[T]]) -> T:
    """Runs `work(services)` on a migrated database, then closes it."""
    from crm.clock import SystemClock
    from crm.pool import PoolService
    from crm.routing import LeadRouter
    from nlu.extractor import Extractor
    from nlu.normalize import Normalizer
    from nlu.places import PlaceIndex
    from storage.database import Database

    async def go() -> T:
        database = Database(settings.database)
        try:
            await database.migrate()
            router = LeadRouter(Normalizer(), PlaceIndex())
            return await work(PoolService(database.uow, SystemClock(), router, Extractor()))
        finally:
            await database.close()

    return asyncio.run(go())


def _errors(exc: Any) -> None:
    from chat.territories.view import territories_error

    print(territories_error(Lang.EN, exc).text, file=sys.stderr)


def _warnings(problems: Any) -> None:
    from chat.territories.view import problem_lines

    if problems:
        print("warnings:", file=sys.stderr)
        print("\n".join(problem_lines(Lang.EN, problems)), file=sys.stderr)


def _first_team(pool: Any, team: int | None) -> Any:
    async def find() -> int | None:
        return team if team is not None else await pool.first_team_id()

    return find()


def _show(settings: Settings, args: argparse.Namespace) -> int:
    from crm.errors import ChatCrmError

    async def work(pool: Any) -> str | None:
        team = await _first_team(pool, args.team)
        if team is None:
            return None
        territories, _ = await pool.territories(team)
        source: str = territories.source
        return source

    try:
        source = _run(settings, work)
    except ChatCrmError as exc:
        from chat.errors import message

        print(message(Lang.EN, exc), file=sys.stderr)
        return 1
    if source is None:
        print("no team yet", file=sys.stderr)
        return 1
    print(source, end="" if source.endswith("\n") else "\n")
    return 0


def _source(path: Path) -> str | None:
    data = read_bytes(path)
    if data is None:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        print(f"{path}: not UTF-8", file=sys.stderr)
        return None


def _check(settings: Settings, args: argparse.Namespace) -> int:
    from crm.errors import ChatCrmError
    from crm.territories import TerritoryConfigError

    source = _source(args.file)
    if source is None:
        return 1

    async def work(pool: Any) -> Any:
        return await pool.check(args.team, source)

    try:
        territories, warnings = _run(settings, work)
    except TerritoryConfigError as exc:
        _errors(exc)
        return 1
    except ChatCrmError as exc:
        from chat.errors import message

        print(message(Lang.EN, exc), file=sys.stderr)
        return 1
    _warnings(warnings)
    print(
        f"ok: {len(territories.rules)} territories, {len(territories.regions)} sales regions, pools: "
        + ", ".join(territories.pool_names())
    )
    return 0


def _load(settings: Settings, args: argparse.Namespace) -> int:
    from crm.errors import ChatCrmError
    from crm.territories import TerritoryConfigError

    source = _source(args.file)
    if source is None:
        return 1

    async def work(pool: Any) -> Any:
        return await pool.load(None, args.team, source)

    try:
        territories, warnings = _run(settings, work)
    except TerritoryConfigError as exc:
        _errors(exc)
        return 1
    except ChatCrmError as exc:
        from chat.errors import message

        print(message(Lang.EN, exc), file=sys.stderr)
        return 1
    _warnings(warnings)
    print(f"team {args.team}: {len(territories.rules)} territories loaded")
    return 0


def _route(settings: Settings, args: argparse.Namespace) -> int:
    from chat.territories.view import decision_json, decision_text
    from crm.errors import ChatCrmError

    try:
        at = reference_time(settings, args.at)
    except ValueError:
        return fail(args.json, "usage", f"--at: not an ISO 8601 time: {args.at}", code=2)

    async def work(pool: Any) -> Any:
        return await pool.preview(args.team, args.address, at)

    try:
        decision = _run(settings, work)
    except ChatCrmError as exc:
        from chat.errors import message

        return fail(args.json, exc.key, message(Lang.EN, exc))
    if args.json:
        print(json.dumps(decision_json(decision), ensure_ascii=False, indent=2))
    else:
        print(decision_text(decision))
    return 0


def _pool_list(settings: Settings, args: argparse.Namespace) -> int:
    from chat.territories.view import place_text

    async def work(pool: Any) -> Any:
        return await pool.waiting(args.team)

    found = _run(settings, work)
    rows = [
        {
            "lead_id": view.lead.id,
            "customer_id": view.customer.id,
            "customer": view.customer.name,
            "contact": view.contact.name if view.contact else None,
            "source": view.lead.source.value,
            "origin": view.lead.origin,
            "pool": view.lead.pool,
            "territory": view.lead.territory,
            "place": place_text(view.lead),
            "pooled_at": view.lead.pooled_at.isoformat() if view.lead.pooled_at else None,
            "reason": view.lead.reason,
            "alerts_sent": view.lead.alert_stage,
        }
        for view in found
    ]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("the pool is empty")
        return 0
    for row in rows:
        print(
            f"#L{row['lead_id']:<6} {row['pooled_at'] or '-':<25} {row['pool'] or '-':<8} "
            f"{row['place']:<24} {row['customer'] or row['contact'] or '-'}"
        )
    return 0
