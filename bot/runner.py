"""`chatcrm run`: the channels that are configured, or the console when none is."""

from __future__ import annotations

import logging
import sys

from bot.settings import Settings
from bot.wiring import Runtime, build

logger = logging.getLogger(__name__)


async def run(settings: Settings) -> None:
    runtime = await build(settings)
    try:
        if settings.telegram_enabled:
            from bot.telegram import run_telegram

            await run_telegram(runtime)
        else:
            await run_console(runtime)
    finally:
        await runtime.close()


async def run_console(runtime: Runtime) -> None:
    from bot.cli import stdin_lines
    from handlers.console.chat import ConsoleChat

    def write(text: str) -> None:
        print(text, flush=True)
        print(flush=True)

    logger.info("no messenger configured: console chat on standard input")
    await ConsoleChat(runtime.app, write).run(stdin_lines())
    if sys.stdin.isatty():
        print("bye")
