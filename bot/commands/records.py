"""`chatcrm audit` and `chatcrm health`, for operators and scripts.

chatcrm audit --team ID [--record customer:ID] [--member ID] [--since DATE] [--limit N] [--json]
    a team's operations, newest first: who did what, when, from which capture or import, and each
    field it changed from what to what (a customer with its contacts and deals, as /history shows it)
chatcrm health --team ID [--json]
    the team's data health, owner by owner (as /health shows managers)
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import date, datetime, time
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from bot.commands.common import fail
from bot.settings import Settings

T = TypeVar("T")


def register(commands: Any) -> None:
    audit = commands.add_parser(
        "audit", help="a team's audit trail: who changed which field from what to what (newest first)"
    )
    audit.add_argument("--team", type=int, required=True, help="team id")
    audit.add_argument(
        "--record",
        default=None,
        help="one record: customer:ID (with its contacts and deals), contact:ID, deal:ID",
    )
    audit.add_argument("--member", type=int, default=None, help="only what this member did (member id)")
    audit.add_argument(
        "--since", default=None, help="from this date (YYYY-MM-DD, server timezone) or ISO 8601 time on"
    )
    audit.add_argument("--limit", type=int, default=1000, help="at most this many operations (default 1000)")
    audit.add_argument("--json", action="store_true", help="print JSON")
    audit.set_defaults(handler=_audit)

    health = commands.add_parser("health", help="a team's data health by owner (completeness, gaps)")
    health.add_argument("--team", type=int, required=True, help="team id")
    health.add_argument("--json", action="store_true", help="print JSON")
    health.set_defaults(handler=_health)


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


def since_moment(value: str, timezone: str) -> datetime:
    """A date is its midnight in `timezone`; a time without an offset is in `timezone` too."""
    tz = ZoneInfo(timezone)
    if len(value) == 10:
        return datetime.combine(date.fromisoformat(value), time(0), tzinfo=tz)
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def _audit(settings: Settings, args: argparse.Namespace) -> int:
    from crm.history import HistoryService, Operation, RecordRef

    try:
        record = RecordRef.parse(args.record) if args.record else None
        since = since_moment(args.since, settings.default_timezone) if args.since else None
    except ValueError as exc:
        return fail(args.json, "usage", f"chatcrm audit: {exc}", code=2)

    async def work(database: Any) -> list[Operation] | None:
        async with database.uow(read_only=True) as uow:
            if await uow.teams.get(args.team) is None:
                return None
        service = HistoryService(database.uow)
        return await service.audit(
            args.team, record=record, member_id=args.member, since=since, limit=max(1, args.limit)
        )

    operations = _run(settings, work)
    if operations is None:
        return fail(args.json, "no_team", f"no team {args.team}")
    if args.json:
        print(json.dumps([op.as_dict() for op in operations], ensure_ascii=False, indent=2))
        return 0
    if not operations:
        print("no operations")
        return 0
    tz = ZoneInfo(settings.default_timezone)
    for operation in operations:
        print(_operation_text(operation.as_dict(), operation.at.astimezone(tz)))
    return 0


def _operation_text(data: dict[str, Any], local: datetime) -> str:
    who = f"{data['actor']} (#{data['actor_id']})" if data["actor_id"] is not None else "system"
    head = f"#{data['id']}  {local:%Y-%m-%d %H:%M %Z}  {who}  {data['action']}  {data['target']}"
    origin = data["origin"]
    if origin:
        bits = [origin["kind"], origin.get("source"), origin.get("file")]
        head += "  [" + " ".join(str(b) for b in bits if b) + "]"
    lines = [head]
    for change in data["changes"]:
        if change["created"]:
            lines.append(f"    + {change['record']} created")
        else:
            before = json.dumps(change["before"], ensure_ascii=False)
            after = json.dumps(change["after"], ensure_ascii=False)
            lines.append(f"    {change['record']}.{change['field']}: {before} -> {after}")
    if data["others"]:
        lines.append("    also changed: " + ", ".join(f"{n} {kind}(s)" for kind, n in data["others"].items()))
    return "\n".join(lines)


_COLUMNS = (
    ("customers", "CUSTOMERS"),
    ("completeness_pct", "CORE%"),
    ("missing.customer", "NO-NAME"),
    ("missing.contact", "NO-CONTACT"),
    ("missing.phone", "NO-PHONE"),
    ("missing.follow_up", "NO-FOLLOW-UP"),
    ("contacts", "CONTACTS"),
    ("contacts_without_phone", "CONTACT-NO-PHONE"),
    ("untouched.30", ">=30D"),
    ("untouched.60", ">=60D"),
    ("untouched.90", ">=90D"),
    ("open_deals", "OPEN-DEALS"),
    ("deals_without_next_step", "NO-NEXT-STEP"),
    ("duplicates_waiting", "DUPLICATES"),
)


def _health(settings: Settings, args: argparse.Namespace) -> int:
    from crm.clock import SystemClock
    from crm.data_health import TeamHealth
    from crm.data_health_service import DataHealthService
    from crm.errors import ChatCrmError

    async def work(database: Any) -> TeamHealth:
        return await DataHealthService(database.uow, SystemClock()).team(args.team)

    try:
        health = _run(settings, work)
    except ChatCrmError:
        return fail(args.json, "no_team", f"no team {args.team}")
    data = health.as_dict()
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    rows = [(owner["name"] or f"#{owner['member_id']}", owner) for owner in data["owners"]]
    rows.append(("TOTAL", data["total"]))
    header = ["OWNER", *(title for _, title in _COLUMNS)]
    table = [header] + [[name, *(_cell(row, key) for key, _ in _COLUMNS)] for name, row in rows]
    widths = [max(_width(line[i]) for line in table) for i in range(len(header))]
    for line in table:
        print("  ".join(_pad(cell, width) for cell, width in zip(line, widths, strict=True)).rstrip())
    print(f"nudges: {'on' if health.nudges else 'off'}")
    return 0


def _cell(row: dict[str, Any], key: str) -> str:
    value: Any = row
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return "-" if value is None else str(value)


def _width(text: str) -> int:
    # CJK characters take two columns in a terminal.
    return sum(2 if ord(char) > 0x2E80 else 1 for char in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
