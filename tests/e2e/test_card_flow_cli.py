"""Cards from the command line: `chatcrm extract card IMAGE --json` as a real process, and the console
chat's /card PATH [PATH2] (real tesseract on generated cards)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from crm.facts import CARD_FIELDS
from handlers.console.chat import ConsoleChat
from nlu.extractor import Extractor
from storage import tables as t
from tests.conftest import FakeClock, person
from tests.support.card_flow import BILINGUAL_CARD, EN_CARD, card, card_app, count, photo, picture

CHATCRM = [sys.executable, "-m", "bot"]


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WECHAT_", "CHATCRM_"))}
    env.update(CHATCRM_DATA_DIR=str(tmp_path / "data"), CHATCRM_LOG_LEVEL="WARNING")
    return env


def test_extract_card_json_has_every_field_and_a_confidence_for_each(tmp_path: Path) -> None:
    image = tmp_path / "card.jpg"
    image.write_bytes(photo(EN_CARD))
    done = subprocess.run(
        [*CHATCRM, "extract", "card", str(image), "--json"],
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        timeout=120,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert set(data) >= {*CARD_FIELDS, "raw_text", "confidence"}
    assert set(data["confidence"]) == set(CARD_FIELDS)
    truth = card(EN_CARD).truth
    assert data["mobile"] == truth.mobile and data["emails"] == list(truth.emails)
    assert data["wechat_id"] == truth.wechat_id and data["phones"] == list(truth.phones)
    assert data["fax"] is None and data["confidence"]["fax"] is None  # not on this card
    assert all(0 < data["confidence"][name] <= 1 for name in ("name", "mobile", "emails", "wechat_id"))
    assert truth.wechat_id in data["raw_text"]
    assert not (tmp_path / "data").exists()  # extract stores nothing


def test_extract_card_refuses_a_blank_picture(tmp_path: Path) -> None:
    image = tmp_path / "white.jpg"
    image.write_bytes(picture("white"))
    done = subprocess.run(
        [*CHATCRM, "extract", "card", str(image)],
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        timeout=120,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 1
    assert "almost blank" in done.stderr and "good light, card flat, in focus" in done.stderr
    assert done.stdout == ""


async def _lines(*lines: str) -> AsyncIterator[str]:
    for line in lines:
        yield line + "\n"


async def test_console_card_command_reads_front_and_back(
    sqlite_engine: AsyncEngine, clock: FakeClock, extractor: Extractor, tmp_path: Path
) -> None:
    app, _ = card_app(sqlite_engine, clock, extractor, tmp_path)
    front, back = tmp_path / "front.jpg", tmp_path / "back.jpg"
    front.write_bytes(photo(BILINGUAL_CARD, 0))
    back.write_bytes(photo(BILINGUAL_CARD, 1))
    out: list[str] = []
    chat = ConsoleChat(app, out.append, person("console", "Ops"))

    await chat.run(_lines(f"/card {front} {back}", "/card", f"/card {tmp_path / 'missing.jpg'}", "1"))

    card_text, usage, missing, confirmed = out[-4:]
    assert card_text.startswith("📇 名片已识别，新联系人已保存（正反两面）")
    assert "回复数字选择" in card_text  # numbered buttons on a text channel
    assert usage == "用法：/card 图片路径 [背面图片路径]"
    assert missing == f"没有找到文件“{tmp_path / 'missing.jpg'}”。"
    # "1" picked the card's first button: fix its least sure field, or a follow-up status.
    assert "请输入正确的" in confirmed or "已联系" in confirmed
    assert await count(sqlite_engine, t.contacts) == 1 and await count(sqlite_engine, t.files) == 2
