"""Two real `chatcrm run` processes started together on one empty PostgreSQL database behind one
callback URL, one of them killed with SIGKILL half-way: every message acknowledged by either is answered exactly once, and every
reminder that falls due is delivered exactly once.

The kill comes while the fake WeChat API holds the replies unanswered, so the killed process has
messages taken out of the inbox and handled but not answered: they must be handled again by the
survivor once their leases run out. (A process killed between a reply WeChat accepted and the
settlement of its message would have that message answered twice: the documented duplicate window of
at-least-once delivery, which no test can close.)
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import text

from storage.db import create_engine
from tests.support import wechat as wx
from tests.support.claim import CLAIM
from tests.support.fake_wechat import APP_ID, SECRET, FakeWeChat
from tests.support.net import free_port

CHATCRM = [sys.executable, "-m", "bot"]
REPO = Path(__file__).resolve().parents[2]
POSTGRES_URL = os.environ.get("CHATCRM_TEST_POSTGRES_URL")
STRANGERS = 150  # one message each: the onboarding answer
QUERIES = 50  # the founder's searches, one sender's messages in order
CALLS = ("王总", "李总", "赵总")  # names without digits: "1号" would read as a date
REMINDERS = len(CALLS)


async def _admin(statement: str) -> None:
    assert POSTGRES_URL
    engine = create_engine(POSTGRES_URL)
    try:
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    if not POSTGRES_URL:
        pytest.fail("CHATCRM_TEST_POSTGRES_URL is not set: run the suite through `make test` or .ci/run")
    name = f"t_{uuid.uuid4().hex[:12]}"
    await _admin(f'CREATE DATABASE "{name}"')
    try:
        yield f"{POSTGRES_URL.rpartition('/')[0]}/{name}"
    finally:
        await _admin(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture
async def fake() -> AsyncIterator[FakeWeChat]:
    server = FakeWeChat()
    await server.start()
    yield server
    await server.stop()


def base_env(tmp_path: Path, name: str, database: str, port: int) -> dict[str, str]:
    """One process's environment: its own data directory and port on the shared database, short
    leases (the killed process's work is taken over within seconds), no channel set yet."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WECHAT_", "CHATCRM_"))}
    env.update(
        CHATCRM_DATABASE_URL=database,
        CHATCRM_DATA_DIR=str(tmp_path / name),
        CHATCRM_LOG_LEVEL="INFO",
        CHATCRM_HTTP_PORT=str(port),
        CHATCRM_WHISPER_PRELOAD="false",
        CHATCRM_INBOX_LEASE_SECONDS="2",
        CHATCRM_INBOX_POLL_SECONDS="0.2",
        PYTHONPATH=str(REPO),
    )
    return env


def _env(tmp_path: Path, name: str, database: str, port: int, api: str) -> dict[str, str]:
    env = base_env(tmp_path, name, database, port)
    env.update(
        CHATCRM_REMINDER_LEASE_SECONDS="5",
        CHATCRM_REMINDER_POLL_SECONDS="0.5",
        WECHAT_TOKEN=wx.TOKEN,
        WECHAT_AES_KEY=wx.AES_KEY,
        WECHAT_APP_ID=APP_ID,
        WECHAT_SECRET=SECRET,
        WECHAT_API_URL=api,
    )
    return env


async def _start(env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    await asyncio.to_thread(cwd.mkdir, parents=True, exist_ok=True)
    # Output goes to files: a pipe nobody reads while the messages flow would fill and block it.
    with (cwd / "stdout.log").open("wb") as out, (cwd / "stderr.log").open("wb") as log:
        return await asyncio.create_subprocess_exec(*CHATCRM, "run", env=env, cwd=cwd, stdout=out, stderr=log)


async def _claim_code(stdout: Path) -> str:
    """The admin claim code the first process printed on the empty database."""
    async with asyncio.timeout(90):
        while not (found := CLAIM.search(await asyncio.to_thread(stdout.read_text, errors="replace"))):  # noqa: ASYNC110 - a file, polled
            await asyncio.sleep(0.2)
    return found.group(1)


async def _listening(session: aiohttp.ClientSession, url: str, envelopes: wx.Envelopes) -> None:
    query, echo = envelopes.url_check()
    async with asyncio.timeout(120):
        while True:  # until the server listens (migrations and nlu warm-up come first)
            try:
                async with session.get(url, params=query) as r:
                    assert await r.text() == echo
                    return
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.3)


async def _reminders(url: str) -> list[tuple[object, ...]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            query = text("SELECT text, status, due_at, delivered_at, attempts FROM reminders ORDER BY id")
            return [tuple(row) for row in (await conn.execute(query)).all()]
    finally:
        await engine.dispose()


def _counts(fake: FakeWeChat) -> str:
    strangers = sum(1 for s in fake.sent if s.user.startswith("o-s"))
    boss = fake.texts("o-boss")
    queries = sum("没有找到“无此客户" in t for t in boss)
    reminders = sum("⏰ 提醒" in t for t in boss)
    return f"strangers {strangers}, queries {queries}, reminders {reminders}, held {fake.held}"


def _logs(tmp_path: Path) -> str:
    return "\n".join(
        f"--- {name}:\n"
        + "\n".join(
            line
            for line in (tmp_path / name / "stderr.log").read_text(errors="replace").splitlines()
            if "remind" in line or "Error" in line or "WARNING" in line
        )[-6000:]
        for name in ("one", "two")
    )


async def test_two_processes_one_killed_answer_each_message_and_deliver_each_reminder_once(
    tmp_path: Path, postgres_url: str, fake: FakeWeChat
) -> None:
    ports = [free_port(), free_port()]
    urls = [f"http://127.0.0.1:{port}/wechat" for port in ports]
    envelopes = wx.Envelopes("safe")
    processes: list[asyncio.subprocess.Process] = []
    try:
        async with aiohttp.ClientSession() as session:

            async def post(url: str, xml: str) -> None:
                q, body = envelopes.post(xml)
                async with session.post(url, params=q, data=body.encode()) as r:
                    assert (r.status, await r.text()) == (200, "success")

            # Both at once on the empty database: one migrates it while the other waits for the
            # migration lock, then finds it at head.
            for name, port in zip(("one", "two"), ports, strict=True):
                env = _env(tmp_path, name, postgres_url, port, fake.base_url)
                processes.append(await _start(env, tmp_path / name))
            for url in urls:
                await _listening(session, url, envelopes)

            # A fresh installation: the founder sends the claim code the first process printed.
            code = await _claim_code(tmp_path / "one" / "stdout.log")
            await post(urls[1], wx.text("o-boss", f"/start {code}"))
            await fake.wait_for(lambda: any("管理员" in t for t in fake.texts("o-boss")), timeout=60)
            for i in range(REMINDERS):
                await post(urls[i % 2], wx.text("o-boss", f"提醒我{8 + 2 * i}秒后给{CALLS[i]}回电话"))
            await fake.wait_for(
                lambda: sum("已设提醒" in t for t in fake.texts("o-boss")) == REMINDERS, timeout=60
            )

            messages = [(f"o-s{i}", "你好，我想了解一下") for i in range(STRANGERS)]
            messages += [("o-boss", f"/find 无此客户{i}") for i in range(QUERIES)]
            # interleaved: strangers and the founder's searches reach both processes
            order = [messages[i] for i in sorted(range(len(messages)), key=lambda i: (i % 4, i))]
            half = len(order) // 2
            await asyncio.gather(
                *(post(urls[i % 2], wx.text(user, said)) for i, (user, said) in enumerate(order[:half]))
            )
            await fake.wait_for(lambda: len(fake.sent) > 40, timeout=120)
            # The replies wait unanswered; once every worker of the first process waits on one, it dies.
            fake.hold()
            await asyncio.sleep(1.5)
            processes[0].send_signal(signal.SIGKILL)
            await processes[0].wait()
            fake.release()
            # The load balancer now sends everything to the survivor.
            await asyncio.gather(*(post(urls[1], wx.text(user, said)) for user, said in order[half:]))

            def answered() -> bool:
                strangers = sum(1 for s in fake.sent if s.user.startswith("o-s"))
                queries = sum("没有找到“无此客户" in t for t in fake.texts("o-boss"))
                reminders = sum("⏰ 提醒" in t for t in fake.texts("o-boss"))
                return strangers >= STRANGERS and queries >= QUERIES and reminders >= REMINDERS

            try:
                await fake.wait_for(answered, timeout=180)
            except TimeoutError:
                rows = await _reminders(postgres_url)
                pytest.fail(f"not all answered: {_counts(fake)}; {rows}; {fake.texts('o-boss')[:6]}")
            # Anything the killed process held and the survivor took over would show up as a second
            # answer after the leases ran out.
            await asyncio.sleep(6)
            survivor = processes[1]
            survivor.send_signal(signal.SIGTERM)
            await asyncio.wait_for(survivor.wait(), timeout=120)
            assert survivor.returncode == 0, _logs(tmp_path)
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
                await process.wait()

    per_stranger = Counter(s.user for s in fake.sent if s.user.startswith("o-s"))
    assert sorted(per_stranger) == sorted(f"o-s{i}" for i in range(STRANGERS))
    assert set(per_stranger.values()) == {1}, [u for u, n in per_stranger.items() if n > 1]
    boss = fake.texts("o-boss")
    for i in range(QUERIES):
        assert sum(f"没有找到“无此客户{i}”" in t for t in boss) == 1, i
    for i in range(REMINDERS):
        assert sum(t.startswith("⏰ 提醒") and f"给{CALLS[i]}回电话" in t for t in boss) == 1, i
    # The kill met work under way (else this test would prove nothing about taking it over).
    assert fake.dropped > 0
