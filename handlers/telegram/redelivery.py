"""Telegram delivers an update again when it did not get our answer to it (a webhook call that timed
out or failed, a getUpdates offset that was never confirmed because the process died). An update
handled once is remembered by its update_id in the database for a day, by every process, and a
redelivery is dropped: at-least-once delivery with dedup. It is remembered only after its handler
returned, so an update whose process died while handling it is handled when it comes again; two
processes handling the very same redelivery at the same moment is the remaining window."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update

from chat.app import App
from crm.errors import StorageError

logger = logging.getLogger(__name__)

# Telegram keeps an update it could not deliver for 24 hours.
REMEMBER_SECONDS = 24 * 3600


class DropRedeliveries(BaseMiddleware):
    """Outer middleware of the dispatcher's `update` observer."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if not isinstance(event, Update):
            return await handler(event, data)
        app: App = data["app"]
        bot = data.get("bot")
        key = f"telegram:{bot.id if bot is not None else 0}:{event.update_id}"
        try:
            if await app.inbox.handled_before(key):
                logger.info("update %s was handled before: dropped", event.update_id)
                return None
        except StorageError:
            logger.warning("could not check update %s for a redelivery; handling it", event.update_id)
        result = await handler(event, data)
        try:
            await app.inbox.handled(key, REMEMBER_SECONDS)
        except StorageError:
            logger.warning("could not remember update %s as handled", event.update_id)
        return result
