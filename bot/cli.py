"""The `chatcrm` command: run the assistant, migrate the database, extract facts for scripts."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.logs import setup_logging
from bot.settings import Settings

logger = logging.getLogger(__name__)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    settings = Settings()
    setup_logging(settings.log_level)
    try:
        code: int = args.handler(settings, args)
    except KeyboardInterrupt:
        return 130
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chatcrm",
        description="A CRM that lives in the messengers field sales already use.",
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    run = commands.add_parser("run", help="start the assistant (Telegram, WeChat, or the console)")
    run.set_defaults(handler=_run)

    migrate = commands.add_parser("migrate", help="apply database migrations")
    migrate.set_defaults(handler=_migrate)

    extract = commands.add_parser("extract", help="print the facts found in a file, storing nothing")
    kinds = extract.add_subparsers(title="kinds", metavar="KIND")
    chat = kinds.add_parser("chat", help="a chat transcript (text file, UTF-8)")
    chat.add_argument("file", type=Path)
    chat.add_argument("--json", action="store_true", help="print JSON")
    chat.add_argument("--now", help="resolve relative times against this ISO time (default: now)")
    chat.set_defaults(handler=_extract_chat)

    invite = commands.add_parser("invite", help="print an invite code for a team (run on the server)")
    invite.add_argument("--role", choices=["rep", "manager"], default="rep")
    invite.add_argument("--team", type=int, default=None, help="team id (default: the first team)")
    invite.set_defaults(handler=_invite)
    return parser


def _run(settings: Settings, _args: argparse.Namespace) -> int:
    from bot.runner import run

    asyncio.run(run(settings))
    return 0


def _migrate(settings: Settings, _args: argparse.Namespace) -> int:
    from storage.migrate import current_revision, upgrade

    async def go() -> str | None:
        await upgrade(settings.database)
        return await current_revision(settings.database)

    revision = asyncio.run(go())
    print(f"database at revision {revision}")
    return 0


def _now(settings: Settings, value: str | None) -> datetime:
    tz = ZoneInfo(settings.default_timezone)
    if value:
        moment = datetime.fromisoformat(value)
        return moment if moment.tzinfo else moment.replace(tzinfo=tz)
    return datetime.now(UTC).astimezone(tz)


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"cannot read {path}: {exc}", file=sys.stderr)
        return None


def _extract_chat(settings: Settings, args: argparse.Namespace) -> int:
    from nlu.extractor import Extractor

    text = _read_text(args.file)
    if text is None:
        return 1
    facts = Extractor().chat(text, _now(settings, args.now))
    _print_facts(facts.to_json(), as_json=args.json)
    return 0


def _print_facts(data: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return
    for key, value in data.items():
        if value in (None, [], {}, ""):
            continue
        if isinstance(value, list):
            print(f"{key}:")
            for item in value:
                print(f"  - {json.dumps(item, ensure_ascii=False) if isinstance(item, dict) else item}")
        elif isinstance(value, dict):
            print(f"{key}: {json.dumps(value, ensure_ascii=False)}")
        else:
            print(f"{key}: {value}")


def _invite(settings: Settings, args: argparse.Namespace) -> int:
    from bot.wiring import build
    from crm.model import Role

    async def go() -> str | None:
        runtime = await build(settings)
        try:
            return await runtime.app.members.server_invite(Role(args.role), args.team)
        finally:
            await runtime.close()

    code = asyncio.run(go())
    if code is None:
        print("no team yet: start the assistant and send /start first", file=sys.stderr)
        return 1
    print(code)
    return 0


async def stdin_lines() -> AsyncIterator[str]:
    """Standard input line by line without blocking the event loop; ends at EOF."""
    while True:
        line = await asyncio.to_thread(sys.stdin.readline)
        if not line:
            return
        yield line
