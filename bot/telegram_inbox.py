"""Telegram updates through the durable inbox (crm.inbox, crm.jobs), as WeChat's messages are.

An update is written to the inbox before Telegram is told it arrived: a webhook call is answered 200
only after the write (503 when the database cannot take it, and Telegram sends the update again); in
long polling, updates are written one by one before the next getUpdates confirms their offset. A
`JobRunner` then feeds each update to the dispatcher, in whichever process claims it: done when its
handlers returned, retried with a doubling wait when they failed, its sender told after the last
attempt, taken over by another process (or this one restarted) when its process died. An update
Telegram delivers again is the same job (its update_id is its key) and is handled once.

One chat is one lane, run `together`: the updates of a chat are handled at once in the process that
holds the chat's first update, as aiogram would handle them, so that the handlers can collect a
forwarded burst or an album in memory (handlers.telegram.burst) and a long voice note does not hold up
the member's next command. A burst's followers return only after their leader stored the burst, so no
update is done before what it said was stored.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import CallbackQuery, TelegramObject, Update
from aiohttp import web

from chat.app import App
from crm.errors import StorageError
from crm.inbox import Admission, Incoming
from crm.jobs import JobConfig, JobRunner
from crm.model import Channel, Job
from handlers.telegram.errors import INBOX_FINAL, unprocessed

logger = logging.getLogger(__name__)

QUEUE = Channel.TELEGRAM.value
# Telegram waits for a webhook answer about a minute; our write takes milliseconds, or fails.
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
MAX_BACKOFF_SECONDS = 30.0


def lane_of(update: Update) -> str:
    """The chat an update belongs to (a button press belongs to the chat of its message)."""
    event = update.event
    if isinstance(event, CallbackQuery):
        if event.message is not None:
            return str(event.message.chat.id)
        return str(event.from_user.id)
    chat = getattr(event, "chat", None)
    if chat is not None:
        return str(chat.id)
    user = getattr(event, "from_user", None)
    return str(user.id) if user is not None else "0"


def key_of(bot_id: int, update_id: int) -> str:
    return f"{QUEUE}:{bot_id}:{update_id}"


class SenderBusy(Exception):
    """The chat has as many updates waiting as one chat may (CHATCRM_INBOX_MAX_WAITING)."""


class TelegramInbox:
    """The inbox of one bot: `accept` writes an update, the runner handles it through the dispatcher.
    With `polling`, a failed write is retried until it succeeds (the offset is not confirmed
    meanwhile); without, it raises and the webhook call fails."""

    def __init__(self, app: App, dp: Dispatcher, bot: Bot, config: JobConfig, *, polling: bool) -> None:
        self.app = app
        self.dp = dp
        self.bot = bot
        self.polling = polling
        self.runner = JobRunner(app.ports.uow, app.ports.clock, config, self._process, give_up=self._give_up)
        self._running: asyncio.Task[None] | None = None
        # Before every other update middleware: what arrives from Telegram is only written down.
        dp.update.outer_middleware(self._take)

    def start(self) -> None:
        """Runs the inbox: updates written before (by this process before a restart, or by another)
        are taken up as well as new ones."""
        if self._running is None or self._running.done():
            self._running = asyncio.create_task(self.runner.run(), name=f"{QUEUE}-inbox")

    async def close(self, grace_seconds: float) -> None:
        """Lets the updates under way finish for up to `grace_seconds`; the others keep their leases
        and are taken over when those run out."""
        await self.runner.drain(grace_seconds)
        if self._running is not None:
            self._running.cancel()
            await asyncio.gather(self._running, return_exceptions=True)
            self._running = None

    async def accept(self, update: Update) -> Admission:
        """Writes the update to the inbox (or recognises it as delivered before)."""
        incoming = Incoming(
            queue=QUEUE,
            lane=lane_of(update),
            key=key_of(self.bot.id, update.update_id),
            payload=update.model_dump(mode="json", by_alias=True, exclude_none=True),
        )
        backoff = 1.0
        while True:
            try:
                admission = await self.app.inbox.accept(incoming)
            except StorageError as exc:
                if not self.polling:
                    raise
                logger.warning("Telegram update not written (%s); retrying", type(exc).__name__)
            else:
                if admission is not Admission.FULL:
                    if admission is Admission.ACCEPTED:
                        self.runner.wake()
                    return admission
                if not self.polling:
                    raise SenderBusy()
            # Long polling: Telegram keeps the update (for a day) until getUpdates confirms it.
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    async def _take(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if INBOX_FINAL in data:  # fed by the runner: handle it
            return await handler(event, data)
        assert isinstance(event, Update)
        await self.accept(event)
        return None

    async def _process(self, job: Job, final: bool) -> None:
        update = Update.model_validate(job.payload, context={"bot": self.bot})
        await self.dp.feed_update(self.bot, update, **{INBOX_FINAL: final})

    async def _give_up(self, job: Job) -> None:
        await unprocessed(self.app, Update.model_validate(job.payload, context={"bot": self.bot}))

    # --- the webhook ------------------------------------------------------------------------------

    def webhook(self, secret: str) -> Callable[[web.Request], Awaitable[web.Response]]:
        """The aiohttp handler of POST /telegram: 200 once the update is written."""
        expected = secret.encode()

        async def handle(request: web.Request) -> web.Response:
            given = request.headers.get(SECRET_HEADER, "").encode()
            if not hmac.compare_digest(given, expected):
                return web.Response(status=401, text="Unauthorized")
            try:
                body = await request.json()
                update = Update.model_validate(body, context={"bot": self.bot})
            except ValueError:  # not JSON, not UTF-8, or not an update (pydantic's ValidationError)
                return web.Response(status=400, text="not a Telegram update")
            try:
                await self.accept(update)
            except StorageError as exc:
                logger.warning("Telegram update %s refused: %s", update.update_id, type(exc).__name__)
                return web.Response(status=503, text="try again")
            except SenderBusy:
                logger.warning("Telegram update %s refused: its chat has too much waiting", update.update_id)
                return web.Response(status=429, text="try again")
            return web.json_response({})

        return handle
