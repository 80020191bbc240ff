"""Middlewares: resolve the acting member once per update, and track handlers for a clean shutdown."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject

from chat.app import App
from handlers.telegram.common import newcomer


class ActorMiddleware(BaseMiddleware):
    """Puts `who` (the sender as a Newcomer) and `actor` (the Member, or None) into handler data."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        app: App = data["app"]
        user = getattr(event, "from_user", None)
        if user is None or user.is_bot:
            return None
        chat = event.chat if isinstance(event, Message) else None
        if isinstance(event, CallbackQuery) and isinstance(event.message, Message):
            chat = event.message.chat
        who = newcomer(user, chat)
        data["who"] = who
        actor = await app.identify(who)
        if actor is not None and user.language_code:
            # A member who never chose a language (/lang) follows their Telegram app's.
            actor = await app.members.observe_language(actor, user.language_code, settle=False)
        data["actor"] = actor
        return await handler(event, data)


class InflightMiddleware(BaseMiddleware):
    """Remembers running handlers so that shutdown can let them finish: an update Telegram considers
    delivered must not be lost when the bot is stopped."""

    def __init__(self) -> None:
        self.tasks: set[asyncio.Task[Any]] = set()

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        task = asyncio.current_task()
        if task is not None:
            self.tasks.add(task)
        try:
            return await handler(event, data)
        finally:
            if task is not None:
                self.tasks.discard(task)

    async def drain(self, grace_seconds: float) -> None:
        current = asyncio.current_task()
        pending = [task for task in self.tasks if task is not current]
        if pending:
            await asyncio.wait(pending, timeout=grace_seconds)
