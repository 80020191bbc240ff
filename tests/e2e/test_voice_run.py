"""`chatcrm run` as a real process with the real Whisper model: a Telegram voice message, downloaded
from the fake Bot API server over HTTP, comes back as the minutes card."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.claim import read_claim_code
from tests.support.fake_telegram import TOKEN, FakeTelegram, message, user
from tests.support.voice import MODEL, ZH_CLIP

pytestmark = pytest.mark.slow

CHATCRM = [sys.executable, "-m", "bot"]


def _env(tmp_path: Path, base_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WECHAT_", "CHATCRM_"))}
    env.update(
        CHATCRM_DATA_DIR=str(tmp_path / "data"),
        CHATCRM_LOG_LEVEL="WARNING",
        CHATCRM_WHISPER_MODEL=str(MODEL),
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=base_url,
        LANG="zh_CN.UTF-8",
    )
    return env


def voice_message(sender: dict[str, Any], file_id: str, size: int, message_id: int) -> dict[str, Any]:
    return {
        "message": {
            "message_id": message_id,
            "date": 1_790_000_000,
            "chat": {"id": sender["id"], "type": "private"},
            "from": sender,
            "voice": {
                "file_id": file_id,
                "file_unique_id": file_id,
                "duration": 8,
                "mime_type": "audio/ogg",
                "file_size": size,
            },
        }
    }


async def test_telegram_voice_message_becomes_minutes(tmp_path: Path) -> None:
    fake = FakeTelegram()
    await fake.start()
    fake.files["voice-1"] = ZH_CLIP.read_bytes()
    process = await asyncio.create_subprocess_exec(
        *CHATCRM,
        "run",
        env=_env(tmp_path, fake.base_url),
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        admin = user(1, "Boss")
        fake.push(message(admin, f"/start {await read_claim_code(process)}", 1))
        await fake.wait_for(lambda: any("管理员" in text for text in fake.sent_texts()), timeout=60)
        fake.push(voice_message(admin, "voice-1", len(fake.files["voice-1"]), 2))
        await fake.wait_for(lambda: any("🎙 拜访纪要" in text for text in fake.sent_texts()), timeout=120)
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await fake.stop()
    assert process.returncode == 0, stderr.decode()
    card = next(text for text in fake.sent_texts() if "🎙 拜访纪要" in text)
    assert "这个项目的负责人是陈先生" in card
    assert any(c.method == "sendChatAction" and c.params.get("action") == "record_voice" for c in fake.calls)
    with sqlite3.connect(tmp_path / "data" / "chatcrm.db") as conn:
        (content, key) = conn.execute(
            "SELECT content, external_key FROM interactions WHERE source = 'voice'"
        ).fetchone()
    assert "陈先生" in content and key == "tg:1:2"
    assert list((tmp_path / "data" / "files").rglob("*.ogg"))
