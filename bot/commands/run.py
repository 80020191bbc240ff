"""`chatcrm run` and `chatcrm migrate`."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from bot.settings import Settings


def register(commands: Any) -> None:
    run = commands.add_parser("run", help="start the assistant (Telegram, WeChat, or the console)")
    # long-running: logs at INFO by default (bot.cli.log_level)
    run.set_defaults(handler=_run, serving=True)
    migrate = commands.add_parser("migrate", help="apply database migrations")
    migrate.set_defaults(handler=_migrate)


def _run(settings: Settings, _args: argparse.Namespace) -> int:
    from bot.runner import run

    asyncio.run(run(settings))
    return 0


def _migrate(settings: Settings, _args: argparse.Namespace) -> int:
    from storage.migrate import current_revision, upgrade

    async def go() -> str | None:
        await upgrade(settings.database)
        return await current_revision(settings.database)

    print(f"database at revision {asyncio.run(go())}")
    return 0
