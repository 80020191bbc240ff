"""A recording Telegram session (after aiogram's tests/mocked_bot.py) and update builders."""

from __future__ import annotations

import itertools
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.enums import MessageOriginType
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageText,
    GetFile,
    GetMe,
    SendDocument,
    SendMessage,
    SendPhoto,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import (
    Audio,
    CallbackQuery,
    Chat,
    Document,
    File,
    Message,
    MessageOriginHiddenUser,
    MessageOriginUser,
    Update,
    User,
    VideoNote,
    Voice,
)

BOT_USER = User(id=42, is_bot=True, first_name="chatcrm", username="chatcrm_bot")
DATE = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


class RecordingSession(BaseSession):
    """Answers every Bot API call locally and keeps the calls for assertions."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[TelegramMethod[Any]] = []
        self._ids = itertools.count(5000)
        # Files bots may download, by file_id: served to GetFile and to bot.download.
        self.files: dict[str, bytes] = {}
        self.downloads: list[str] = []

    async def close(self) -> None:
        return None

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        self.requests.append(method)
        result: Any = True
        if isinstance(method, GetMe):
            result = BOT_USER
        elif isinstance(method, GetFile):
            data = self.files[method.file_id]
            result = File(
                file_id=method.file_id,
                file_unique_id=method.file_id,
                file_size=len(data),
                file_path=f"files/{method.file_id}",
            )
        elif isinstance(method, SendMessage | EditMessageText | SendPhoto | SendDocument):
            chat_id = int(method.chat_id or 0)
            result = Message(
                message_id=next(self._ids),
                date=DATE,
                chat=Chat(id=chat_id, type="private"),
                text=getattr(method, "text", None),
                from_user=BOT_USER,
            ).as_(bot)  # like the real session's results: its methods (edit_text, …) work
        return result  # type: ignore[no-any-return]

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        file_id = url.rsplit("/", 1)[-1]
        self.downloads.append(file_id)
        data = self.files[file_id]
        for start in range(0, len(data), chunk_size):
            yield data[start : start + chunk_size]

    def documents(self) -> list[SendDocument]:
        return [r for r in self.requests if isinstance(r, SendDocument)]

    def sent(self) -> list[SendMessage]:
        return [r for r in self.requests if isinstance(r, SendMessage)]

    def texts(self) -> list[str]:
        return [r.text for r in self.sent()]

    def answered_callbacks(self) -> list[AnswerCallbackQuery]:
        return [r for r in self.requests if isinstance(r, AnswerCallbackQuery)]

    def edits(self) -> list[EditMessageText]:
        return [r for r in self.requests if isinstance(r, EditMessageText)]

    def clear(self) -> None:
        self.requests.clear()


def make_bot() -> tuple[Bot, RecordingSession]:
    session = RecordingSession()
    return Bot("42:TEST-TOKEN", session=session), session


_update_ids = itertools.count(1)
_message_ids = itertools.count(1)


def user(user_id: int, name: str = "Rep", lang: str = "zh-hans") -> User:
    return User(id=user_id, is_bot=False, first_name=name, language_code=lang)


def text_update(
    sender: User, text: str, *, forward_from: User | str | None = None, message_id: int | None = None
) -> Update:
    origin: MessageOriginUser | MessageOriginHiddenUser | None = None
    if isinstance(forward_from, User):
        origin = MessageOriginUser(type=MessageOriginType.USER, date=DATE, sender_user=forward_from)
    elif isinstance(forward_from, str):
        origin = MessageOriginHiddenUser(
            type=MessageOriginType.HIDDEN_USER, date=DATE, sender_user_name=forward_from
        )
    message = Message(
        message_id=message_id or next(_message_ids),
        date=DATE,
        chat=Chat(id=sender.id, type="private"),
        from_user=sender,
        text=text,
        forward_origin=origin,
    )
    return Update(update_id=next(_update_ids), message=message)


def callback_update(sender: User, data: str) -> Update:
    message = Message(
        message_id=next(_message_ids), date=DATE, chat=Chat(id=sender.id, type="private"), text="card"
    )
    query = CallbackQuery(
        id=str(next(_update_ids)), from_user=sender, chat_instance="ci", data=data, message=message
    )
    return Update(update_id=next(_update_ids), callback_query=query)


def media_update(
    sender: User,
    kind: str,
    file_id: str,
    size: int,
    *,
    duration: int = 0,
    file_name: str | None = None,
    mime_type: str | None = None,
    message_id: int | None = None,
) -> Update:
    """A message carrying a recording: kind is "voice", "audio", "video_note" or "document"."""
    media: dict[str, Any] = {}
    if kind == "voice":
        media["voice"] = Voice(
            file_id=file_id, file_unique_id=file_id, duration=duration, mime_type="audio/ogg", file_size=size
        )
    elif kind == "audio":
        media["audio"] = Audio(
            file_id=file_id,
            file_unique_id=file_id,
            duration=duration,
            file_name=file_name,
            mime_type=mime_type,
            file_size=size,
        )
    elif kind == "video_note":
        media["video_note"] = VideoNote(
            file_id=file_id, file_unique_id=file_id, length=240, duration=duration, file_size=size
        )
    else:
        media["document"] = Document(
            file_id=file_id, file_unique_id=file_id, file_name=file_name, mime_type=mime_type, file_size=size
        )
    message = Message(
        message_id=message_id or next(_message_ids),
        date=DATE,
        chat=Chat(id=sender.id, type="private"),
        from_user=sender,
        **media,
    )
    return Update(update_id=next(_update_ids), message=message)
