"""Sending a rendered reply on WeChat / WeCom: plain text (never markup: customer text is shown as
typed) in pieces the message APIs accept, and an attachment as an image or a file (WeCom only)."""

from __future__ import annotations

from chat.views import Attachment
from handlers.wechat.ports import WeChatApi

# Customer-service and app text messages are limited to 2048 bytes of UTF-8 content.
TEXT_LIMIT_BYTES = 2000


def chunks(text: str, limit: int = TEXT_LIMIT_BYTES) -> list[str]:
    """Splits at line breaks (inside a line at characters) into pieces of at most `limit` UTF-8 bytes."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if len(candidate.encode()) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
        current = ""
        for ch in line:
            if len((current + ch).encode()) > limit:
                parts.append(current)
                current = ""
            current += ch
    if current or not parts:
        parts.append(current)
    return parts


async def send(api: WeChatApi, user: str, text: str, attachment: Attachment | None = None) -> None:
    """The attachment first (a picture as an image, any other file as a file message where the channel
    has them, else what the reply says instead of it, after the text), then the text."""
    if attachment is not None:
        if attachment.mime.startswith("image/"):
            await api.send_image(user, attachment.data, attachment.filename, attachment.mime)
        elif api.sends_files:
            await api.send_file(user, attachment.data, attachment.filename, attachment.mime)
        elif attachment.instead:
            text = f"{text}\n\n{attachment.instead}" if text.strip() else attachment.instead
    for part in chunks(text):
        if part.strip():
            await api.send_text(user, part)
