"""Telegram handlers through Dispatcher.feed_update with a recording session, on a real SQLite file."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import pytest
from aiogram import Bot, Dispatcher
from aiogram.methods import SendMessage
from aiogram.types import Chat, InlineKeyboardMarkup, Message, Sticker, Update
from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.telegram import make_dispatcher
from chat.app import App
from handlers.telegram.callbacks import ButtonCB
from handlers.telegram.middlewares import InflightMiddleware
from storage import tables as t
from tests.support.telegram import DATE, RecordingSession, callback_update, make_bot, text_update, user

ADMIN = user(100, "Boss")
REP = user(200, "小李")
STRANGER = user(300, "Stranger", lang="en")
CUSTOMER = user(900, "张伟")


@dataclass
class Tg:
    dp: Dispatcher
    bot: Bot
    session: RecordingSession
    inflight: InflightMiddleware

    async def feed(self, update: Update) -> None:
        await self.dp.feed_update(self.bot, update)

    def last_text(self) -> str:
        return self.session.texts()[-1]

    def last_keyboard(self) -> InlineKeyboardMarkup:
        markup = self.session.sent()[-1].reply_markup
        assert isinstance(markup, InlineKeyboardMarkup)
        return markup


@pytest.fixture
def tg(app: App) -> Tg:
    dp, inflight = make_dispatcher(app, burst_seconds=0.05)
    bot, session = make_bot()
    return Tg(dp, bot, session, inflight)


async def count(engine: AsyncEngine, table: Table) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


async def join_rep(tg: Tg) -> None:
    await tg.feed(text_update(ADMIN, "/start"))
    await tg.feed(text_update(ADMIN, "/invite rep"))
    link = tg.last_text().split()[-1]
    assert link.startswith("https://t.me/chatcrm_bot?start=")
    await tg.feed(text_update(REP, f"/start {link.rsplit('=', 1)[1]}"))
    assert "欢迎加入团队" in tg.last_text()
    tg.session.clear()


async def test_first_start_founds_a_team(tg: Tg, app: App, sqlite_engine: AsyncEngine) -> None:
    await tg.feed(text_update(ADMIN, "/start"))
    assert "管理员" in tg.last_text()
    assert await count(sqlite_engine, t.members) == 1
    await tg.feed(text_update(ADMIN, "/start"))
    assert "欢迎回来" in tg.last_text()


async def test_unknown_user_gets_onboarding_and_nothing_is_stored(tg: Tg, sqlite_engine: AsyncEngine) -> None:
    await tg.feed(text_update(ADMIN, "/start"))
    await tg.feed(text_update(STRANGER, "/start"))
    assert "not in a team" in tg.last_text()
    await tg.feed(text_update(STRANGER, "Wang Fang +86 139 1111 2222 wants a demo"))
    assert "invite link" in tg.last_text()
    await tg.feed(text_update(STRANGER, "/start not-a-code"))
    assert "invalid" in tg.last_text()
    assert await count(sqlite_engine, t.members) == 1
    assert await count(sqlite_engine, t.interactions) == 0
    assert await count(sqlite_engine, t.identities) == 1


async def test_a_member_whose_app_speaks_english_is_answered_in_english(tg: Tg) -> None:
    # Telegram sends the app's language with every update: it decides, not what the member writes.
    english_rep = user(201, "Ann", lang="en")
    await tg.feed(text_update(ADMIN, "/start"))
    await tg.feed(text_update(ADMIN, "/invite rep"))
    code = tg.last_text().split()[-1].rsplit("=", 1)[1]
    await tg.feed(text_update(english_rep, f"/start {code}"))
    assert "Welcome to team" in tg.last_text()
    await tg.feed(text_update(english_rep, "李雷 13912345678 蓝海科技有限公司 想了解报价"))
    assert "New lead saved" in tg.last_text()
    # The member switches the app to Chinese: the bot follows, until they choose with /lang.
    chinese_now = user(201, "Ann", lang="zh-hans")
    await tg.feed(text_update(chinese_now, "/reminders"))
    assert "提醒" in tg.last_text() and "reminder" not in tg.last_text().lower()
    await tg.feed(text_update(chinese_now, "/lang en"))
    await tg.feed(text_update(chinese_now, "/reminders"))
    assert "reminder" in tg.last_text().lower()


async def test_forwarded_burst_is_one_conversation(tg: Tg, sqlite_engine: AsyncEngine) -> None:
    await join_rep(tg)
    burst = [
        text_update(
            REP, "你好，我是华为技术有限公司的采购经理张伟，电话 138 1234 5678", forward_from=CUSTOMER
        ),
        text_update(REP, "我们预算大概30到50万，希望下个月上线", forward_from=CUSTOMER),
        text_update(REP, "好的，下周三下午3点我来拜访", forward_from=REP),
    ]
    await asyncio.gather(*(tg.feed(update) for update in burst))

    cards = [text for text in tg.session.texts() if "新线索" in text]
    assert len(cards) == 1
    card = cards[0]
    assert "华为技术有限公司" in card and "张伟" in card and "+86 138 1234 5678" in card
    assert "30万–50万" in card and "12月2日 周三 15:00" in card
    assert await count(sqlite_engine, t.interactions) == 1
    async with sqlite_engine.connect() as conn:
        content = (await conn.execute(select(t.interactions.c.content))).scalar_one()
    assert content.splitlines() == [
        "张伟: 你好，我是华为技术有限公司的采购经理张伟，电话 138 1234 5678",
        "张伟: 我们预算大概30到50万，希望下个月上线",
        "我: 好的，下周三下午3点我来拜访",
    ]


async def test_the_same_update_twice_is_captured_once(tg: Tg, sqlite_engine: AsyncEngine) -> None:
    await join_rep(tg)
    update = text_update(REP, "李雷 13912345678 要一份报价", forward_from="李雷")
    await tg.feed(update)
    # The same message in a new update (an identical update is dropped before any handler, see
    # test_telegram_private): the capture's own dedup answers it.
    await tg.feed(update.model_copy(update={"update_id": update.update_id + 1_000_000}))
    assert await count(sqlite_engine, t.interactions) == 1
    assert "已经记录过" in tg.last_text()


async def test_buttons_on_the_card_work(tg: Tg) -> None:
    await join_rep(tg)
    await tg.feed(text_update(REP, "我是星辰科技的王芳，13911112222", forward_from=CUSTOMER))
    keyboard = tg.last_keyboard()
    data = [b.callback_data for row in keyboard.inline_keyboard for b in row]
    assert all(d is not None and len(d.encode()) <= 64 for d in data)
    confirm = next(d for d in data if d and ButtonCB.unpack(d).act == "ok")
    await tg.feed(callback_update(REP, confirm))
    assert tg.session.answered_callbacks()
    assert "已确认" in tg.last_text()

    interested = next(
        d for d in data if d and ButtonCB.unpack(d).act == "fu" and ButtonCB.unpack(d).arg == "interested"
    )
    await tg.feed(callback_update(REP, interested))
    assert "有意向" in tg.last_text()


async def test_someone_elses_button_does_not_reveal_anything(tg: Tg) -> None:
    await join_rep(tg)
    await tg.feed(text_update(REP, "我是星辰科技的王芳，13911112222", forward_from=CUSTOMER))
    data = [b.callback_data for row in tg.last_keyboard().inline_keyboard for b in row]
    other = user(201, "小王")
    await tg.feed(text_update(ADMIN, "/invite rep"))
    code = tg.last_text().split("=")[-1]
    await tg.feed(text_update(other, f"/start {code}"))
    tg.session.clear()
    await tg.feed(callback_update(other, next(d for d in data if d and ButtonCB.unpack(d).act == "em")))
    assert "没有找到" in tg.last_text()
    assert "王芳" not in "".join(tg.session.texts())


async def test_hostile_text_is_answered_as_plain_text(tg: Tg) -> None:
    await join_rep(tg)
    await tg.feed(text_update(REP, "<b>王芳</b> 13911112222 <script>x</script>", forward_from="王芳"))
    sent: SendMessage = tg.session.sent()[-1]
    assert "新线索" in sent.text
    assert sent.parse_mode is None


async def test_unsupported_messages_and_unknown_commands(tg: Tg) -> None:
    await join_rep(tg)
    sticker = Message(
        message_id=77,
        date=DATE,
        chat=Chat(id=REP.id, type="private"),
        from_user=REP,
        sticker=Sticker(
            file_id="s",
            file_unique_id="s",
            type="regular",
            width=1,
            height=1,
            is_animated=False,
            is_video=False,
        ),
    )
    await tg.feed(Update(update_id=99999, message=sticker))
    assert "暂不支持" in tg.last_text()
    await tg.feed(text_update(REP, "/frobnicate"))
    assert "未知命令 /frobnicate" in tg.last_text()


async def test_errors_are_answered_and_logged(tg: Tg, app: App, caplog: pytest.LogCaptureFixture) -> None:
    await join_rep(tg)
    await tg.feed(text_update(REP, "/customer 不存在的公司"))
    assert "没有找到“不存在的公司”" in tg.last_text()

    async def broken(*_: object) -> None:
        raise RuntimeError("boom")

    app.customers.search = broken  # type: ignore[method-assign,assignment]
    with caplog.at_level(logging.ERROR):
        await tg.feed(text_update(REP, "/find 华为"))
    assert "出了点问题" in tg.last_text()
    assert any("boom" in (r.exc_text or "") or r.exc_info for r in caplog.records)


async def test_language_switch(tg: Tg) -> None:
    await join_rep(tg)
    await tg.feed(text_update(REP, "/lang en"))
    assert tg.last_text() == "Language set to English."
    await tg.feed(text_update(REP, "/help"))
    assert "forward or paste a customer chat" in tg.last_text()


async def test_shutdown_finishes_an_open_burst(tg: Tg, sqlite_engine: AsyncEngine) -> None:
    """SIGTERM while a burst waits: Telegram already counts the update as delivered, so it must be
    stored and answered before the process exits."""
    dp, inflight = make_dispatcher(tg.dp["app"], burst_seconds=30)
    slow = Tg(dp, tg.bot, tg.session, inflight)
    await join_rep(slow)

    async def feed_tracked() -> None:
        # aiogram's polling runs each update in a task; the middleware tracks that task.
        await slow.feed(text_update(REP, "王芳 13911112222 下周要方案", forward_from="王芳"))

    task = asyncio.create_task(feed_tracked())
    await asyncio.sleep(0.1)
    assert not task.done()
    await asyncio.wait_for(slow.dp.emit_shutdown(bot=slow.bot), timeout=5)
    assert task.done()
    assert await count(sqlite_engine, t.interactions) == 1
    assert "新线索" in slow.last_text()
