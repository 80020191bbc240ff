"""Sending a rendered reply on WeChat / WeCom: plain text (never markup: customer text is shown as
typed) in pieces the message APIs accept, and an image for an attachment."""

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
    if attachment is not None:
        await api.send_image(user, attachment.data, attachment.filename, attachment.mime)
    for part in chunks(text):
        if part.strip():
            await api.send_text(user, part)
