"""Telegram updates through the durable inbox (bot/telegram_inbox.py): written before Telegram is told
they arrived, handled from the table once (a redelivery, to this process or another), retried when a
handler fails, the sender told once after the last attempt, and taken over from a process that died
(kill -9) when its lease ran out, an open forwarded burst included. Two "processes" are two apps,
dispatchers and runners on two engines of one SQLite file."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiogram.types import Update
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.telegram_inbox import QUEUE, key_of, lane_of
from chat.app import App
from crm.inbox import Inbox
from crm.model import Lang
from nlu.extractor import Extractor
from storage import tables as t
from storage.db import create_engine
from storage.uow import SqlUnitOfWorkFactory
from tests.conftest import FakeClock, make_app
from tests.support.flaky import FlakyDatabase
from tests.support.telegram import callback_update, text_update
from tests.support.telegram_inbox import ADMIN, SECRET, Process, founded, until

HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
FORWARDED = "王芳 13911112222 星辰科技有限公司 下周要方案"


def body(update: Update) -> dict[str, Any]:
    return update.model_dump(mode="json", by_alias=True, exclude_none=True)


async def jobs(engine: AsyncEngine) -> list[tuple[str, str, str, str]]:
    j = t.jobs.c
    async with engine.connect() as conn:
        rows = await conn.execute(select(j.queue, j.lane, j.key, j.status).order_by(j.id))
        return [tuple(row) for row in rows.all()]


async def interactions(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(t.interactions))).scalar_one())


@pytest.fixture
async def second_engine(sqlite_engine: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(str(sqlite_engine.url))
    yield engine
    await engine.dispose()


@pytest.fixture
def other_app(second_engine: AsyncEngine, clock: FakeClock, extractor: Extractor, tmp_path: Path) -> App:
    """The same database seen by a second process."""
    return make_app(second_engine, clock, extractor, tmp_path / "spool2")


def test_an_update_belongs_to_its_chat() -> None:
    assert lane_of(text_update(ADMIN, "/help")) == "100"
    assert lane_of(callback_update(ADMIN, "x")) == "100"
    assert key_of(42, 7) == "telegram:42:7"


async def test_a_webhook_update_is_in_the_inbox_before_it_is_acknowledged(
    app: App, aiohttp_client: Any, sqlite_engine: AsyncEngine
) -> None:
    process = Process(app)
    client = await aiohttp_client(process.web())
    update = text_update(ADMIN, "/start")
    response = await client.post("/telegram", json=body(update), headers=HEADERS)
    assert response.status == 200
    # Acknowledged, not yet handled: the update waits in the table, not in this process's memory.
    assert await jobs(sqlite_engine) == [(QUEUE, "100", key_of(42, update.update_id), "pending")]
    assert process.session.requests == []
    await process.handle_all()
    assert "管理员" in process.session.texts()[-1]
    assert [row[3] for row in await jobs(sqlite_engine)] == ["done"]
    # Telegram did not get our answer and sends the update again: taken, not handled twice.
    again = await client.post("/telegram", json=body(update), headers=HEADERS)
    assert again.status == 200
    await process.handle_all()
    assert len(process.session.sent()) == 1
    assert len(await jobs(sqlite_engine)) == 1


async def test_a_webhook_call_without_the_secret_or_without_an_update_is_refused(
    app: App, aiohttp_client: Any, sqlite_engine: AsyncEngine
) -> None:
    client = await aiohttp_client(Process(app).web())
    update = body(text_update(ADMIN, "/start"))
    assert (await client.post("/telegram", json=update)).status == 401
    wrong = {"X-Telegram-Bot-Api-Secret-Token": "guess"}
    assert (await client.post("/telegram", json=update, headers=wrong)).status == 401
    assert (await client.post("/telegram", data=b"\xff{not json", headers=HEADERS)).status == 400
    assert (await client.post("/telegram", json={"update_id": "x"}, headers=HEADERS)).status == 400
    assert (await client.post("/telegram", json=[1, 2], headers=HEADERS)).status == 400
    assert await jobs(sqlite_engine) == []


async def test_the_webhook_answers_503_while_the_database_cannot_take_the_update(
    app: App, aiohttp_client: Any, sqlite_engine: AsyncEngine, clock: FakeClock
) -> None:
    database = FlakyDatabase(SqlUnitOfWorkFactory(sqlite_engine))
    app.inbox = Inbox(database, clock)
    process = Process(app)
    client = await aiohttp_client(process.web())
    update = body(text_update(ADMIN, "/start"))
    database.down = True
    assert (await client.post("/telegram", json=update, headers=HEADERS)).status == 503
    assert await jobs(sqlite_engine) == []
    database.down = False  # Telegram sends it again
    assert (await client.post("/telegram", json=update, headers=HEADERS)).status == 200
    await process.handle_all()
    assert "管理员" in process.session.texts()[-1]


async def test_long_polling_does_not_go_on_until_the_update_is_written(
    app: App, sqlite_engine: AsyncEngine, clock: FakeClock
) -> None:
    # getUpdates confirms an offset only after the updates before it returned from the dispatcher.
    database = FlakyDatabase(SqlUnitOfWorkFactory(sqlite_engine))
    app.inbox = Inbox(database, clock)
    process = Process(app, polling=True)
    database.down = True
    received = asyncio.create_task(process.receive(text_update(ADMIN, "/start")))
    await asyncio.sleep(0.3)
    assert not received.done()  # still trying: the offset stays unconfirmed
    database.down = False
    await asyncio.wait_for(received, timeout=10)
    assert len(await jobs(sqlite_engine)) == 1
    await process.handle_all()
    assert "管理员" in process.session.texts()[-1]


async def test_an_update_delivered_again_to_another_process_is_handled_once(
    app: App, other_app: App, sqlite_engine: AsyncEngine
) -> None:
    first, second = Process(app), Process(other_app)
    await founded(first)
    asked = text_update(ADMIN, "/reminders")
    await first.receive(asked)
    await first.receive(asked)
    await second.receive(asked)  # the load balancer sent the redelivery to the other process
    await first.handle_all()
    await second.handle_all()
    assert len(first.session.sent()) + len(second.session.sent()) == 1
    # A new update with the same text is a new message, answered.
    await second.receive(text_update(ADMIN, "/reminders"))
    await second.handle_all()
    assert len(first.session.sent()) + len(second.session.sent()) == 2


async def test_an_open_burst_of_a_process_that_died_is_taken_over_and_stored_once(
    app: App, other_app: App, sqlite_engine: AsyncEngine, clock: FakeClock
) -> None:
    # The forwarded messages were acknowledged to Telegram; their process collected them in memory
    # (a burst waits for the conversation to end) and was killed before storing anything.
    dying = Process(app, burst_seconds=30)
    await founded(dying)
    for line in (FORWARDED, "王芳 预算50万"):
        await dying.receive(text_update(ADMIN, line, forward_from="王芳"))
    dying.inbox.start()
    await until(lambda: dying.dp["bursts"].open_bursts == 1)
    await dying.kill()
    assert await interactions(sqlite_engine) == 0

    survivor = Process(other_app)
    async with survivor.running():
        await asyncio.sleep(0.3)
        assert survivor.session.requests == []  # the dead process's leases still hold
        clock.advance(seconds=31)
        await until(lambda: any("新线索" in text for text in survivor.session.texts()))
        await survivor.inbox.runner.idle()
    assert await interactions(sqlite_engine) == 1
    assert sum("新线索" in text for text in survivor.session.texts()) == 1
    assert dying.session.sent() == []  # it showed "typing…", nothing more
    assert {row[3] for row in await jobs(sqlite_engine)} == {"done"}


async def test_a_failing_handler_is_retried_and_the_member_hears_nothing_of_the_failure(
    app: App, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    process = Process(app)
    await founded(process)
    real_text = app.text
    calls: list[str] = []

    async def fails_once(*args: Any, **kwargs: Any) -> Any:
        calls.append("call")
        if len(calls) == 1:
            raise RuntimeError("connection reset")
        return await real_text(*args, **kwargs)

    monkeypatch.setattr(app, "text", fails_once)
    await process.receive(text_update(ADMIN, "提醒我明天给张伟回电话"))
    async with process.running():
        await until(lambda: len(calls) == 1)
        await asyncio.sleep(0.2)
        assert process.session.sent() == []  # no apology: the inbox tries again
        clock.advance(seconds=2)
        await until(lambda: len(process.session.sent()) == 1)
        await process.inbox.runner.idle()
    assert calls == ["call", "call"]
    assert process.session.texts()[0] != app.generic_error(Lang.ZH).text


async def test_a_handler_that_always_fails_gets_one_apology_after_its_last_attempt(
    app: App, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    process = Process(app, max_attempts=3)
    await founded(process)
    attempts: list[int] = []

    async def broken(*args: Any, **kwargs: Any) -> Any:
        attempts.append(1)
        raise RuntimeError("bug")

    monkeypatch.setattr(app, "text", broken)
    await process.receive(text_update(ADMIN, "提醒我明天给张伟回电话"))
    async with process.running():
        for seen in (1, 2, 3):
            await until(functools.partial(lambda times: len(attempts) == times, seen))
            clock.advance(seconds=10)
        await until(lambda: len(process.session.sent()) == 1)
        await process.inbox.runner.idle()
    assert len(attempts) == 3
    assert process.session.texts() == [app.generic_error(Lang.ZH).text]


async def test_an_update_whose_process_died_on_every_attempt_is_answered_that_it_failed(
    app: App, sqlite_engine: AsyncEngine, clock: FakeClock
) -> None:
    process = Process(app, max_attempts=2)
    await founded(process)
    await process.receive(text_update(ADMIN, "提醒我明天给张伟回电话"))
    for _ in range(3):  # claimed by processes that were killed each time
        async with SqlUnitOfWorkFactory(sqlite_engine)() as uow:
            taken = await uow.jobs.claim(
                QUEUE, "dead", clock.now(), clock.now() + timedelta(seconds=30), limit=1
            )
            await uow.commit()
        assert taken
        clock.advance(seconds=31)
    await process.handle_all()
    assert process.session.texts() == [app.unprocessed(Lang.ZH).text]
    assert [row[3] for row in await jobs(sqlite_engine)][-1] == "failed"
    assert await interactions(sqlite_engine) == 0


async def test_a_long_forwarded_chat_is_one_lead_with_every_message(
    app: App, sqlite_engine: AsyncEngine
) -> None:
    # Telegram forwards up to 100 messages in one go, one update each: all wait in the inbox, in one
    # lane, until the burst they make is stored.
    process = Process(app, burst_seconds=2)
    await founded(process)
    lines = [
        f"王芳: 第{i}条 {'13911112222 星辰科技有限公司' if i == 0 else '下周要方案'}" for i in range(120)
    ]
    for line in lines:
        await process.receive(text_update(ADMIN, line.split(": ", 1)[1], forward_from="王芳"))
    await process.handle_all()
    async with sqlite_engine.connect() as conn:
        (content,) = (await conn.execute(select(t.interactions.c.content))).scalars().all()
    assert content.splitlines() == lines
    assert sum("新线索" in text for text in process.session.texts()) == 1
    assert {row[3] for row in await jobs(sqlite_engine)} == {"done"}
