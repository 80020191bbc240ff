"""Private chats only. chatcrm's replies carry customers' names and phones, and the chat a member
starts in becomes where their reminders and digests go: in a group, supergroup or channel the bot
explains once, in the sender's language, and stores nothing (no member is resolved, no handler runs).

"Once" is remembered in memory, bounded (the most recent REMEMBERED chats): after a restart, in a
second process, or once a chat has been pushed out by many others, that chat is told once more. A
busy group thus gets one explanation per process lifetime, never one per message.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.enums import ChatType
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, Chat, Message, TelegramObject

from chat.app import App
from crm.model import Lang

logger = logging.getLogger(__name__)

REMEMBERED = 10_000
# An answerCallbackQuery alert holds at most 200 characters.
ALERT_LIMIT = 200


def _chat(event: TelegramObject) -> Chat | None:
    if isinstance(event, Message):
        return event.chat
    if isinstance(event, CallbackQuery) and event.message is not None:
        return event.message.chat
    return None


class PrivateChatsOnly(BaseMiddleware):
    """Lets updates from private chats through; answers the others itself (an outer middleware, so it
    runs before the actor is resolved)."""

    def __init__(self, remembered: int = REMEMBERED) -> None:
        self._remembered = remembered
        self._explained: OrderedDict[int, None] = OrderedDict()

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        chat = _chat(event)
        if chat is None or chat.type == ChatType.PRIVATE:
            return await handler(event, data)
        app: App = data["app"]
        user = getattr(event, "from_user", None)
        text = app.private_only(Lang.from_code(user.language_code if user else None)).text
        try:
            if isinstance(event, CallbackQuery):
                # A toast to the one who pressed, never a message to the whole group.
                await event.answer(text[:ALERT_LIMIT], show_alert=True)
            elif isinstance(event, Message) and self._first_time(chat.id):
                await event.answer(text, parse_mode=None)
        except TelegramAPIError:
            # Removed from the group, or not allowed to write there: nothing more to say.
            logger.debug("could not explain private chats in chat %s", chat.id, exc_info=True)
        return None

    def _first_time(self, chat_id: int) -> bool:
        if chat_id in self._explained:
            self._explained.move_to_end(chat_id)
            return False
        self._explained[chat_id] = None
        if len(self._explained) > self._remembered:
            self._explained.popitem(last=False)
        return True
