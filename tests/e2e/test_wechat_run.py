"""`chatcrm run` as a real process with WeChat settings: the callback server on CHATCRM_HTTP_PORT,
replies through the fake WeChat API (WECHAT_API_URL), and SIGTERM finishing acknowledged messages."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.support import wechat as wx
from tests.support.claim import read_claim_code
from tests.support.fake_telegram import TOKEN, FakeTelegram
from tests.support.fake_telegram import message as tg_message
from tests.support.fake_telegram import user as tg_user
from tests.support.fake_wechat import APP_ID, SECRET, FakeWeChat
from tests.support.net import free_port

CHATCRM = [sys.executable, "-m", "bot"]
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
async def fake() -> AsyncIterator[FakeWeChat]:
    server = FakeWeChat()
    await server.start()
    yield server
    await server.stop()


async def test_wechat_process_answers_and_drains_on_sigterm(tmp_path: Path, fake: FakeWeChat) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WECHAT_", "CHATCRM_"))}
    env.update(
        CHATCRM_DATA_DIR=str(tmp_path / "data"),
        CHATCRM_LOG_LEVEL="WARNING",
        CHATCRM_HTTP_PORT=str(port),
        # Nothing here is a voice note: the Whisper model need not load in the background of each run.
        CHATCRM_WHISPER_PRELOAD="false",
        WECHAT_TOKEN=wx.TOKEN,
        WECHAT_AES_KEY=wx.AES_KEY,
        WECHAT_APP_ID=APP_ID,
        WECHAT_SECRET=SECRET,
        WECHAT_API_URL=fake.base_url,
        PYTHONPATH=str(REPO),
    )
    process = await asyncio.create_subprocess_exec(
        *CHATCRM, "run", env=env, cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    url = f"http://127.0.0.1:{port}/wechat"
    envelopes = wx.Envelopes("safe")
    try:
        async with aiohttp.ClientSession() as session:
            query, echo = envelopes.url_check()
            async with asyncio.timeout(90):
                while True:  # until the server listens (migrations and nlu warm-up come first)
                    try:
                        async with session.get(url, params=query) as r:
                            assert await r.text() == echo
                            break
                    except aiohttp.ClientConnectionError:
                        await asyncio.sleep(0.3)

            async def post(xml: str) -> None:
                q, body = envelopes.post(xml)
                async with session.post(url, params=q, data=body.encode()) as r:
                    assert (r.status, await r.text()) == (200, "success")

            # A fresh installation: the founder sends the claim code `chatcrm run` printed.
            await post(wx.text("o-boss", f"/start {await read_claim_code(process)}"))
            await fake.wait_for(lambda: any("管理员" in t for t in fake.texts("o-boss")), timeout=60)
            for i in range(5):
                await post(wx.text("o-boss", f"客户{i}号 1381234567{i} 星河{i}科技有限公司 要报价"))
            process.send_signal(signal.SIGTERM)  # right after the acknowledgements
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, stderr.decode()
    assert sum("新线索" in t for t in fake.texts("o-boss")) == 5
    with sqlite3.connect(tmp_path / "data" / "chatcrm.db") as conn:
        captured = [r[0] for r in conn.execute("SELECT content FROM interactions ORDER BY id")]
    assert len(captured) == 5 and all("科技有限公司" in c for c in captured)


async def test_telegram_and_wechat_in_one_process(tmp_path: Path, fake: FakeWeChat) -> None:
    """Telegram polling beside the WeChat server; a member links WeChat to their Telegram account and
    sees the customers captured on Telegram."""
    telegram = FakeTelegram()
    await telegram.start()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WECHAT_", "CHATCRM_"))}
    env.update(
        CHATCRM_DATA_DIR=str(tmp_path / "data"),
        CHATCRM_LOG_LEVEL="WARNING",
        CHATCRM_HTTP_PORT=str(port),
        # Nothing here is a voice note: the Whisper model need not load in the background of each run.
        CHATCRM_WHISPER_PRELOAD="false",
        CHATCRM_BURST_SECONDS="0.2",
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=telegram.base_url,
        WECHAT_TOKEN=wx.TOKEN,
        WECHAT_AES_KEY=wx.AES_KEY,
        WECHAT_APP_ID=APP_ID,
        WECHAT_SECRET=SECRET,
        WECHAT_API_URL=fake.base_url,
        PYTHONPATH=str(REPO),
    )
    process = await asyncio.create_subprocess_exec(
        *CHATCRM, "run", env=env, cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    envelopes = wx.Envelopes("safe")
    try:
        boss = tg_user(1, "Boss")
        telegram.push(tg_message(boss, f"/start {await read_claim_code(process)}", 1))
        await telegram.wait_for(lambda: any("管理员" in t for t in telegram.sent_texts()), timeout=90)
        telegram.push(tg_message(boss, "冯一 13200006666 青松软件有限公司 要报价", 2))
        telegram.push(tg_message(boss, "/link", 3))
        # the capture and /link run concurrently; search on WeChat only once the lead is saved
        await telegram.wait_for(lambda: any("关联码：" in t for t in telegram.sent_texts()), timeout=30)
        await telegram.wait_for(lambda: any("新线索" in t for t in telegram.sent_texts()), timeout=30)
        reply = next(t for t in telegram.sent_texts() if "关联码：" in t)
        code = reply.split("：", 1)[1].split("（", 1)[0].strip()
        async with aiohttp.ClientSession() as session:

            async def post(xml: str) -> None:
                q, body = envelopes.post(xml)
                async with session.post(f"http://127.0.0.1:{port}/wechat", params=q, data=body.encode()) as r:
                    assert (r.status, await r.text()) == (200, "success")

            await post(wx.text("o-boss", f"/link {code}"))
            await post(wx.text("o-boss", "/find 青松"))
            await fake.wait_for(
                lambda: any("青松软件有限公司" in t for t in fake.texts("o-boss")), timeout=30
            )
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await telegram.stop()
    assert process.returncode == 0, stderr.decode()
    assert "已关联" in fake.texts("o-boss")[0]
