"""Shared pieces of the Telegram handlers: who sent an update, the member filter, file downloads."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot
from aiogram.filters import Filter
from aiogram.types import Chat, User

from crm.inputs import Newcomer
from crm.model import Channel, Member


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
    """Fetches a file of a message when the service asks for it (after its size checks)."""

    async def fetch() -> bytes:
        data = await bot.download(file_id, timeout=timeout)
        assert data is not None  # no destination given: a BytesIO comes back
        return data.read()

    return fetch
