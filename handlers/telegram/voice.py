"""Voice messages, audio files, video notes and audio sent as a document become visit minutes.

A longer note gets a status message ("🎙 正在转写… 40%") edited as the work proceeds and finally
replaced by the minutes card; a short one only the "recording voice…" chat action.
"""

from __future__ import annotations

import logging
from pathlib import PurePosixPath
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import Message

from chat.app import App
from chat.views import Reply
from crm.inputs import VoiceNote
from crm.model import Member
from handlers.telegram import render
from handlers.telegram.common import TELEGRAM_DOWNLOAD_LIMIT, IsMember, downloader

logger = logging.getLogger(__name__)

DOWNLOAD_TIMEOUT = 120
# Audio that phones and desktop clients send as a plain file, often without an audio MIME type.
AUDIO_SUFFIXES = frozenset(
    {".ogg", ".oga", ".opus", ".mp3", ".m4a", ".aac", ".amr", ".wav", ".flac", ".wma", ".webm", ".3gp"}
)


def is_audio_document(message: Message) -> bool:
    document = message.document
    if document is None:
        return False
    if (document.mime_type or "").startswith("audio/"):
        return True
    return PurePosixPath(document.file_name or "").suffix.lower() in AUDIO_SUFFIXES


def unpack(message: Message, bot: Bot) -> VoiceNote:
    """The recording of a message, with what Telegram tells of it before the download."""
    media: Any
    name: str | None = None
    if message.voice is not None:
        media, name = message.voice, "voice.ogg"
    elif message.video_note is not None:
        media, name = message.video_note, "video_note.mp4"
    elif message.audio is not None:
        media, name = message.audio, message.audio.file_name
    else:
        media = message.document
        name = media.file_name if media is not None else None
    assert media is not None
    file_id: str = media.file_id

    return VoiceNote(
        fetch=downloader(bot, file_id, DOWNLOAD_TIMEOUT),
        key=f"tg:{message.chat.id}:{message.message_id}",
        filename=name,
        mime=getattr(media, "mime_type", None),
        size=media.file_size,
        duration=getattr(media, "duration", None),
        max_bytes=TELEGRAM_DOWNLOAD_LIMIT,
    )


class StatusMessage:
    """One message shown while a note is worked on, edited in place, then replaced by the result."""

    def __init__(self, message: Message) -> None:
        self._message = message
        self._sent: Message | None = None

    async def show(self, reply: Reply) -> None:
        if self._sent is None:
            self._sent = await self._message.answer(reply.text, parse_mode=None)
            return
        try:
            await self._sent.edit_text(reply.text, parse_mode=None)
        except TelegramBadRequest:
            logger.debug("status edit refused", exc_info=True)

    async def finish(self, reply: Reply) -> None:
        sent = self._sent
        if sent is not None and reply.attachment is None and len(reply.text) <= render.MESSAGE_LIMIT:
            try:
                await sent.edit_text(reply.text, parse_mode=None, reply_markup=render.keyboard(reply))
                return
            except TelegramBadRequest:
                logger.debug("could not turn the status into the reply", exc_info=True)
        await render.answer(self._message, reply)


async def voice_note(message: Message, app: App, actor: Member, bot: Bot) -> None:
    status = StatusMessage(message)
    reply = await app.voice_note(actor, unpack(message, bot), status.show)
    await status.finish(reply)


def router() -> Router:
    r = Router(name=__name__)
    r.message.filter(IsMember())
    flags = {"chat_action": "record_voice"}
    r.message.register(voice_note, F.voice | F.audio | F.video_note, flags=flags)
    r.message.register(voice_note, F.document, is_audio_document, flags=flags)
    return r
