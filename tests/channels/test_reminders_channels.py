"""Reminders as the rep meets them: on Telegram (dispatcher with a recording session, delivery through
the TelegramNotifier, inline buttons) and on the console (numbered buttons, the ConsoleNotifier)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardMarkup

from bot.telegram import make_dispatcher
from chat.app import App
from chat.delivery import ChannelNotifier
from crm.inputs import Newcomer
from crm.model import Channel
from handlers.console.chat import ConsoleChat
from handlers.console.notify import ConsoleNotifier
from handlers.telegram.callbacks import ButtonCB
from handlers.telegram.notify import TelegramNotifier
from reminders.scheduler import ReminderScheduler
from tests.conftest import FakeClock
from tests.support.telegram import RecordingSession, callback_update, make_bot, text_update, user

SHANGHAI = ZoneInfo("Asia/Shanghai")
ADMIN = user(100, "Boss")
REP = user(200, "小李")


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=SHANGHAI).astimezone(UTC)


def buttons(session: RecordingSession) -> list[ButtonCB]:
    markup = session.sent()[-1].reply_markup
    assert isinstance(markup, InlineKeyboardMarkup)
    return [ButtonCB.unpack(b.callback_data or "") for row in markup.inline_keyboard for b in row]


async def test_reminders_on_telegram(app: App, clock: FakeClock) -> None:
    dp, _ = make_dispatcher(app, burst_seconds=0.05)
    bot, session = make_bot()

    async def feed(update: object) -> None:
        await dp.feed_update(bot, update)  # type: ignore[arg-type]

    await feed(text_update(ADMIN, "/start"))
    await feed(text_update(ADMIN, "/invite rep"))
    await feed(text_update(REP, f"/start {session.texts()[-1].rsplit('=', 1)[1]}"))

    await feed(text_update(REP, "/reminders"))
    assert session.texts()[-1].startswith("没有待办的提醒。")
    await feed(text_update(REP, "提醒我周五给他回电话"))
    assert "⏰ 已设提醒：11月27日 周五 09:00 给他回电话" in session.texts()[-1]
    await feed(text_update(REP, "/reminders"))
    assert session.texts()[-1].splitlines()[:3] == [
        "⏰ 待办提醒（1 条）",
        "以后：",
        "1. 11月27日 周五 09:00 给他回电话",
    ]
    (done_from_list,) = buttons(session)
    assert (done_from_list.act, done_from_list.arg) == ("rd", "list")

    # Friday 09:00: the scheduler sends it through Telegram, with its buttons.
    notifier = ChannelNotifier()
    notifier.register(Channel.TELEGRAM, TelegramNotifier(bot))
    clock.moment = at(27, 9)
    session.clear()
    assert await ReminderScheduler(app.reminders, notifier, clock).tick() == 1
    (sent,) = session.sent()
    assert sent.chat_id == REP.id and sent.text == "⏰ 提醒：给他回电话\n🕘 11月27日 周五 09:00"
    done, hour, tomorrow, pick = buttons(session)
    assert [(b.act, b.arg) for b in (done, hour, tomorrow, pick)] == [
        ("rd", ""),
        ("rs", "1h"),
        ("rs", "tomorrow"),
        ("rp", ""),
    ]

    await feed(callback_update(REP, hour.pack()))
    assert session.edits()[-1].text == "⏰ 已改到 11月27日 周五 10:00：给他回电话"  # the reminder, edited
    await feed(callback_update(REP, pick.pack()))
    assert session.texts()[-1].startswith("什么时候再提醒你？")
    await feed(text_update(REP, "下周二上午十点"))
    assert session.texts()[-1] == "⏰ 已改到 12月1日 周二 10:00：给他回电话"
    await feed(callback_update(REP, done.pack()))
    assert session.edits()[-1].text == "✅ 已完成：给他回电话"
    await feed(callback_update(REP, done.pack()))
    assert session.texts()[-1] == "这条提醒已经完成或取消了。"


async def test_settings_on_telegram(app: App) -> None:
    dp, _ = make_dispatcher(app, burst_seconds=0.05)
    bot, session = make_bot()
    await dp.feed_update(bot, text_update(ADMIN, "/start"))

    await dp.feed_update(bot, text_update(ADMIN, "/settings"))
    assert "🌙 免打扰：关闭" in session.texts()[-1]
    quiet, weekend = buttons(session)
    assert (quiet.act, quiet.arg, weekend.arg) == ("sg", "quiet 2200-0800", "weekend monday")
    await dp.feed_update(bot, callback_update(ADMIN, weekend.pack()))
    assert "📅 周末：改到周一 9:00" in (session.edits()[-1].text or "")
    await dp.feed_update(bot, text_update(ADMIN, "/settings quiet 21:30-7:30"))
    assert "🌙 免打扰：21:30–07:30（期间的提醒推迟到 07:30）" in session.texts()[-1]
    await dp.feed_update(bot, text_update(ADMIN, "/settings tz Asia/Shang"))
    assert session.texts()[-1].startswith("不认识时区“Asia/Shang”")


Step = str | Callable[[], Awaitable[object]]


async def script(steps: list[Step]) -> AsyncIterator[str]:
    """Console input; a callable step runs between lines (the scheduler's turn)."""
    for step in steps:
        if isinstance(step, str):
            yield step + "\n"
        else:
            await step()


async def test_reminders_on_the_console(app: App, clock: FakeClock) -> None:
    out: list[str] = []
    chat = ConsoleChat(app, out.append, who=Newcomer(Channel.CONSOLE, "op", "op", "op", "zh_CN.UTF-8"))
    notifier = ChannelNotifier()
    notifier.register(Channel.CONSOLE, ConsoleNotifier(chat.conversation, out.append))
    scheduler = ReminderScheduler(app.reminders, notifier, clock)

    async def friday_morning() -> None:
        clock.moment = at(27, 9)
        await scheduler.tick()

    await chat.run(
        script(
            [
                "提醒我周五给他回电话",
                "",
                "/reminders",
                friday_morning,
                "4",  # 🗓 pick a time
                "明天下午3点",
                "",
                "/settings",
                "2",  # weekend reminders on Monday
                "/settings quiet 25-8",
            ]
        )
    )
    confirmed, listed, delivered, prompt, moved, settings, weekend, refused = out[-8:]
    assert "⏰ 已设提醒：11月27日 周五 09:00 给他回电话" in confirmed
    assert "1. 11月27日 周五 09:00 给他回电话" in listed and "  1. ✅ 1" in listed
    assert delivered.splitlines() == [
        "⏰ 提醒：给他回电话",
        "🕘 11月27日 周五 09:00",
        "",
        "回复数字选择：",
        "  1. ✅ 完成",
        "  2. ⏰ 1小时后",
        "  3. 🌅 明天 9:00",
        "  4. 🗓 选时间",
    ]
    assert prompt.startswith("什么时候再提醒你？")
    assert moved.splitlines() == ["⏰ 已改到 11月28日 周六 15:00：给他回电话"]
    assert "  2. 📅 周末提醒改到周一" in settings
    assert weekend.startswith("✅ 已保存。") and "📅 周末：改到周一 9:00" in weekend
    assert refused.startswith("免打扰时段“25-8”不对")
