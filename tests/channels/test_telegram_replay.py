"""Real update payloads from another Telegram library's test suite (tests/data/telegram_updates),
replayed at the bot over the real aiohttp session against a fake Bot API: no traceback, no generic
apology, and each update gets the answer its fixture expects (or none)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiogram.types import Update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.telegram import make_bot, make_dispatcher
from chat.app import App
from chat.messages import t
from crm.model import Lang
from nlu.extractor import Extractor
from tests.conftest import FakeClock
from tests.support.fake_telegram import TOKEN, FakeTelegram
from tests.support.telegram_app import every_file_app

FIXTURES = Path(__file__).parents[1] / "data" / "telegram_updates"
REPLAYED = [
    entry for path in sorted(FIXTURES.glob("*.json")) for entry in json.loads(path.read_text("utf-8"))
]
# What each kind of answer contains, in either language.
EXPECTED = {
    "explained": ("私聊", "private chats only"),
    "unsupported": (t(Lang.ZH, "input.unsupported"), t(Lang.EN, "input.unsupported")),
    "file": (t(Lang.ZH, "media.tg_expired"), t(Lang.EN, "media.tg_expired")),
}


@pytest.fixture
async def app(
    sqlite_engine: AsyncEngine, clock: FakeClock, extractor: Extractor, tmp_path: Path
) -> AsyncIterator[App]:
    app = every_file_app(sqlite_engine, clock, extractor, tmp_path)
    yield app
    await app.voice.aclose()


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram(unknown_files_refused=True)
    await server.start()
    yield server
    await server.stop()


def _sender(update: dict[str, Any]) -> dict[str, Any] | None:
    for kind in ("message", "callback_query"):
        sender = update.get(kind, {}).get("from")
        if sender is not None and not sender.get("is_bot"):
            return dict(sender)
    return None


def _chat_of(update: dict[str, Any]) -> int | None:
    message = update.get("message") or update.get("callback_query", {}).get("message")
    return int(message["chat"]["id"]) if message else None


@pytest.mark.parametrize("entry", REPLAYED, ids=[str(e["name"]) for e in REPLAYED])
async def test_a_real_update_is_answered_sensibly_or_ignored(
    app: App, fake: FakeTelegram, entry: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    bot = make_bot(TOKEN, fake.base_url)
    dp, _ = make_dispatcher(app, burst_seconds=0.05)
    update = entry["update"]
    sender = _sender(update)
    try:
        if sender is not None:
            # The sender uses chatcrm (they found the team in their private chat), so the update
            # reaches the members' handlers, not only the newcomers' greeting.
            start = {
                "message_id": 1,
                "date": 1_700_000_000,
                "chat": {"id": sender["id"], "type": "private", "first_name": sender["first_name"]},
                "from": sender,
                "text": "/start",
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            }
            await dp.feed_update(bot, Update.model_validate({"update_id": 1, "message": start}))
        fake.calls.clear()
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            if entry["expect"] == "unknown":
                # aiogram skips an update type it does not know, with a warning
                with pytest.warns(RuntimeWarning, match="unknown update type"):
                    await dp.feed_update(bot, Update.model_validate(update))
            else:
                await dp.feed_update(bot, Update.model_validate(update))
    finally:
        await bot.session.close()

    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]
    sent = [c for c in fake.calls if c.method == "sendMessage"]
    texts = [str(c.params.get("text", "")) for c in sent]
    assert not any(t(lang, "error.generic") in text for text in texts for lang in Lang)
    expect = entry["expect"]
    if expect in ("ignored", "unknown"):
        assert sent == []
        return
    assert len(sent) == 1, texts
    assert int(str(sent[0].params["chat_id"])) == _chat_of(update)  # answered where it was said
    if expect in EXPECTED:
        assert any(piece in texts[0] for piece in EXPECTED[expect]), texts[0]
