"""What channels hand the domain: their updates unpacked into our own input types.

Handlers build these and nothing else of crm's services; `fetch` callables download a file only once
the service's checks of the sizes the channel reports have passed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from crm.errors import InputRejected
from crm.model import Channel
from crm.text import one_line


@dataclass(frozen=True, slots=True)
class Newcomer:
    """Who pressed /start, as the channel tells it."""

    channel: Channel
    external_id: str
    chat_id: str
    name: str
    language_code: str | None = None


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One message of a forwarded or pasted chat, unpacked from a channel's update."""

    text: str
    sender: str | None = None  # the original sender's name, when the channel tells it
    from_self: bool = False  # the rep's own message inside a forwarded conversation
    key: str | None = None  # the channel's idempotency key ("tg:123:456", "wx:MsgId")
    order: int | None = None  # the message's position in its chat (Telegram's message id)


@dataclass(frozen=True, slots=True)
class Upload:
    """A file a member sent, unpacked from a channel's update. `fetch` downloads the bytes; it is only
    called once the size and the routing allow it."""

    fetch: Callable[[], Awaitable[bytes]]
    name: str | None = None
    size: int | None = None
    caption: str | None = None
    reply_to: str | None = None  # the text of the message it replies to (a deal card says "#D12")
    is_photo: bool = False
    forwarded: bool = False
    key: str | None = None
    max_bytes: int | None = None  # the channel's own download limit, if lower than ours
    # Where the channel can show a status message (shown, then edited): the progress of a long import.
    status: Callable[[str], Awaitable[None]] | None = None
    # False where a file cannot carry a caption (WeChat and WeCom file messages have none): what the file
    # is for is then asked, or known from a command sent just before (/import).
    captions: bool = True


@dataclass(frozen=True, slots=True)
class CardPhoto:
    """One photo as a channel hands it over. `fetch` downloads it and is only called once the size
    the channel reports passes."""

    fetch: Callable[[], Awaitable[bytes]]
    key: str | None = None  # the channel's idempotency key ("tg:chat:message")
    name: str | None = None
    size: int | None = None  # bytes, as the channel reports them before download
    max_bytes: int | None = None  # what the channel lets us download (Telegram's getFile: 20 MB)

    @classmethod
    def of(cls, data: bytes, *, key: str | None = None, name: str | None = None) -> CardPhoto:
        """Bytes already at hand (a WeChat image message, a test)."""

        async def fetch() -> bytes:
            return data

        return cls(fetch=fetch, key=key, name=name, size=len(data))

    @classmethod
    def from_path(cls, path: Path, *, key: str | None = None) -> CardPhoto:
        """A file on this server (the console's /card)."""

        async def read() -> bytes:
            try:
                return await asyncio.to_thread(path.read_bytes)
            except OSError as exc:
                raise InputRejected("card.rejected.no_file", path=str(path)) from exc

        try:
            size: int | None = path.stat().st_size
        except OSError:
            size = None  # the read says which file is missing
        return cls(fetch=read, key=key, name=path.name, size=size)


@dataclass(frozen=True, slots=True)
class Photos:
    """Photos a member sent together (one message, or a Telegram album), unpacked by a channel.

    `caption` and `reply_to` (the text of the message they answer, e.g. a deal card) let the deal
    deals feature claim them as evidence; photos nobody claims are business cards.
    """

    items: tuple[CardPhoto, ...]
    caption: str | None = None
    reply_to: str | None = None

    @property
    def key(self) -> str | None:
        return next((photo.key for photo in self.items if photo.key), None)


@dataclass(frozen=True, slots=True)
class VoiceNote:
    """A recording as a channel hands it over. `fetch` downloads it, and is only called once the
    sizes and duration the channel reports pass."""

    fetch: Callable[[], Awaitable[bytes]]
    key: str | None = None  # the channel's idempotency key ("tg:chat:message")
    filename: str | None = None
    mime: str | None = None
    size: int | None = None  # bytes, as the channel reports them before download
    duration: float | None = None  # seconds, as the channel reports them
    max_bytes: int | None = None  # what the channel lets us download (Telegram's getFile: 20 MB)

    @classmethod
    def from_path(cls, path: Path, *, key: str | None = None) -> VoiceNote:
        """A file on this server (the console's /voice)."""

        async def read() -> bytes:
            try:
                return await asyncio.to_thread(path.read_bytes)
            except (FileNotFoundError, IsADirectoryError) as exc:
                raise InputRejected("voice.rejected.no_file", path=str(path)) from exc

        try:
            size = path.stat().st_size
        except OSError as exc:
            raise InputRejected("voice.rejected.no_file", path=str(path)) from exc
        return cls(fetch=read, key=key, filename=path.name, size=size)


@dataclass(frozen=True, slots=True)
class Place:
    """A location a member shares (a WeChat location message): a visit check-in."""

    latitude: float
    longitude: float
    label: str | None = None

    def describe(self) -> str:
        where = f"{self.latitude:.5f}, {self.longitude:.5f}"
        return f"{one_line(self.label, 200)} ({where})" if self.label else where
