"""The console's /voice PATH: a recording on the server becomes the same minutes card, as text."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from chat.app import App
from crm.inputs import Newcomer
from crm.model import Channel
from handlers.console.chat import ConsoleChat
from nlu.extractor import Extractor
from tests.conftest import FakeClock
from tests.support.voice import ZH_CLIP, ScriptedSpeech, make_voice_app

OPERATOR = Newcomer(Channel.CONSOLE, "ops", "ops", "ops", "zh_CN.UTF-8")


@pytest.fixture
def speech() -> ScriptedSpeech:
    return ScriptedSpeech(texts=["今天拜访了美的集团的王经理，他们预算二十万。我周五之前把报价发给他。"])


@pytest.fixture
async def app(
    sqlite_engine: AsyncEngine, clock: FakeClock, extractor: Extractor, tmp_path: Path, speech: ScriptedSpeech
) -> AsyncIterator[App]:
    app = make_voice_app(sqlite_engine, clock, extractor, tmp_path, speech)
    yield app
    await app.voice.aclose()


async def lines(*items: str) -> AsyncIterator[str]:
    for item in items:
        yield item + "\n"


async def test_voice_command_reads_a_file_on_the_server(
    app: App, speech: ScriptedSpeech, tmp_path: Path
) -> None:
    out: list[str] = []
    chat = ConsoleChat(app, out.append, OPERATOR)

    await chat.run(lines(f"/voice {ZH_CLIP}", "/voice /no/such/file.ogg", "/voice", "1"))

    card = next(text for text in out if text.startswith("🎙 拜访纪要"))
    assert "🏢 客户：美的集团（新客户）" in card
    assert "💰 预算：20万" in card
    assert "  • [我方] 我周五之前把报价发给他（11月27日 周五 09:00）" in card
    assert "回复数字选择：\n  1. 🏢 换客户\n  2. ✏️ 修改\n  3. 🗑 删除纪要" in card
    assert "没有找到文件“/no/such/file.ogg”。" in out
    assert "用法：/voice 文件路径（服务器上的语音或音频文件）" in out
    # "1" picked the first button of the card: the customers to move the minutes to
    assert out[-1].startswith("这次拜访的是哪位客户？")
    assert len(speech.calls) == 1


async def test_voice_is_not_a_command_of_remote_channels(app: App) -> None:
    """A WeChat or Telegram user must not name files on the server: /voice is the console's alone."""
    assert "voice" not in app.command_names()
