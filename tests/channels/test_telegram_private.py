"""Private chats only: in a group, supergroup or channel the bot explains once and stores nothing."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from aiogram import Dispatcher
from aiogram.methods import AnswerCallbackQuery, SendMessage
from aiogram.types import CallbackQuery, Chat, Document, Message, PhotoSize, Update, User, Voice
from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.telegram import make_dispatcher
from chat.app import App
from chat.views import Act
from handlers.telegram.callbacks import ButtonCB
from storage import tables as t
from tests.support.telegram import DATE, RecordingSession, make_bot, text_update, user

ADMIN = user(100, "Boss")
REP = user(200, "小李")
ENGLISH = user(300, "Ann", lang="en")
CUSTOMER = user(900, "张伟")
GROUP = Chat(id=-100123, type="supergroup", title="销售群")
_ids = itertools.count(10_000)


def in_chat(chat: Chat, sender: User | None, **content: Any) -> Update:
    message = Message(message_id=next(_ids), date=DATE, chat=chat, from_user=sender, **content)
    if chat.type == "channel":
        return Update(update_id=next(_ids), channel_post=message)
    return Update(update_id=next(_ids), message=message)


def tg_app(dp: Dispatcher) -> App:
    app: App = dp["app"]
    return app


def command(text: str) -> dict[str, Any]:
    return {
        "text": text,
        "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split(maxsplit=1)[0])}],
    }


CONTENTS: dict[str, dict[str, Any]] = {
    "start": command("/start"),
    "find": command("/find 华为"),
    "typed": {"text": "提醒我周五给张伟回电话 13812345678"},
    "forwarded": {
        "text": "张伟 13812345678 华为技术有限公司 想要报价",
        "forward_origin": {"type": "hidden_user", "date": DATE, "sender_user_name": "张伟"},
    },
    "voice": {"voice": Voice(file_id="v1", file_unique_id="v1", duration=3, file_size=1000)},
    "photo": {"photo": [PhotoSize(file_id="p1", file_unique_id="p1", width=800, height=500, file_size=900)]},
    "document": {
        "document": Document(
            file_id="d1",
            file_unique_id="d1",
            file_name="合同.pdf",
            mime_type="application/pdf",
            file_size=900,
        )
    },
}


async def count(engine: AsyncEngine, table: Table) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


async def stored(engine: AsyncEngine) -> dict[str, int]:
    tables = (t.teams, t.members, t.identities, t.interactions, t.customers, t.contacts, t.files, t.reminders)
    return {table.name: await count(engine, table) for table in tables}


@pytest.fixture
def tg(app: App) -> tuple[Dispatcher, Any, RecordingSession]:
    dp, _ = make_dispatcher(app, burst_seconds=0.05)
    bot, session = make_bot()
    return dp, bot, session


async def test_nobody_founds_a_team_from_a_group(
    tg: tuple[Dispatcher, Any, RecordingSession], sqlite_engine: AsyncEngine
) -> None:
    dp, bot, session = tg
    await dp.feed_update(bot, in_chat(GROUP, ADMIN, **command("/start")))
    assert (await stored(sqlite_engine))["members"] == 0
    assert [m.chat_id for m in session.sent()] == [GROUP.id]
    assert "私聊" in session.texts()[0]


@pytest.mark.parametrize("chat_type", ["group", "supergroup"])
@pytest.mark.parametrize("kind", sorted(CONTENTS))
async def test_a_member_in_a_group_is_told_once_and_nothing_is_stored(
    tg: tuple[Dispatcher, Any, RecordingSession], sqlite_engine: AsyncEngine, chat_type: str, kind: str
) -> None:
    dp, bot, session = tg
    await dp.feed_update(bot, text_update(ADMIN, "/start"))  # founds the team in a private chat
    before = await stored(sqlite_engine)
    session.clear()
    group = Chat(id=-4242, type=chat_type, title="华东销售")
    for sender in (ADMIN, ADMIN, CUSTOMER):
        await dp.feed_update(bot, in_chat(group, sender, **CONTENTS[kind]))
    assert await stored(sqlite_engine) == before
    assert session.downloads == []
    assert [m.chat_id for m in session.sent()] == [group.id]  # once, however busy the group
    assert "私聊" in session.texts()[0]


async def test_an_invite_redeemed_in_a_group_does_not_make_the_group_a_delivery_chat(
    tg: tuple[Dispatcher, Any, RecordingSession], sqlite_engine: AsyncEngine
) -> None:
    dp, bot, session = tg
    await dp.feed_update(bot, text_update(ADMIN, "/start"))
    await dp.feed_update(bot, text_update(ADMIN, "/invite rep"))
    code = session.texts()[-1].split()[-1].rsplit("=", 1)[1]
    await dp.feed_update(bot, in_chat(GROUP, REP, **command(f"/start {code}")))
    assert await count(sqlite_engine, t.members) == 1
    # the code is still good in the rep's own chat, which becomes their delivery chat
    await dp.feed_update(bot, text_update(REP, f"/start {code}"))
    assert "欢迎加入团队" in session.texts()[-1]
    async with sqlite_engine.connect() as conn:
        chats = set((await conn.execute(select(t.identities.c.chat_id))).scalars())
    assert chats == {str(ADMIN.id), str(REP.id)}


async def test_explanation_follows_the_senders_language(tg: tuple[Dispatcher, Any, RecordingSession]) -> None:
    dp, bot, session = tg
    await dp.feed_update(bot, in_chat(GROUP, ENGLISH, text="hello"))
    assert "private chats only" in session.texts()[-1]


async def test_a_button_pressed_in_a_group_gets_an_alert_and_does_nothing(
    tg: tuple[Dispatcher, Any, RecordingSession], sqlite_engine: AsyncEngine
) -> None:
    dp, bot, session = tg
    await dp.feed_update(bot, text_update(ADMIN, "/start"))
    before = await stored(sqlite_engine)
    session.clear()
    data = ButtonCB(act=Act.CONFIRM.value, target=1, arg="").pack()
    for _ in range(2):
        message = Message(message_id=next(_ids), date=DATE, chat=GROUP, text="card")
        query = CallbackQuery(
            id=str(next(_ids)), from_user=ADMIN, chat_instance="ci", data=data, message=message
        )
        await dp.feed_update(bot, Update(update_id=next(_ids), callback_query=query))
    assert await stored(sqlite_engine) == before
    assert not any(isinstance(r, SendMessage) for r in session.requests)
    alerts = [r for r in session.requests if isinstance(r, AnswerCallbackQuery)]
    assert len(alerts) == 2 and all(a.show_alert and "私聊" in (a.text or "") for a in alerts)


async def test_a_channel_post_is_answered_once(tg: tuple[Dispatcher, Any, RecordingSession]) -> None:
    dp, bot, session = tg
    channel = Chat(id=-100777, type="channel", title="公告")
    for _ in range(3):
        await dp.feed_update(bot, in_chat(channel, None, text="新品发布"))
    assert [m.chat_id for m in session.sent()] == [channel.id]


async def test_remembered_chats_are_bounded(app: App) -> None:
    from handlers.telegram.private import PrivateChatsOnly

    guard = PrivateChatsOnly(remembered=2)
    assert [guard._first_time(c) for c in (1, 2, 1, 3, 1, 2)] == [True, True, False, True, False, True]
