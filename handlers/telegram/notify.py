"""Messages the assistant starts itself (reminders, digests) on Telegram."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BufferedInputFile

from chat.views import Reply
from crm.errors import DeliveryFailed
from crm.model import Identity
from handlers.telegram.render import chunks, keyboard

logger = logging.getLogger(__name__)


class TelegramNotifier:
    """chat.ports.Notifier for Telegram."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(self, identity: Identity, reply: Reply) -> None:
        chat_id = int(identity.chat_id)
        try:
            if reply.attachment is not None:
                photo = BufferedInputFile(reply.attachment.data, filename=reply.attachment.filename)
                await self.bot.send_photo(chat_id, photo)
            parts = chunks(reply.text)
            for part in parts[:-1]:
                await self.bot.send_message(chat_id, part, parse_mode=None)
            await self.bot.send_message(chat_id, parts[-1], parse_mode=None, reply_markup=keyboard(reply))
        except TelegramAPIError as exc:
            raise DeliveryFailed(f"telegram refused: {type(exc).__name__}") from exc
