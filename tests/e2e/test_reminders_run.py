"""`chatcrm run` on the console as a real process: a reminder typed on standard input falls due during
the run, the scheduler prints it with its buttons, and a number typed back marks it done."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

CHATCRM = [sys.executable, "-m", "bot"]


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WECHAT_", "CHATCRM_"))}
    env.update(
        CHATCRM_DATA_DIR=str(tmp_path / "data"),
        CHATCRM_LOG_LEVEL="WARNING",
        CHATCRM_REMINDER_POLL_SECONDS="0.5",
        # Nothing here is a voice note: the Whisper model need not load in the background of each run.
        CHATCRM_WHISPER_PRELOAD="false",
        LANG="zh_CN.UTF-8",
    )
    return env


async def test_console_run_delivers_a_reminder_that_falls_due_during_the_run(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        *CHATCRM,
        "run",
        env=_env(tmp_path),
        cwd=tmp_path,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdin is not None and process.stdout is not None
    seen: list[str] = []

    async def read_until(text: str) -> None:
        assert process.stdout is not None
        while not any(text in line for line in seen):
            line = await process.stdout.readline()
            assert line, f"chatcrm ended before printing {text!r}: {''.join(seen)}"
            seen.append(line.decode())

    try:
        process.stdin.write("提醒我10秒后给王总回电话\n\n".encode())
        await process.stdin.drain()
        await asyncio.wait_for(read_until("⏰ 已设提醒："), timeout=120)
        assert any("给王总回电话" in line for line in seen if "⏰ 已设提醒：" in line)
        # Nothing more is typed: the scheduler prints the reminder when it falls due.
        await asyncio.wait_for(read_until("⏰ 提醒：给王总回电话"), timeout=60)
        await asyncio.wait_for(read_until("4. 🗓 选时间"), timeout=10)
        # Answered at once: the delivery may not be recorded yet, and both must be kept.
        process.stdin.write(b"1\n")
        await process.stdin.drain()
        await asyncio.wait_for(read_until("✅ 已完成：给王总回电话"), timeout=30)
        process.stdin.close()
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, stderr.decode()
    with sqlite3.connect(tmp_path / "data" / "chatcrm.db") as conn:
        rows = conn.execute("SELECT text, status, delivered_at IS NOT NULL FROM reminders").fetchall()
    assert rows == [("给王总回电话", "done", 1)]

    # `chatcrm reminders list`: nothing open any more; --all shows the done one, in the member's time.
    def listing(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*CHATCRM, "reminders", "list", *args],
            capture_output=True,
            text=True,
            env=_env(tmp_path),
            cwd=tmp_path,
            timeout=60,
            check=False,
        )

    open_ = listing()
    assert open_.returncode == 0, open_.stderr
    assert open_.stdout.strip() == "no reminders"
    everything = listing("--all", "--json")
    assert everything.returncode == 0, everything.stderr
    (row,) = json.loads(everything.stdout)
    assert (row["kind"], row["text"], row["status"], row["overdue"], row["timezone"]) == (
        "ask",
        "给王总回电话",
        "done",
        False,
        "Asia/Shanghai",
    )
    assert row["due_local"].endswith("+08:00") and row["due_utc"].endswith("+00:00")
    table = listing("--all", "--member", str(row["member_id"]))
    assert table.stdout.splitlines()[0].split() == [
        "ID",
        "MEMBER",
        "KIND",
        "DUE",
        "(member's",
        "time)",
        "STATUS",
        "OVERDUE",
        "TEXT",
    ]
    assert "给王总回电话" in table.stdout.splitlines()[1]
