"""Sending a Reply on Telegram: plain text (no parse mode, so customer text is never markup), an
inline keyboard for the buttons, a photo for an image attachment, a document for any other file."""

from __future__ import annotations

import logging

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)

from chat.views import Reply
from handlers.telegram.callbacks import ButtonCB

logger = logging.getLogger(__name__)

# Telegram's limit is 4096 characters per message and 1024 per photo caption.
MESSAGE_LIMIT = 4000
CAPTION_LIMIT = 1000


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=b.label, callback_data=ButtonCB.of(b).pack()) for b in row]
            for row in reply.buttons
        ]
    )


def chunks(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Splits long text at line breaks into messages Telegram accepts."""
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for raw_line in text.split("\n"):
        line = raw_line
        while len(line) > limit:
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current:
        parts.append(current)
    return parts


async def answer(message: Message, reply: Reply) -> None:
    if reply.attachment is not None:
        upload = BufferedInputFile(reply.attachment.data, filename=reply.attachment.filename)
        if reply.attachment.mime.startswith("image/"):
            await message.answer_photo(upload)
        else:
            # A spreadsheet (an export, the import template, errors.xlsx) goes as a file.
            await message.answer_document(upload)
    parts = chunks(reply.text)
    for part in parts[:-1]:
        await message.answer(part, parse_mode=None)
    await message.answer(parts[-1], parse_mode=None, reply_markup=keyboard(reply))


async def answer_callback(query: CallbackQuery, reply: Reply) -> None:
    """Replaces the pressed message when the reply says so, else sends a new message."""
    await query.answer()
    message = query.message
    if not isinstance(message, Message):
        return
    if reply.replace and reply.attachment is None and len(reply.text) <= MESSAGE_LIMIT:
        try:
            await message.edit_text(reply.text, parse_mode=None, reply_markup=keyboard(reply))
            return
        except TelegramBadRequest:
            # "message is not modified" or too old to edit: send it as a new message instead.
            logger.debug("edit failed, sending a new message", exc_info=True)
    await answer(message, reply)
