"""`chatcrm` as a real process: the console on piped input, Telegram against a fake Bot API server
(stopped with SIGTERM, or killed with SIGKILL and restarted, in the middle of a burst), the CLI
commands."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.support.claim import read_claim_code
from tests.support.fake_telegram import TOKEN, FakeTelegram, message, user
from tests.support.net import free_port

CHATCRM = [sys.executable, "-m", "bot"]
REPO = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WECHAT_", "CHATCRM_"))}
    env.update(CHATCRM_DATA_DIR=str(tmp_path / "data"), CHATCRM_LOG_LEVEL="WARNING", LANG="zh_CN.UTF-8")
    # Nothing here is a voice note: the Whisper model need not load in the background of each run.
    env.update(CHATCRM_WHISPER_PRELOAD="false")
    env.update(extra)
    return env


def _interactions(tmp_path: Path) -> list[str]:
    with sqlite3.connect(tmp_path / "data" / "chatcrm.db") as conn:
        return [row[0] for row in conn.execute("SELECT content FROM interactions ORDER BY id")]


def test_console_reads_a_pasted_chat_from_piped_input(tmp_path: Path) -> None:
    stdin = "张伟: 我是华为技术有限公司的张伟\n张伟: 电话 13812345678，预算50万\n\n/find 华为\n/customer 华为技术有限公司\n"
    done = subprocess.run(
        [*CHATCRM, "run"],
        input=stdin,
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        timeout=120,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "管理员" in out  # the console user founded the team
    assert "新线索" in out and "+86 138 1234 5678" in out and "50万" in out
    assert "找到 1 个客户" in out
    assert "最近往来（共 1 条）" in out
    assert _interactions(tmp_path) == ["张伟: 我是华为技术有限公司的张伟\n张伟: 电话 13812345678，预算50万"]


def test_console_buttons_by_number(tmp_path: Path) -> None:
    stdin = "李雷 13912345678 想了解CRM\n\n1\n"
    done = subprocess.run(
        [*CHATCRM, "run"],
        input=stdin,
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        timeout=120,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "回复数字选择" in done.stdout
    assert "1. ＋客户" in done.stdout
    assert "请输入新的客户" in done.stdout


async def test_telegram_process_finishes_an_acknowledged_burst_on_sigterm(tmp_path: Path) -> None:
    fake = FakeTelegram()
    await fake.start()
    env = _env(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=fake.base_url, CHATCRM_BURST_SECONDS="30")
    process = await asyncio.create_subprocess_exec(
        *CHATCRM, "run", env=env, cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        admin = user(1, "Boss")
        fake.push(message(admin, f"/start {await read_claim_code(process)}", 1))
        await fake.wait_for(lambda: any("管理员" in text for text in fake.sent_texts()), timeout=60)
        fake.push(
            message(admin, "王芳 13911112222 星辰科技有限公司 下周要方案", 2, forward_from=user(9, "王芳"))
        )
        burst_update = fake.updates[-1]["update_id"]
        # Telegram counts an update as delivered once getUpdates is called with a higher offset.
        await fake.wait_for(lambda: fake.acknowledged > burst_update, timeout=30)
        assert not any("新线索" in text for text in fake.sent_texts())  # the burst is still open
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await fake.stop()
    assert process.returncode == 0, stderr.decode()
    assert any("新线索" in text for text in fake.sent_texts())
    assert _interactions(tmp_path) == ["王芳: 王芳 13911112222 星辰科技有限公司 下周要方案"]


async def test_telegram_updates_acknowledged_by_a_process_killed_with_sigkill_are_handled_after_restart(
    tmp_path: Path,
) -> None:
    """kill -9 while a forwarded burst waits in memory: Telegram counts the update as delivered (its
    offset was confirmed), so it must be in the inbox; the restarted process takes it over once the
    dead one's lease ran out and stores and answers it once."""
    fake = FakeTelegram()
    await fake.start()
    base = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": fake.base_url,
        "CHATCRM_INBOX_LEASE_SECONDS": "2",
    }
    first = await asyncio.create_subprocess_exec(
        *CHATCRM,
        "run",
        env=_env(tmp_path, **base, CHATCRM_BURST_SECONDS="30"),
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    second: asyncio.subprocess.Process | None = None
    try:
        admin = user(1, "Boss")
        fake.push(message(admin, f"/start {await read_claim_code(first)}", 1))
        await fake.wait_for(lambda: any("管理员" in text for text in fake.sent_texts()), timeout=60)
        fake.push(
            message(admin, "王芳 13911112222 星辰科技有限公司 下周要方案", 2, forward_from=user(9, "王芳"))
        )
        burst_update = fake.updates[-1]["update_id"]
        await fake.wait_for(lambda: fake.acknowledged > burst_update, timeout=30)
        await asyncio.sleep(0.5)  # the burst is open in the first process's memory
        first.kill()
        await first.wait()
        assert not any("新线索" in text for text in fake.sent_texts())
        assert _interactions(tmp_path) == []

        second = await asyncio.create_subprocess_exec(
            *CHATCRM,
            "run",
            env=_env(tmp_path, **base, CHATCRM_BURST_SECONDS="0.5"),
            cwd=tmp_path,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        await fake.wait_for(lambda: any("新线索" in text for text in fake.sent_texts()), timeout=60)
        await asyncio.sleep(1.0)  # a second answer would come now
        second.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(second.communicate(), timeout=60)
        assert second.returncode == 0, stderr.decode()
    finally:
        for process in (first, second):
            if process is not None and process.returncode is None:
                process.kill()
                await process.wait()
        await fake.stop()
    assert sum("新线索" in text for text in fake.sent_texts()) == 1
    assert _interactions(tmp_path) == ["王芳: 王芳 13911112222 星辰科技有限公司 下周要方案"]


def test_extract_chat_json(tmp_path: Path) -> None:
    chat = tmp_path / "chat.txt"
    chat.write_text(
        "张伟: 我是华为的采购经理张伟，电话 138 1234 5678\n张伟: 预算30到50万，下周三下午3点来公司谈\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [*CHATCRM, "extract", "chat", str(chat), "--json", "--now", "2026-11-23T10:00:00+08:00"],
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    for key in (
        "name",
        "title",
        "company",
        "phones",
        "emails",
        "wechat_id",
        "address",
        "region",
        "website",
        "budget_cny",
        "timeline",
        "next_meeting",
        "needs",
        "commitments",
        "todos",
    ):
        assert key in data
    assert data["name"] == "张伟"
    assert data["phones"] == ["+8613812345678"]
    assert data["budget_cny"] == 500000
    assert data["next_meeting"] == "2026-12-02T15:00:00+08:00"
    assert not (tmp_path / "data").exists()  # extract stores nothing


def test_extract_chat_unreadable_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe\x00binary")
    done = subprocess.run(
        [*CHATCRM, "extract", "chat", str(bad)],
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "cannot read" in done.stderr


def test_help_and_migrate(tmp_path: Path) -> None:
    helped = subprocess.run([*CHATCRM, "--help"], capture_output=True, text=True, timeout=60, check=False)
    assert helped.returncode == 0
    for command in ("run", "migrate", "extract"):
        assert command in helped.stdout
    migrated = subprocess.run(
        [*CHATCRM, "migrate"],
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        timeout=60,
        cwd=tmp_path,
        check=False,
    )
    assert migrated.returncode == 0, migrated.stderr
    assert "database at revision" in migrated.stdout


async def test_telegram_webhook_mode(tmp_path: Path) -> None:
    """TELEGRAM_WEBHOOK_URL: the bot registers the webhook with its secret and answers updates POSTed
    to /telegram; a request without the secret is refused."""
    import aiohttp

    fake = FakeTelegram()
    await fake.start()
    port = free_port()
    env = _env(
        tmp_path,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=fake.base_url,
        TELEGRAM_WEBHOOK_URL="https://bot.example.com/telegram",
        TELEGRAM_WEBHOOK_SECRET="s3cret-token",
        CHATCRM_HTTP_PORT=str(port),
    )
    process = await asyncio.create_subprocess_exec(
        *CHATCRM, "run", env=env, cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    url = f"http://127.0.0.1:{port}/telegram"
    try:
        update = {"update_id": 1, **message(user(1, "Boss"), f"/start {await read_claim_code(process)}", 1)}
        await fake.wait_for(lambda: any(c.method == "setWebhook" for c in fake.calls), timeout=60)
        webhook = next(c for c in fake.calls if c.method == "setWebhook")
        assert webhook.params["url"] == "https://bot.example.com/telegram"
        assert webhook.params["secret_token"] == "s3cret-token"
        async with aiohttp.ClientSession() as session:
            for _ in range(100):  # the server starts right after setWebhook
                try:
                    async with session.post(url, json=update) as refused:
                        assert refused.status == 401
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.1)
            headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}
            async with session.post(url, json=update, headers=headers) as accepted:
                assert accepted.status == 200
        await fake.wait_for(lambda: any("管理员" in text for text in fake.sent_texts()), timeout=30)
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await fake.stop()
    assert process.returncode == 0, stderr.decode()
    assert not any(c.method == "getUpdates" for c in fake.calls)  # no polling beside the webhook
