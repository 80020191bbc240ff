"""The console as a channel: `chatcrm run` with no messenger configured chats on standard input and
output, until EOF."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import AsyncIterator

from bot.wiring import Runtime
from crm.model import Channel
from handlers.console.chat import ConsoleChat
from handlers.console.notify import ConsoleNotifier

logger = logging.getLogger(__name__)


async def stdin_lines() -> AsyncIterator[str]:
    """Standard input line by line without blocking the event loop; ends at EOF."""
    while True:
        line = await asyncio.to_thread(sys.stdin.readline)
        if not line:
            return
        yield line


def write(text: str) -> None:
    print(text, flush=True)
    print(flush=True)


async def run_console(runtime: Runtime) -> None:
    logger.info("no messenger configured: console chat on standard input")
    chat = ConsoleChat(runtime.app, write)
    runtime.notifier.register(Channel.CONSOLE, ConsoleNotifier(chat.conversation, write))
    await chat.run(stdin_lines())
    if sys.stdin.isatty():
        print("bye")
