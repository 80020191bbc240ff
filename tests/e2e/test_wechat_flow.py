"""One rep on WeChat, end to end: a typed lead, a dictated AMR voice note, a card photo, through the
real callback server (wechatpy envelopes in safe mode), the real wiring (SQLite file, Whisper base
model), with the replies caught by the fake WeChat API on 127.0.0.1."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.settings import Settings
from bot.wechat.runtime import WeChatChannel, WeChatConfig, web_application
from bot.wiring import Runtime, build
from tests.support import wechat as wx
from tests.support.amr import speak_amr
from tests.support.cardgen import encode, generate_card
from tests.support.fake_wechat import APP_ID, SECRET, FakeWeChat

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
REP = "o-rep-e2e"


@pytest.fixture
async def fake() -> AsyncIterator[FakeWeChat]:
    server = FakeWeChat()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[Runtime]:
    settings = Settings(
        CHATCRM_DATA_DIR=tmp_path / "data",
        CHATCRM_WHISPER_MODEL=str(ROOT / "models" / "whisper-base.pt"),
        CHATCRM_WHISPER_PRELOAD=False,
        # The note below is espeak-ng's robotic Mandarin squeezed into 8 kHz AMR: Whisper base makes
        # words of it only with the CRM's names as a prompt. The flow is under test here, not the
        # decoder's defaults (those are measured on real speech by evals/eval_speech.py).
        CHATCRM_WHISPER_PROMPT=True,
    )
    built = await build(settings)
    yield built
    await built.close()


def _rows(tmp_path: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(tmp_path / "data" / "chatcrm.db") as conn:
        return conn.execute(sql).fetchall()


async def test_text_then_voice_then_image(
    runtime: Runtime, fake: FakeWeChat, aiohttp_client: Any, tmp_path: Path
) -> None:
    config = WeChatConfig(
        token=wx.TOKEN, aes_key=wx.AES_KEY, app_id=APP_ID, secret=SECRET, api_url=fake.base_url, workers=2
    )
    channel = WeChatChannel(runtime.app, config, runtime.notifier, backoff_seconds=0.01)
    web_app = web_application()
    channel.mount(web_app)
    channel.start()
    client = await aiohttp_client(web_app)
    env = wx.Envelopes("safe")

    async def post(xml: str) -> None:
        query, body = env.post(xml)
        response = await client.post("/wechat", params=query, data=body.encode())
        assert (response.status, await response.text()) == (200, "success")

    try:
        await post(wx.text(REP, "/start"))  # the first user founds the team
        await post(wx.text(REP, "张伟 13812345678 华为技术有限公司 想了解CRM，预算50万"))
        await asyncio.wait_for(channel.idle(), 120)
        assert "新线索" in fake.texts(REP)[-1]

        fake.media["voice-1"] = (
            # At 160 words a minute the 8 kHz note keeps "华为" and "五十万" through Whisper base.
            speak_amr("今天拜访了华为的张伟。预算五十万。", tmp_path, speed=160),
            "audio/amr",
        )
        await post(wx.message_xml(REP, "voice", MediaId="voice-1", Format="amr"))
        await asyncio.wait_for(channel.idle(), 300)
        assert "voice-1" in fake.downloads
        minutes = fake.texts(REP)[-1]
        # espeak-ng's robotic Mandarin at 8 kHz is transcribed roughly; the customer comes from the
        # names in the transcript and the rep's recent capture, the budget from the words.
        assert "拜访纪要" in minutes and "华为技术有限公司" in minutes and "50万" in minutes, minutes

        card = generate_card(7, language="zh_hans")
        fake.media["card-1"] = (encode(card.images[0], "JPEG"), "image/jpeg")
        await post(wx.message_xml(REP, "image", MediaId="card-1", PicUrl="http://127.0.0.1/card.jpg"))
        await asyncio.wait_for(channel.idle(), 120)
        card_reply = fake.texts(REP)[-1]
        assert "名片已识别" in card_reply and card.truth.name in card_reply, card_reply
    finally:
        await channel.close(30)

    rows = _rows(
        tmp_path,
        "SELECT i.source, c.name FROM interactions i LEFT JOIN customers c ON c.id = i.customer_id ORDER BY i.id",
    )
    assert rows[:2] == [("chat", "华为技术有限公司"), ("voice", "华为技术有限公司")], rows
    assert rows[2][0] == "card", rows
    contacts = {row[0] for row in _rows(tmp_path, "SELECT name FROM contacts WHERE archived_at IS NULL")}
    assert {"张伟", card.truth.name} <= contacts
    assert all(s.path == "/cgi-bin/message/custom/send" for s in fake.sent)
