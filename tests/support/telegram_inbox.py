"""One chatcrm process's Telegram side for tests: a dispatcher, a recording bot session and the durable
inbox with a fast-polling runner, on the app (and so the database) it is given."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from aiogram.types import Update
from aiohttp import web

from bot.telegram import make_dispatcher
from bot.telegram_inbox import QUEUE, TelegramInbox
from chat.app import App
from crm.jobs import JobConfig
from tests.support.telegram import make_bot, text_update, user

ADMIN = user(100, "Boss")
SECRET = "s3cret-token"


class Process:
    """One chatcrm process's Telegram side: its dispatcher, bot session and inbox runner."""

    def __init__(self, app: App, *, burst_seconds: float = 0.2, polling: bool = False, **config: Any) -> None:
        settings: dict[str, Any] = {
            "queue": QUEUE,
            "slots": 4,
            "lease_seconds": 30.0,
            "poll_seconds": 0.05,
            "max_attempts": 3,
            "retry_seconds": 1.0,
            "together": True,
        }
        settings.update(config)
        self.app = app
        self.dp, _ = make_dispatcher(app, burst_seconds=burst_seconds)
        self.bot, self.session = make_bot()
        self.inbox = TelegramInbox(app, self.dp, self.bot, JobConfig(**settings), polling=polling)

    def web(self) -> web.Application:
        web_app = web.Application()
        web_app.router.add_post("/telegram", self.inbox.webhook(SECRET))
        return web_app

    async def receive(self, update: Update) -> None:
        """What long polling does with an update: through the dispatcher's middlewares."""
        await self.dp.feed_update(self.bot, update)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        self.inbox.start()
        try:
            yield
        finally:
            await self.inbox.close(5)

    async def kill(self) -> None:
        """kill -9: the runner stops where it is; nothing is settled, and its leases stay until they
        run out."""
        task = self.inbox._running
        assert task is not None
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    async def handle_all(self) -> None:
        async with self.running():
            await self.inbox.runner.idle()


async def until(condition: Callable[[], bool], timeout: float = 60) -> None:
    """Waits for something a runner or another task does (polled)."""
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110 - polling what the runners record
            await asyncio.sleep(0.01)


async def founded(process: Process) -> None:
    await process.receive(text_update(ADMIN, "/start"))
    await process.handle_all()
    assert "管理员" in process.session.texts()[-1]
    process.session.clear()
