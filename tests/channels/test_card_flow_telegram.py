"""Card photos on Telegram through Dispatcher.feed_update with the recording session (which serves the
downloads), real tesseract and a real SQLite file: photo, album, image file, fix buttons, refusals."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiogram import Bot, Dispatcher
from aiogram.methods import SendChatAction
from aiogram.types import Chat, InlineKeyboardMarkup, Message, PhotoSize, Update, User
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.telegram import make_bot as make_real_bot
from bot.telegram import make_dispatcher
from handlers.telegram.callbacks import ButtonCB
from nlu.extractor import Extractor
from storage import tables as t
from tests.conftest import FakeClock
from tests.support.card_flow import (
    BILINGUAL_CARD,
    UNLABELLED_ADDRESS_CARD,
    ZH_CARD,
    card_app,
    count,
    nothing_stored,
    photo,
)
from tests.support.fake_telegram import TOKEN, FakeTelegram
from tests.support.fake_telegram import message as fake_message
from tests.support.fake_telegram import user as fake_user
from tests.support.telegram import (
    DATE,
    RecordingSession,
    callback_update,
    make_bot,
    media_update,
    text_update,
    user,
)

ADMIN = user(100, "Boss")
REP = user(200, "小李")
_ids = itertools.count(70_000)
# What the rep types after tapping "fix" on each kind of field.
TYPED = {
    "name": "梁晨",
    "title": "市场部总监",
    "company": "杭州星辰集团",
    "mobile": "13700001111",
    "phones": "057188880000",
    "emails": "chen@example.cn",
    "wechat_id": "wx_chen",
    "address": "杭州市西湖区文三路1号",
}


@dataclass
class Tg:
    dp: Dispatcher
    bot: Bot
    session: RecordingSession

    async def feed(self, update: Update) -> None:
        await self.dp.feed_update(self.bot, update)

    def texts(self) -> list[str]:
        return self.session.texts()

    def keyboard(self) -> InlineKeyboardMarkup:
        markup = self.session.sent()[-1].reply_markup
        assert isinstance(markup, InlineKeyboardMarkup)
        return markup


@pytest.fixture
async def tg(sqlite_engine: AsyncEngine, clock: FakeClock, extractor: Extractor, tmp_path: Path) -> Tg:
    app, _ = card_app(sqlite_engine, clock, extractor, tmp_path)
    # A quiet time long enough that both photos of an album meet in the collector on a busy machine.
    dp, _ = make_dispatcher(app, burst_seconds=0.5)
    bot, session = make_bot()
    tg = Tg(dp, bot, session)
    await tg.feed(text_update(ADMIN, "/start"))
    await tg.feed(text_update(ADMIN, "/invite rep"))
    code = tg.texts()[-1].rsplit("=", 1)[1]
    await tg.feed(text_update(REP, f"/start {code}"))
    session.clear()
    return tg


def photo_update(
    sender: User, file_id: str, *, media_group_id: str | None = None, message_id: int | None = None
) -> Update:
    """A photo as Telegram sends it: the same picture in several sizes, the largest last."""
    sizes = [
        PhotoSize(
            file_id=f"{file_id}-s", file_unique_id=f"{file_id}-s", width=320, height=180, file_size=9_000
        ),
        PhotoSize(file_id=file_id, file_unique_id=file_id, width=1280, height=720, file_size=150_000),
        PhotoSize(
            file_id=f"{file_id}-l", file_unique_id=f"{file_id}-l", width=2560, height=1440, file_size=600_000
        ),
    ]
    message = Message(
        message_id=message_id or next(_ids),
        date=DATE,
        chat=Chat(id=sender.id, type="private"),
        from_user=sender,
        photo=sizes,
        media_group_id=media_group_id,
    )
    return Update(update_id=next(_ids), message=message)


async def test_a_photo_becomes_a_contact_card_and_a_field_is_fixed_by_tap(
    tg: Tg, sqlite_engine: AsyncEngine
) -> None:
    # A card whose address is printed without a label: found by layout alone, it is marked doubtful.
    tg.session.files["card-m"] = photo(UNLABELLED_ADDRESS_CARD)
    await tg.feed(photo_update(REP, "card-m"))

    assert tg.session.downloads == ["card-m"]  # the 1280 px size, not the 2560 px one
    card = tg.texts()[-1]
    assert card.startswith("📇 名片已识别，新联系人已保存") and "+86 166 2011 9501" in card
    assert "⚠️" in card and tg.session.sent()[-1].parse_mode is None
    assert any(isinstance(r, SendChatAction) and r.action == "typing" for r in tg.session.requests)
    assert await count(sqlite_engine, t.contacts) == 1 and await count(sqlite_engine, t.files) == 1

    data = [b.callback_data for row in tg.keyboard().inline_keyboard for b in row]
    assert all(d is not None and len(d.encode()) <= 64 for d in data)
    fix = next(d for d in data if d and ButtonCB.unpack(d).act == "cf")
    await tg.feed(callback_update(REP, fix))
    assert "请输入正确的" in tg.texts()[-1]
    await tg.feed(text_update(REP, TYPED[ButtonCB.unpack(fix).arg]))
    assert tg.texts()[-1].startswith("✏️ 已修正")
    assert await count(sqlite_engine, t.interactions) == 1


async def test_an_album_of_front_and_back_makes_one_contact(tg: Tg, sqlite_engine: AsyncEngine) -> None:
    tg.session.files["front"] = photo(BILINGUAL_CARD, 0)
    tg.session.files["back"] = photo(BILINGUAL_CARD, 1)
    album = [
        photo_update(REP, "front", media_group_id="g1", message_id=501),
        photo_update(REP, "back", media_group_id="g1", message_id=502),
    ]
    await asyncio.gather(*(tg.feed(update) for update in album))

    cards = [text for text in tg.texts() if text.startswith("📇")]
    assert len(cards) == 1 and "（正反两面）" in cards[0]
    assert sorted(tg.session.downloads) == ["back", "front"]
    assert await count(sqlite_engine, t.contacts) == 1 and await count(sqlite_engine, t.files) == 2


async def test_an_image_sent_as_a_file_is_read_and_the_same_update_twice_is_one_capture(
    tg: Tg, sqlite_engine: AsyncEngine
) -> None:
    tg.session.files["doc"] = photo(ZH_CARD)
    update = media_update(
        REP, "document", "doc", len(photo(ZH_CARD)), file_name="IMG_0001.JPG", mime_type="image/jpeg"
    )
    await tg.feed(update)
    # The same message in a new update (an identical update is dropped before any handler, see
    # test_telegram_private): the capture's own dedup answers it.
    await tg.feed(update.model_copy(update={"update_id": update.update_id + 1_000_000}))
    assert tg.texts()[0].startswith("📇 名片已识别")
    assert tg.texts()[-1] == "这张名片已经记录过了。"
    assert tg.session.downloads == ["doc"]  # the repeated delivery is not even downloaded
    assert await count(sqlite_engine, t.interactions) == 1


async def test_refusals_on_telegram_store_nothing(tg: Tg, sqlite_engine: AsyncEngine, tmp_path: Path) -> None:
    tg.session.files["fake"] = "张伟 13812345678".encode() * 100
    await tg.feed(media_update(REP, "document", "fake", 2_000, file_name="scan.jpg", mime_type="image/jpeg"))
    assert "不是图片" in tg.texts()[-1]
    # Larger than the limit as Telegram reports it: refused before any download.
    await tg.feed(
        media_update(REP, "document", "huge", 30 * 1024 * 1024, file_name="scan.png", mime_type="image/png")
    )
    assert "图片太大了" in tg.texts()[-1]
    assert tg.session.downloads == ["fake"]
    assert await nothing_stored(sqlite_engine, tmp_path)


async def test_a_photo_over_the_real_http_session_against_a_fake_bot_api(
    sqlite_engine: AsyncEngine, clock: FakeClock, extractor: Extractor, tmp_path: Path
) -> None:
    """The download path for real: getFile, then the file URL, served by a local fake Bot API server."""
    app, _ = card_app(sqlite_engine, clock, extractor, tmp_path)
    fake = FakeTelegram()
    await fake.start()
    bot = make_real_bot(TOKEN, fake.base_url)
    dp, _ = make_dispatcher(app, burst_seconds=0.05)
    admin = fake_user(1, "Boss")
    fake.files["card1280"] = photo(ZH_CARD)
    fake.push(fake_message(admin, "/start", 1))
    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=1))
    try:
        await fake.wait_for(lambda: any("管理员" in text for text in fake.sent_texts()), timeout=20)
        body = fake_message(admin, "", 2)
        del body["message"]["text"]
        body["message"]["photo"] = [
            {"file_id": "card320", "file_unique_id": "u1", "width": 320, "height": 180, "file_size": 9000},
            {
                "file_id": "card1280",
                "file_unique_id": "u2",
                "width": 1280,
                "height": 720,
                "file_size": 150000,
            },
        ]
        fake.push(body)
        await fake.wait_for(lambda: any(text.startswith("📇") for text in fake.sent_texts()), timeout=30)
    finally:
        await dp.stop_polling()
        await asyncio.wait_for(polling, timeout=10)
        await fake.stop()
    assert [c.params.get("file_id") for c in fake.calls if c.method == "getFile"] == ["card1280"]
    assert await count(sqlite_engine, t.contacts) == 1 and await count(sqlite_engine, t.files) == 1
