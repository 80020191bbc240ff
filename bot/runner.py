"""`chatcrm run`: the configured channels (the console when none is) and the background jobs.

WeChat / WeCom and a Telegram webhook share one HTTP server; Telegram polling runs beside WeChat."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from bot.settings import Settings
from bot.wiring import Runtime, background_services, build
from crm.model import Channel

logger = logging.getLogger(__name__)


async def run(settings: Settings) -> None:
    runtime = await build(settings)
    jobs = [asyncio.create_task(job) for job in background_services(runtime)]
    try:
        if settings.wechat_enabled:
            from bot.telegram import start_beside
            from bot.wechat.runtime import run_http_channels

            async def telegram(web_app: Any) -> Callable[[], Awaitable[None]]:
                return await start_beside(runtime, web_app)

            await run_http_channels(
                settings, runtime.app, runtime.notifier, telegram if settings.telegram_enabled else None
            )
        elif settings.telegram_enabled:
            from bot.telegram import run_telegram

            await run_telegram(runtime)
        else:
            await run_console(runtime)
    finally:
        for job in jobs:
            job.cancel()
        for job in jobs:
            with contextlib.suppress(asyncio.CancelledError):
                await job
        await runtime.close()


async def run_console(runtime: Runtime) -> None:
    from bot.cli import stdin_lines
    from handlers.console.chat import ConsoleChat
    from handlers.console.notify import ConsoleNotifier

    def write(text: str) -> None:
        print(text, flush=True)
        print(flush=True)

    logger.info("no messenger configured: console chat on standard input")
    chat = ConsoleChat(runtime.app, write)
    runtime.notifier.register(Channel.CONSOLE, ConsoleNotifier(chat.conversation, write))
    await chat.run(stdin_lines())
    if sys.stdin.isatty():
        print("bye")
