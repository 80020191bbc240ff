"""`chatcrm reminders list [--json] [--member ID] [--all]`: reminders as stored, for operators."""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.settings import Settings
from crm.model import Member, Reminder, ReminderStatus


def register(commands: Any) -> None:
    reminders = commands.add_parser("reminders", help="list reminders (open ones by default)")
    actions = reminders.add_subparsers(title="actions", metavar="ACTION")
    listing = actions.add_parser(
        "list", help="open reminders (pending or delivered, not done) by due time, in each member's timezone"
    )
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.add_argument("--member", type=int, default=None, help="only this member's (member id)")
    listing.add_argument("--all", action="store_true", help="done and cancelled ones too")
    listing.add_argument("--limit", type=int, default=1000, help="at most this many (default 1000)")
    listing.set_defaults(handler=_list)


def _list(settings: Settings, args: argparse.Namespace) -> int:
    from crm.clock import SystemClock
    from crm.reminders import ReminderService
    from storage.database import Database

    async def go() -> list[tuple[Reminder, Member | None]]:
        database = Database(settings.database)
        try:
            await database.migrate()
            service = ReminderService(database.uow, SystemClock())
            return await service.listing(args.member, include_closed=args.all, limit=args.limit)
        finally:
            await database.close()

    found = asyncio.run(go())
    now = datetime.now(UTC)
    data = [_row(reminder, member, now) for reminder, member in found]
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    if not data:
        print("no reminders")
        return 0
    header = ("ID", "MEMBER", "KIND", "DUE (member's time)", "STATUS", "OVERDUE", "TEXT")
    lines = [
        (
            str(row["id"]),
            f"{row['member']} (#{row['member_id']})",
            row["kind"],
            row["due_local"][:16].replace("T", " ") + f" {row['timezone']}",
            row["status"],
            "yes" if row["overdue"] else "",
            row["text"],
        )
        for row in data
    ]
    widths = [max(len(line[i]) for line in [header, *lines]) for i in range(len(header) - 1)]
    for line in [header, *lines]:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=False)) + "  " + line[-1]
        )
    return 0


def _row(reminder: Reminder, member: Member | None, now: datetime) -> dict[str, Any]:
    timezone = member.timezone if member is not None else "UTC"
    due_local = reminder.due_at.astimezone(ZoneInfo(timezone))
    open_ = reminder.status in (ReminderStatus.PENDING, ReminderStatus.DELIVERED)
    return {
        "id": reminder.id,
        "member_id": reminder.member_id,
        "member": member.name if member is not None else None,
        "kind": reminder.kind.value,
        "text": reminder.text,
        "due_local": due_local.isoformat(),
        "due_utc": reminder.due_at.isoformat(),
        "timezone": timezone,
        "status": reminder.status.value,
        "overdue": open_ and reminder.due_at <= now,
        "attempts": reminder.attempts,
        "delivered_at": reminder.delivered_at.isoformat() if reminder.delivered_at else None,
        "customer_id": reminder.customer_id,
    }
