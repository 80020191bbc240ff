"""Voice messages on Telegram through Dispatcher.feed_update with the recording session (which serves
getFile downloads), on a real SQLite file. The engine is the scripted stand-in of tests/support/voice.py."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiogram import Bot, Dispatcher
from aiogram.methods import EditMessageText, SendChatAction
from aiogram.types import InlineKeyboardMarkup, Update
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.telegram import make_dispatcher
from chat.app import App
from crm.inputs import ChatMessage
from handlers.telegram.callbacks import ButtonCB
from nlu.extractor import Extractor
from storage import tables as t
from storage.db import create_engine
from tests.conftest import FakeClock, person
from tests.support.telegram import (
    RecordingSession,
    callback_update,
    make_bot,
    media_update,
    text_update,
    user,
)
from tests.support.telegram_inbox import Process, founded, until
from tests.support.voice import ZH_CLIP, ScriptedSpeech, make_voice_app

ADMIN = user(100, "Boss")
REP = user(200, "小李")
CLIP = ZH_CLIP.read_bytes()
VISIT = "今天拜访了华为的张总，他们预算五十万左右。我周五之前把报价发给他。下周三下午三点再去拜访。"


@dataclass
class Tg:
    dp: Dispatcher
    bot: Bot
    session: RecordingSession

    async def feed(self, update: Update) -> None:
        await self.dp.feed_update(self.bot, update)


@pytest.fixture
def speech() -> ScriptedSpeech:
    return ScriptedSpeech()


@pytest.fixture
async def app(
    sqlite_engine: AsyncEngine, clock: FakeClock, extractor: Extractor, tmp_path: Path, speech: ScriptedSpeech
) -> AsyncIterator[App]:
    app = make_voice_app(sqlite_engine, clock, extractor, tmp_path, speech)
    yield app
    await app.voice.aclose()


@pytest.fixture
async def tg(app: App) -> Tg:
    dp, _ = make_dispatcher(app, burst_seconds=0.05)
    bot, session = make_bot()
    tg = Tg(dp, bot, session)
    await tg.feed(text_update(ADMIN, "/start"))
    await tg.feed(text_update(ADMIN, "/invite rep"))
    code = session.texts()[-1].rsplit("=", 1)[1]
    await tg.feed(text_update(REP, f"/start {code}"))
    rep = await app.identify(person(str(REP.id)))
    assert rep is not None
    await app.capture.chat(
        rep, [ChatMessage("我是华为技术有限公司的采购经理张伟，电话 13812345678", sender="张伟")]
    )
    session.clear()
    return tg


async def voice_count(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        query = select(func.count()).select_from(t.interactions).where(t.interactions.c.source == "voice")
        return int((await conn.execute(query)).scalar_one())


async def test_voice_message_becomes_minutes(
    tg: Tg, speech: ScriptedSpeech, sqlite_engine: AsyncEngine
) -> None:
    speech.say(VISIT)
    tg.session.files["voice-1"] = CLIP

    await tg.feed(media_update(REP, "voice", "voice-1", len(CLIP), duration=8, message_id=77))

    assert tg.session.downloads == ["voice-1"]
    (reply,) = tg.session.sent()
    assert reply.text is not None and reply.text.startswith("🎙 拜访纪要")
    assert "🏢 客户：华为技术有限公司" in reply.text
    assert "📅 下次会面：12月2日 周三 15:00" in reply.text
    markup = reply.reply_markup
    assert isinstance(markup, InlineKeyboardMarkup)
    assert [ButtonCB.unpack(b.callback_data or "").act for row in markup.inline_keyboard for b in row] == [
        "mc",
        "me",
        "md",
    ]
    # aiogram's ChatActionMiddleware showed "recording voice…" while the note was worked on
    assert any(isinstance(r, SendChatAction) and r.action == "record_voice" for r in tg.session.requests)
    assert speech.calls[0].existed
    async with sqlite_engine.connect() as conn:
        key = (
            await conn.execute(
                select(t.interactions.c.external_key).where(t.interactions.c.source == "voice")
            )
        ).scalar_one()
    assert key == "tg:200:77"


async def test_the_same_update_twice_makes_one_interaction(
    tg: Tg, speech: ScriptedSpeech, sqlite_engine: AsyncEngine
) -> None:
    speech.say(VISIT)
    tg.session.files["voice-1"] = CLIP
    update = media_update(REP, "voice", "voice-1", len(CLIP), duration=8, message_id=78)

    await tg.feed(update)
    # The same message in a new update (an identical update is one inbox job, see
    # test_telegram_inbox): the capture's own dedup answers it.
    await tg.feed(update.model_copy(update={"update_id": update.update_id + 1_000_000}))

    assert await voice_count(sqlite_engine) == 1
    assert len(speech.calls) == 1
    first, second = tg.session.texts()
    assert first.startswith("🎙 拜访纪要\n")
    assert second.startswith("🎙 拜访纪要（这条语音之前已处理过）")


async def test_long_note_shows_progress_then_the_card_replaces_it(tg: Tg, speech: ScriptedSpeech) -> None:
    speech.say(VISIT)
    tg.session.files["voice-2"] = CLIP

    await tg.feed(media_update(REP, "voice", "voice-2", len(CLIP), duration=95, message_id=79))

    (status,) = tg.session.sent()
    assert status.text == "🎙 正在转写… 0%"
    edits = [r for r in tg.session.requests if isinstance(r, EditMessageText)]
    assert [e.text for e in edits][-2] == "🧠 正在整理纪要…"
    final = edits[-1]
    assert final.text is not None and final.text.startswith("🎙 拜访纪要")
    assert isinstance(final.reply_markup, InlineKeyboardMarkup)


async def test_audio_file_video_note_and_audio_document_are_taken(tg: Tg, speech: ScriptedSpeech) -> None:
    speech.say(VISIT)
    for file_id in ("audio-1", "vn-1", "doc-1"):
        tg.session.files[file_id] = CLIP

    await tg.feed(media_update(REP, "audio", "audio-1", len(CLIP), duration=8, file_name="visit.m4a"))
    await tg.feed(media_update(REP, "video_note", "vn-1", len(CLIP), duration=8))
    await tg.feed(
        media_update(
            REP, "document", "doc-1", len(CLIP), file_name="录音.amr", mime_type="application/octet-stream"
        )
    )

    assert tg.session.downloads == ["audio-1", "vn-1", "doc-1"]
    assert len(speech.calls) == 3
    suffixes = sorted(call.audio.suffix for call in speech.calls)
    assert suffixes == [".amr", ".m4a", ".mp4"]


async def test_a_file_over_telegrams_download_limit_is_refused_without_downloading(
    tg: Tg, speech: ScriptedSpeech
) -> None:
    await tg.feed(
        media_update(REP, "audio", "big-1", 21 * 1024 * 1024, duration=300, file_name="meeting.mp3")
    )

    assert tg.session.downloads == []
    assert tg.session.texts() == ["文件太大了（上限 20 MB）。请发送语音消息，或压缩、分段后再发。"]
    assert speech.calls == []


async def test_failed_transcription_offers_retry_and_the_button_works(
    tg: Tg, speech: ScriptedSpeech, sqlite_engine: AsyncEngine
) -> None:
    speech.error = RuntimeError("model crashed")
    tg.session.files["voice-3"] = CLIP
    await tg.feed(media_update(REP, "voice", "voice-3", len(CLIP), duration=8))
    (failed,) = tg.session.sent()
    assert failed.text is not None and "录音已经保存" in failed.text
    markup = failed.reply_markup
    assert isinstance(markup, InlineKeyboardMarkup)
    (retry,) = [b for row in markup.inline_keyboard for b in row]
    tg.session.clear()

    speech.error = None
    speech.say(VISIT)
    await tg.feed(callback_update(REP, retry.callback_data or ""))

    assert tg.session.texts()[-1].startswith("🎙 拜访纪要")
    assert await voice_count(sqlite_engine) == 1


async def test_discard_button(tg: Tg, speech: ScriptedSpeech, sqlite_engine: AsyncEngine) -> None:
    speech.say(VISIT)
    tg.session.files["voice-4"] = CLIP
    await tg.feed(media_update(REP, "voice", "voice-4", len(CLIP), duration=8))
    markup = tg.session.sent()[-1].reply_markup
    assert isinstance(markup, InlineKeyboardMarkup)
    discard = next(b for row in markup.inline_keyboard for b in row if "删除" in b.text)

    await tg.feed(callback_update(REP, discard.callback_data or ""))

    assert tg.session.texts()[-1] == "🗑 纪要已删除，相关提醒已取消。录音仍然保留。"
    async with sqlite_engine.connect() as conn:
        statuses = (await conn.execute(select(t.reminders.c.status))).scalars().all()
    assert set(statuses) == {"cancelled"}


async def test_a_note_whose_process_died_while_transcribing_is_taken_over_by_another(
    app: App,
    speech: ScriptedSpeech,
    sqlite_engine: AsyncEngine,
    clock: FakeClock,
    extractor: Extractor,
    tmp_path: Path,
) -> None:
    dying = Process(app)
    await founded(dying)
    speech.gate = threading.Event()
    speech.say(VISIT)
    dying.session.files["voice-1"] = CLIP
    await dying.receive(media_update(ADMIN, "voice", "voice-1", len(CLIP), duration=8, message_id=90))
    dying.inbox.start()
    await until(lambda: bool(speech.calls))
    await dying.kill()  # while Whisper works on the note
    speech.gate.set()
    await app.voice.aclose()
    assert await voice_statuses(sqlite_engine) == ["transcribing"]

    # Another process on the same database and file store; its runner takes the update over once the
    # dead process's lease ran out, and the note (already stored) is transcribed there.
    fresh = ScriptedSpeech(texts=[VISIT])
    other = create_engine(str(sqlite_engine.url))
    survivor_app = make_voice_app(other, clock, extractor, tmp_path, fresh)
    survivor = Process(survivor_app)
    survivor.session.files["voice-1"] = CLIP
    try:
        async with survivor.running():
            clock.advance(seconds=31)
            await until(lambda: any(text.startswith("🎙 拜访纪要") for text in survivor.session.texts()))
            await survivor.inbox.runner.idle()
    finally:
        await survivor_app.voice.aclose()
        await other.dispose()
    assert await voice_statuses(sqlite_engine) == ["done"]
    assert len(fresh.calls) == 1
    assert sum(text.startswith("🎙 拜访纪要") for text in survivor.session.texts()) == 1
    assert not any(text.startswith("🎙 拜访纪要") for text in dying.session.texts())


async def voice_statuses(engine: AsyncEngine) -> list[str]:
    i = t.interactions.c
    async with engine.connect() as conn:
        rows = await conn.execute(select(i.voice_status).where(i.source == "voice").order_by(i.id))
        return [str(status) for status in rows.scalars()]
