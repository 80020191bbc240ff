"""The real aiohttp session against a fake Bot API server on 127.0.0.1 (TELEGRAM_API_URL)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.telegram import make_bot, make_dispatcher, register_commands
from chat.app import App
from tests.support.fake_telegram import TOKEN, FakeTelegram, message, user


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram()
    await server.start()
    yield server
    await server.stop()


def is_card(text: str) -> bool:
    # The welcome's help mentions new leads too (/away): a card is what follows a capture.
    return "新线索" in text and "/help" not in text


async def test_polling_start_and_capture_over_http(app: App, fake: FakeTelegram) -> None:
    admin = user(1, "Boss")
    customer = user(9, "张伟")
    fake.push(message(admin, "/start", 1))

    bot = make_bot(TOKEN, fake.base_url)
    dp, _ = make_dispatcher(app, burst_seconds=0.05)
    await register_commands(bot)
    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=1))
    try:
        await fake.wait_for(lambda: any("管理员" in text for text in fake.sent_texts()), timeout=10)
        fake.push(message(admin, "张伟 13812345678 华为技术有限公司 想要报价", 2, forward_from=customer))
        await fake.wait_for(lambda: any(is_card(text) for text in fake.sent_texts()), timeout=10)
    finally:
        await dp.stop_polling()
        await asyncio.wait_for(polling, timeout=10)

    methods = [call.method for call in fake.calls]
    assert methods.count("setMyCommands") == 2  # Chinese and English menus
    assert "getUpdates" in methods
    assert any("管理员" in text for text in fake.sent_texts())
    card = next(text for text in fake.sent_texts() if is_card(text))
    assert "华为技术有限公司" in card and "+86 138 1234 5678" in card
    # both updates were acknowledged to Telegram by the next getUpdates offset
    assert fake.acknowledged >= max(u["update_id"] for u in fake.updates) + 1
