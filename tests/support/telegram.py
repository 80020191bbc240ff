"""A recording Telegram session (after aiogram's tests/mocked_bot.py) and update builders."""

from __future__ import annotations

import itertools
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageText,
    GetMe,
    SendMessage,
    SendPhoto,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import (
    CallbackQuery,
    Chat,
    Message,
    MessageOriginHiddenUser,
    MessageOriginUser,
    Update,
    User,
)

BOT_USER = User(id=42, is_bot=True, first_name="chatcrm", username="chatcrm_bot")
DATE = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


class RecordingSession(BaseSession):
    """Answers every Bot API call locally and keeps the calls for assertions."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[TelegramMethod[Any]] = []
        self._ids = itertools.count(5000)

    async def close(self) -> None:
        return None

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        self.requests.append(method)
        result: Any = True
        if isinstance(method, GetMe):
            result = BOT_USER
        elif isinstance(method, SendMessage | EditMessageText | SendPhoto):
            chat_id = int(method.chat_id or 0)
            result = Message(
                message_id=next(self._ids),
                date=DATE,
                chat=Chat(id=chat_id, type="private"),
                text=getattr(method, "text", None),
                from_user=BOT_USER,
            )
        return result  # type: ignore[no-any-return]

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:  # pragma: no cover - no downloads in handler tests
        raise NotImplementedError
        yield b""

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
        origin = MessageOriginUser(type="user", date=DATE, sender_user=forward_from)
    elif isinstance(forward_from, str):
        origin = MessageOriginHiddenUser(type="hidden_user", date=DATE, sender_user_name=forward_from)
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
