"""What the WeChat handlers need from the channel: send to a user and fetch a message's media.

bot/wechat's async API client fills this role; tests use a recording fake.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Media:
    data: bytes
    mime: str
    filename: str | None = None


class MediaUnavailable(Exception):
    """WeChat would not give us a message's media: expired (media ids live 3 days), refused, network."""


class MediaTooLarge(MediaUnavailable):
    def __init__(self, limit_bytes: int) -> None:
        super().__init__(f"over {limit_bytes} bytes")
        self.limit_bytes = limit_bytes


class WeChatApi(Protocol):
    async def send_text(self, user: str, text: str) -> None:
        """Raises crm.errors.DeliveryFailed when WeChat refuses."""
        ...

    async def send_image(self, user: str, data: bytes, filename: str, mime: str) -> None: ...

    @property
    def sends_files(self) -> bool:
        """Whether `send_file` works here: WeCom app messages have a file type, an Official Account's
        customer-service messages have none."""
        ...

    async def send_file(self, user: str, data: bytes, filename: str, mime: str) -> None:
        """Raises crm.errors.DeliveryFailed when WeChat refuses (or the channel has no file messages)."""
        ...

    async def download(self, media_id: str, max_bytes: int) -> Media:
        """Raises MediaUnavailable (MediaTooLarge past `max_bytes`)."""
        ...
