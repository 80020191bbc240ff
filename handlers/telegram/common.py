"""Shared pieces of the Telegram handlers: who sent an update, the member filter, file downloads."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.filters import Filter
from aiogram.types import Chat, User
from aiohttp import ClientError

from crm.errors import InputRejected
from crm.inputs import Newcomer
from crm.model import Channel, Member

logger = logging.getLogger(__name__)

# The public Bot API's getFile serves files up to 20 MB; a bot cannot download larger ones at all
# ("Bad Request: file is too big"), whatever the member's client could send.
TELEGRAM_DOWNLOAD_LIMIT = 20 * 1024 * 1024
TELEGRAM_DOWNLOAD_MB = 20


def newcomer(user: User, chat: Chat | None) -> Newcomer:
    return Newcomer(
        channel=Channel.TELEGRAM,
        external_id=str(user.id),
        chat_id=str(chat.id if chat else user.id),
        name=user.full_name,
        language_code=user.language_code,
    )


class IsMember(Filter):
    """Passes updates from registered members; the actor middleware put `actor` in the data."""

    async def __call__(self, event: Any, actor: Member | None = None) -> bool:
        return actor is not None


def downloader(bot: Bot, file_id: str, timeout: int) -> Callable[[], Awaitable[bytes]]:
    """Fetches a file of a message when the service asks for it (after its size checks). A file the
    Bot API will not hand out is refused with what the member can do about it."""

    async def fetch() -> bytes:
        try:
            data = await bot.download(file_id, timeout=timeout)
        except TelegramBadRequest as exc:
            # Bot API 400s of getFile: "file is too big" (over 20 MB), or "wrong file_id or the file
            # is temporarily unavailable" / "invalid file_id" (file ids expire, or were never ours).
            logger.info("Telegram refused a file: %s", exc.message)
            if "too big" in exc.message.lower():
                raise InputRejected("media.tg_too_big", limit=TELEGRAM_DOWNLOAD_MB) from exc
            raise InputRejected("media.tg_expired") from exc
        except (TelegramAPIError, ClientError, TimeoutError) as exc:
            # The type only: an aiohttp error names the file URL, and that URL holds the bot token.
            logger.warning("could not download a Telegram file: %s", type(exc).__name__)
            raise InputRejected("media.tg_unavailable") from exc
        assert data is not None  # no destination given: a BytesIO comes back
        return data.read()

    return fetch
