"""Documents and photos (deal evidence, a team's stage file) and text sent in reply to a message.

The handler only unpacks: which files are evidence and which photos are business cards is the app's
rule (App.upload). Text replies go to App.text with the replied-to message's text, so that a reply to
a deal card (it says "#D12") lands on that deal.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot, F, Router
from aiogram.types import Message

from chat.app import App
from crm.inputs import Upload
from crm.model import Member
from handlers.telegram import render
from handlers.telegram.common import TELEGRAM_DOWNLOAD_LIMIT, IsMember, downloader

DOWNLOAD_TIMEOUT = 120


def _key(message: Message) -> str:
    return f"tg:{message.chat.id}:{message.message_id}"


def replied_text(message: Message) -> str | None:
    replied = message.reply_to_message
    if replied is None:
        return None
    return replied.text or replied.caption


def unpack(message: Message, bot: Bot) -> Upload:
    media: Any
    if message.photo:
        media, name, is_photo = message.photo[-1], None, True  # the largest size comes last
    else:
        media = message.document
        assert media is not None
        name = media.file_name
        is_photo = (media.mime_type or "").startswith("image/")
    file_id: str = media.file_id

    return Upload(
        fetch=downloader(bot, file_id, DOWNLOAD_TIMEOUT),
        name=name,
        size=media.file_size,
        caption=message.caption,
        reply_to=replied_text(message),
        is_photo=is_photo,
        forwarded=message.forward_origin is not None,
        key=_key(message),
        max_bytes=TELEGRAM_DOWNLOAD_LIMIT,
    )


async def document(message: Message, app: App, actor: Member, bot: Bot) -> None:
    await render.answer(message, await app.upload(actor, unpack(message, bot)))


async def reply(message: Message, app: App, actor: Member) -> None:
    reply_to = replied_text(message)
    await render.answer(message, await app.text(actor, message.text or "", _key(message), reply_to=reply_to))


def router() -> Router:
    r = Router(name=__name__)
    r.message.filter(IsMember())
    r.message.register(document, F.document | F.photo, flags={"chat_action": "upload_document"})
    # A typed reply (not a forward) to a message: the app decides whether it is about a deal.
    r.message.register(reply, F.text, F.reply_to_message, ~F.forward_origin, flags={"chat_action": "typing"})
    return r
