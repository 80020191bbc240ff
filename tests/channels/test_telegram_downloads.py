"""Files the Bot API will not hand out (over 20 MB, expired or foreign file ids, a vanished file) are
answered with what happened and what to do, over the real aiohttp session against a fake Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiogram.types import Update
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.telegram import make_bot, make_dispatcher
from chat.app import App
from nlu.extractor import Extractor
from storage import tables as t
from tests.conftest import FakeClock
from tests.support.fake_telegram import TOKEN, FakeTelegram, message, user
from tests.support.telegram_app import every_file_app

ADMIN = user(1, "Boss")
ENGLISH = user(1, "Boss", lang="en")
TOO_BIG = "Bad Request: file is too big"
EXPIRED = "Bad Request: wrong file_id or the file is temporarily unavailable"
INVALID = "Bad Request: invalid file_id"

# What each kind of message carries; none states a file_size (older clients and forwarded media
# often do not), so the bot only learns of the limit from getFile.
MEDIA: dict[str, dict[str, Any]] = {
    "voice": {"voice": {"file_id": "F", "file_unique_id": "F", "duration": 5, "mime_type": "audio/ogg"}},
    "audio": {"audio": {"file_id": "F", "file_unique_id": "F", "duration": 5, "file_name": "visit.mp3"}},
    "video_note": {"video_note": {"file_id": "F", "file_unique_id": "F", "length": 240, "duration": 5}},
    "pdf": {
        "document": {
            "file_id": "F",
            "file_unique_id": "F",
            "file_name": "合同.pdf",
            "mime_type": "application/pdf",
        }
    },
    "photo": {"photo": [{"file_id": "F", "file_unique_id": "F", "width": 1280, "height": 800}]},
    "image file": {
        "document": {
            "file_id": "F",
            "file_unique_id": "F",
            "file_name": "card.jpg",
            "mime_type": "image/jpeg",
        }
    },
}
# (the getFile refusal, or None for a file path whose download answers 404) -> what the answer says
CASES: dict[str, tuple[str | None, str, str]] = {
    "too big": (TOO_BIG, "超过 20 MB", "over 20 MB"),
    "expired": (EXPIRED, "已失效", "no longer serves"),
    "invalid": (INVALID, "已失效", "no longer serves"),
    "vanished": (None, "暂时无法从 Telegram 下载", "Could not download"),
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
    server = FakeTelegram()
    await server.start()
    yield server
    await server.stop()


def media_message(sender: dict[str, Any], message_id: int, content: dict[str, Any]) -> dict[str, Any]:
    body = {
        "message_id": message_id,
        "date": 1_790_000_000,
        "chat": {"id": sender["id"], "type": "private"},
        "from": sender,
        **content,
    }
    return {"update_id": 100 + message_id, "message": body}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("kind", sorted(MEDIA))
async def test_a_file_telegram_will_not_serve_gets_an_answer_that_says_what_to_do(
    app: App, fake: FakeTelegram, sqlite_engine: AsyncEngine, kind: str, case: str
) -> None:
    refusal, zh, en = CASES[case]
    if refusal is not None:
        fake.refused_files["F"] = refusal
    bot = make_bot(TOKEN, fake.base_url)
    dp, _ = make_dispatcher(app, burst_seconds=0.05)
    try:
        start = message(ADMIN, "/start", 1)
        await dp.feed_update(bot, Update.model_validate({"update_id": 1, **start}))
        for sender, message_id, expected in ((ADMIN, 2, zh), (ENGLISH, 3, en)):
            if sender is ENGLISH:
                await dp.feed_update(
                    bot, Update.model_validate({"update_id": 50, **message(ADMIN, "/lang en", 50)})
                )
            await dp.feed_update(bot, Update.model_validate(media_message(sender, message_id, MEDIA[kind])))
            assert expected in fake.sent_texts()[-1], fake.sent_texts()[-1]
    finally:
        await bot.session.close()
    assert not any("出了点问题" in text or "went wrong" in text for text in fake.sent_texts())
    async with sqlite_engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(t.files))).scalar_one() == 0
        assert (await conn.execute(select(func.count()).select_from(t.interactions))).scalar_one() == 0
