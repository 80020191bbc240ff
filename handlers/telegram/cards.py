"""Photos and image files: business cards, unless the app routes them elsewhere (deal evidence).

Telegram sends an album as one update per photo with the same media_group_id; the album collector
(handlers.telegram.burst, as for forwarded bursts) turns them into one call, so a card's front and
back make one contact.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from aiogram import Bot, F, Router
from aiogram.types import Message, PhotoSize

from chat.app import App
from crm.inputs import CardPhoto, Photos
from crm.model import Member
from handlers.telegram import render
from handlers.telegram.burst import BurstCollector
from handlers.telegram.common import TELEGRAM_DOWNLOAD_LIMIT, IsMember, downloader

DOWNLOAD_TIMEOUT = 60
# Telegram keeps each photo in sizes up to 90, 320, 800, 1280 and 2560 px: the largest up to this is
# enough for OCR (it works on the card at 1100-1600 px) and quicker to fetch.
MAX_PHOTO_SIDE = 2000
# Images that phones and desktop clients send as a plain file, sometimes without an image MIME type.
IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif", ".bmp", ".gif", ".tif", ".tiff"}
)


@dataclass(frozen=True, slots=True)
class AlbumItem:
    """One photo of an album, waiting for the others."""

    message_id: int
    photo: CardPhoto
    caption: str | None
    reply_to: str | None


def is_image_document(message: Message) -> bool:
    document = message.document
    if document is None:
        return False
    if (document.mime_type or "").startswith("image/"):
        return True
    return PurePosixPath(document.file_name or "").suffix.lower() in IMAGE_SUFFIXES


def best_size(sizes: list[PhotoSize]) -> PhotoSize:
    """The largest size whose long side is at most MAX_PHOTO_SIDE (the smallest if none is)."""
    fitting = [s for s in sizes if max(s.width, s.height) <= MAX_PHOTO_SIDE]
    if fitting:
        return max(fitting, key=lambda s: s.width * s.height)
    return min(sizes, key=lambda s: s.width * s.height)


def unpack(message: Message, bot: Bot) -> AlbumItem:
    """The photo (or image file) of a message, with what Telegram tells of it before the download."""
    name: str | None = "photo.jpg"
    if message.photo:
        size = best_size(message.photo)
        file_id, file_size = size.file_id, size.file_size
    else:
        document = message.document
        assert document is not None
        file_id, file_size, name = document.file_id, document.file_size, document.file_name

    replied = message.reply_to_message
    return AlbumItem(
        message_id=message.message_id,
        photo=CardPhoto(
            fetch=downloader(bot, file_id, DOWNLOAD_TIMEOUT),
            key=f"tg:{message.chat.id}:{message.message_id}",
            name=name,
            size=file_size,
            max_bytes=TELEGRAM_DOWNLOAD_LIMIT,
        ),
        caption=message.caption,
        reply_to=(replied.text or replied.caption) if replied is not None else None,
    )


async def photo(
    message: Message, app: App, actor: Member, bot: Bot, albums: BurstCollector[AlbumItem]
) -> None:
    item = unpack(message, bot)
    if message.media_group_id is None:
        await _photos(message, app, actor, [item])
        return
    async with albums.collect((actor.id, message.media_group_id), item) as collected:
        if collected is not None:  # else another photo of the album answers for all of them
            await _photos(message, app, actor, sorted(collected, key=lambda i: i.message_id))


async def _photos(message: Message, app: App, actor: Member, batch: list[AlbumItem]) -> None:
    photos = Photos(
        items=tuple(i.photo for i in batch),
        caption=next((i.caption for i in batch if i.caption), None),
        reply_to=next((i.reply_to for i in batch if i.reply_to), None),
    )
    replies = await app.photos(actor, photos)
    for reply in replies.items:
        await render.answer(message, reply)


def router() -> Router:
    r = Router(name=__name__)
    r.message.filter(IsMember())
    flags = {"chat_action": "typing"}
    r.message.register(photo, F.photo, flags=flags)
    r.message.register(photo, F.document, is_image_document, flags=flags)
    return r
