"""Reminders end to end on real databases: the scheduler with a FakeClock and a recording notifier
(delivery, timing, quiet hours, overdue, restarts, two processes, crashes, failed sends), the buttons
of a delivered reminder, /reminders and /settings, and the confirmation of a typed reminder."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from chat.app import App
from chat.delivery import ChannelNotifier
from chat.reminders.controller import PICK_KIND
from chat.views import Act, Reply
from crm.errors import DeliveryFailed, InputRejected, NotFound
from crm.inputs import ChatMessage
from crm.model import Channel, Identity, Lang, Member, Reminder, ReminderKind
from nlu.extractor import Extractor
from reminders.scheduler import ReminderScheduler, SchedulerConfig
from storage import tables as t
from storage.db import create_engine
from storage.migrate import upgrade
from tests.conftest import FakeClock, Team, make_app, person

SHANGHAI = ZoneInfo("Asia/Shanghai")
CHAT = [
    ChatMessage("我是华为技术有限公司的张伟，电话 13812345678", sender="张伟", key="c1"),
    ChatMessage("预算50万，下个月上线", sender="张伟", key="c2"),
]


def local(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


class RecordingNotifier:
    """chat.ports.Notifier that keeps what it was asked to send; `fail` makes the next sends refuse."""

    def __init__(self, fail: int = 0, seconds: float = 0.0) -> None:
        self.sent: list[tuple[Identity, Reply]] = []
        self.refused = 0
        self.fail = fail
        self.seconds = seconds

    async def send(self, identity: Identity, reply: Reply) -> None:
        await asyncio.sleep(self.seconds)  # a real send takes a while; another process runs meanwhile
        if self.fail:
            self.fail -= 1
            self.refused += 1
            raise DeliveryFailed("refused")
        self.sent.append((identity, reply))

    def texts(self) -> list[str]:
        return [reply.text for _, reply in self.sent]


def scheduler(
    app: App, notifier: RecordingNotifier | ChannelNotifier, clock: FakeClock, **config: float
) -> ReminderScheduler:
    return ReminderScheduler(app.reminders, notifier, clock, SchedulerConfig(**config))  # type: ignore[arg-type]


async def stored(engine: AsyncEngine, reminder_id: int) -> dict[str, object]:
    async with engine.connect() as conn:
        row = (
            (await conn.execute(select(t.reminders).where(t.reminders.c.id == reminder_id))).mappings().one()
        )
    return dict(row)


async def add(app: App, member: Member, due: datetime, text: str = "给他回电话") -> Reminder:
    return await app.reminders.add(member, ReminderKind.ASK, text, due)


# --- delivery ---------------------------------------------------------------------------------


async def test_a_due_reminder_is_delivered_once_with_its_buttons(
    app: App, team: Team, clock: FakeClock, sqlite_engine: AsyncEngine
) -> None:
    reminder = await add(app, team.rep, local(23, 10, 10))
    notifier = RecordingNotifier()
    runner = scheduler(app, notifier, clock)

    clock.advance(minutes=9, seconds=59)
    assert await runner.tick() == 0  # not before it is due
    assert notifier.sent == []

    clock.advance(seconds=1)
    assert await runner.tick() == 1
    identity, reply = notifier.sent[0]
    assert identity.channel is Channel.TELEGRAM and identity.external_id == "3"  # the rep's own chat
    assert reply.text.splitlines() == ["⏰ 提醒：给他回电话", "🕘 11月23日 周一 10:10"]
    assert [(b.act, b.target, b.arg) for b in reply.all_buttons()] == [
        (Act.REMINDER_DONE, reminder.id, ""),
        (Act.REMINDER_SNOOZE, reminder.id, "1h"),
        (Act.REMINDER_SNOOZE, reminder.id, "tomorrow"),
        (Act.REMINDER_PICK, reminder.id, ""),
    ]
    row = await stored(sqlite_engine, reminder.id)
    assert (
        row["status"] == "delivered" and row["claimed_until"] is None and row["delivered_at"] == clock.now()
    )

    clock.advance(hours=3)
    assert await runner.tick() == 0  # delivered is delivered
    assert len(notifier.sent) == 1


async def test_the_reminder_names_the_customer_in_the_members_language_and_timezone(
    app: App, team: Team, clock: FakeClock
) -> None:
    await app.capture.chat(team.rep, CHAT)
    clock.advance(minutes=5)
    await app.command(team.rep, "lang", "en")
    rep = await app.members.set_preferences(team.rep, timezone="Europe/Berlin")
    typed = await app.text(rep, "remind me Friday to call him back")
    assert "⏰ Reminder set: Fri 27 Nov 09:00 call him back" in typed.text

    notifier = RecordingNotifier()
    clock.moment = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
    assert await scheduler(app, notifier, clock).tick() == 1
    assert notifier.texts() == ["⏰ Reminder: call him back\n🏢 华为技术有限公司\n🕘 Fri 27 Nov 09:00"]


async def test_quiet_hours_and_weekends_move_the_delivery(app: App, team: Team, clock: FakeClock) -> None:
    rep = await app.members.set_preferences(team.rep, quiet=(time(21), time(8)), weekend_to_monday=True)
    late_evening = await add(app, rep, local(23, 22, 30), "发报价")
    saturday = await add(app, rep, local(28, 11), "看展会资料")
    assert late_evening.due_at == local(24, 8)
    assert saturday.due_at == local(30, 9)

    notifier = RecordingNotifier()
    runner = scheduler(app, notifier, clock)
    clock.moment = local(23, 22, 30).astimezone(UTC)
    assert await runner.tick() == 0  # quiet hours
    clock.moment = local(24, 8).astimezone(UTC)
    assert await runner.tick() == 1
    clock.moment = local(28, 11).astimezone(UTC)
    assert await runner.tick() == 0  # Saturday
    clock.moment = local(30, 9).astimezone(UTC)
    assert await runner.tick() == 1
    assert [text.splitlines()[0] for text in notifier.texts()] == ["⏰ 提醒：发报价", "⏰ 提醒：看展会资料"]


async def test_reminders_due_while_nothing_ran_go_out_at_start_marked_overdue(
    app: App, team: Team, clock: FakeClock
) -> None:
    await add(app, team.rep, local(23, 11), "发合同")
    await add(app, team.rep, local(23, 12, 30), "确认报价")
    clock.moment = local(23, 13, 5).astimezone(UTC)  # the bot was down from 10:00 to 13:05
    notifier = RecordingNotifier()
    assert await scheduler(app, notifier, clock).tick() == 2
    assert [text.splitlines()[0] for text in notifier.texts()] == [
        "⏰ 提醒（已过期 2 小时 5 分钟）：发合同",
        "⏰ 提醒（已过期 35 分钟）：确认报价",
    ]


async def test_reminders_survive_a_restart(tmp_path: Path, clock: FakeClock, extractor: Extractor) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'chatcrm.db'}"
    await upgrade(url)
    engine = create_engine(url)
    first = make_app(engine, clock, extractor, tmp_path / "spool")
    admin = (await first.members.start(person("1", "Boss"), None)).member
    assert admin is not None
    await first.text(admin, "提醒我明天下午3点发合同")
    await first.reminders.add(admin, ReminderKind.TODO, "整理名片", local(23, 10, 30))
    await engine.dispose()  # the process stops

    clock.moment = local(24, 15).astimezone(UTC)
    engine = create_engine(url)
    try:
        second = make_app(engine, clock, extractor, tmp_path / "spool")
        notifier = RecordingNotifier()
        assert await scheduler(second, notifier, clock).tick() == 2
    finally:
        await engine.dispose()
    assert [text.splitlines()[0] for text in notifier.texts()] == [
        "⏰ 提醒（已过期 28 小时 30 分钟）：整理名片",
        "⏰ 提醒：发合同",
    ]


async def test_two_schedulers_on_two_engines_deliver_each_reminder_once(
    database_url: str, clock: FakeClock, extractor: Extractor, tmp_path: Path
) -> None:
    """Two engines on one database stand for two processes (SQLite file, and PostgreSQL)."""
    await upgrade(database_url)
    engines = [create_engine(database_url), create_engine(database_url)]
    try:
        apps = [
            make_app(engine, clock, extractor, tmp_path / f"spool{i}") for i, engine in enumerate(engines)
        ]
        admin = (await apps[0].members.start(person("1", "Boss"), None)).member
        assert admin is not None
        for i in range(60):
            await add(apps[0], admin, local(23, 10) + timedelta(seconds=i), f"r{i}")
        clock.advance(minutes=2)
        notifiers = [RecordingNotifier(seconds=0.002), RecordingNotifier(seconds=0.002)]
        runners = [scheduler(a, n, clock, batch=7) for a, n in zip(apps, notifiers, strict=True)]
        counts = await asyncio.gather(*(runner.tick() for runner in runners))
        # nothing is left for another round, by either process
        assert await asyncio.gather(*(runner.tick() for runner in runners)) == [0, 0]
    finally:
        for engine in engines:
            await engine.dispose()
    texts = notifiers[0].texts() + notifiers[1].texts()
    assert sum(counts) == 60
    assert len(texts) == 60  # each sent once ...
    assert sorted(text.splitlines()[0].rsplit("：", 1)[1] for text in texts) == sorted(
        f"r{i}" for i in range(60)
    )


async def test_a_claim_abandoned_by_a_crash_is_delivered_after_its_lease(
    app: App, team: Team, clock: FakeClock, sqlite_engine: AsyncEngine
) -> None:
    reminder = await add(app, team.rep, local(23, 10, 5))
    clock.advance(minutes=5)
    # A process claims it and dies before sending.
    claimed = await app.reminders.claim(clock.now(), timedelta(seconds=120), limit=10)
    assert [item.reminder.id for item in claimed] == [reminder.id]

    notifier = RecordingNotifier()
    runner = scheduler(app, notifier, clock, lease_seconds=120)
    clock.advance(seconds=119)
    assert await runner.tick() == 0  # the lease still holds
    clock.advance(seconds=2)
    assert await runner.tick() == 1
    assert len(notifier.sent) == 1
    row = await stored(sqlite_engine, reminder.id)
    assert row["status"] == "delivered" and row["attempts"] == 2


class PressingDone(RecordingNotifier):
    """The rep presses "done" on the reminder as soon as it arrives, before the send returns to the
    scheduler (a fast rep, or a paused process between sending and recording)."""

    def __init__(self, app: App, rep: Member) -> None:
        super().__init__()
        self.app, self.rep = app, rep

    async def send(self, identity: Identity, reply: Reply) -> None:
        await super().send(identity, reply)
        (done,) = [b for b in reply.all_buttons() if b.act is Act.REMINDER_DONE]
        await self.app.reminders.done(self.rep, done.target)


async def test_done_pressed_before_the_delivery_was_recorded_keeps_both(
    app: App, team: Team, clock: FakeClock, sqlite_engine: AsyncEngine
) -> None:
    reminder = await add(app, team.rep, local(23, 10))
    notifier = PressingDone(app, team.rep)
    assert await scheduler(app, notifier, clock).tick() == 1
    row = await stored(sqlite_engine, reminder.id)
    assert row["status"] == "done" and row["delivered_at"] == clock.now() and row["claimed_until"] is None
    clock.advance(hours=3)
    assert await scheduler(app, RecordingNotifier(), clock).tick() == 0  # done is done


class Gated(RecordingNotifier):
    """Sends at once, except the reminder whose text is `slow`: that one waits for `gate`."""

    def __init__(self, slow: str) -> None:
        super().__init__()
        self.slow = slow
        self.gate = asyncio.Event()

    async def send(self, identity: Identity, reply: Reply) -> None:
        if self.slow in reply.text:
            await self.gate.wait()
        await super().send(identity, reply)


async def test_each_reminder_is_settled_as_soon_as_it_is_sent_and_a_slow_send_keeps_its_lease(
    app: App, team: Team, clock: FakeClock, sqlite_engine: AsyncEngine
) -> None:
    fast = await add(app, team.rep, local(23, 10), "快的")
    slow = await add(app, team.rep, local(23, 10), "慢的")
    notifier = Gated("慢的")
    runner = scheduler(app, notifier, clock, lease_seconds=0.3)
    tick = asyncio.create_task(runner.tick())
    try:
        async with asyncio.timeout(30):
            while (await stored(sqlite_engine, fast.id))["status"] != "delivered":  # noqa: ASYNC110 - a row, polled
                await asyncio.sleep(0.01)
        # The fast one is recorded while the slow one is still on its way.
        assert (await stored(sqlite_engine, slow.id))["status"] == "pending"
        # The slow send outlasts several leases; the renewed claim keeps a second process off it.
        for _ in range(4):
            before = (await stored(sqlite_engine, slow.id))["claimed_until"]
            clock.advance(seconds=0.2)
            async with asyncio.timeout(30):
                while (await stored(sqlite_engine, slow.id))["claimed_until"] == before:  # noqa: ASYNC110
                    await asyncio.sleep(0.01)
            other = RecordingNotifier()
            assert await scheduler(app, other, clock).tick() == 0 and other.sent == []
        notifier.gate.set()
        assert await tick == 2
    finally:
        notifier.gate.set()
        tick.cancel()
    assert (await stored(sqlite_engine, slow.id))["status"] == "delivered"
    assert len(notifier.sent) == 2


async def test_a_refused_send_is_retried_with_backoff_and_given_up_after_the_last_attempt(
    app: App, team: Team, clock: FakeClock, sqlite_engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    reminder = await add(app, team.rep, local(23, 10))
    notifier = RecordingNotifier(fail=100)
    runner = scheduler(app, notifier, clock, retry_seconds=30, max_attempts=3)

    assert await runner.tick() == 0
    assert notifier.refused == 1
    row = await stored(sqlite_engine, reminder.id)
    assert row["status"] == "pending" and row["claimed_until"] == clock.now() + timedelta(seconds=30)
    assert await app.reminders.next_due_at() == clock.now() + timedelta(seconds=30)

    clock.advance(seconds=29)
    await runner.tick()
    assert notifier.refused == 1  # still waiting
    clock.advance(seconds=2)
    await runner.tick()
    assert notifier.refused == 2  # second attempt; the next wait doubles
    clock.advance(seconds=59)
    await runner.tick()
    assert notifier.refused == 2
    clock.advance(seconds=2)
    with caplog.at_level(logging.WARNING, logger="reminders.scheduler"):
        await runner.tick()
    assert notifier.refused == 3
    assert f"reminder {reminder.id} for member {team.rep.id} given up after 3 attempts" in caplog.text
    row = await stored(sqlite_engine, reminder.id)
    assert row["status"] == "cancelled" and row["claimed_until"] is None
    async with sqlite_engine.connect() as conn:
        actions = (
            await conn.execute(select(t.audit.c.action).where(t.audit.c.target_type == "reminder"))
        ).scalars()
        assert list(actions) == ["reminder.gave_up"]
    clock.advance(hours=5)
    await runner.tick()
    assert notifier.refused == 3 and notifier.sent == []
    assert await app.reminders.next_due_at() is None


async def test_a_send_refused_once_is_delivered_on_the_retry(app: App, team: Team, clock: FakeClock) -> None:
    await add(app, team.rep, local(23, 10))
    notifier = RecordingNotifier(fail=1)
    runner = scheduler(app, notifier, clock, retry_seconds=30)
    assert await runner.tick() == 0
    clock.advance(seconds=31)
    assert await runner.tick() == 1
    assert notifier.texts()[0].startswith("⏰ 提醒：给他回电话")  # 31 s late is not "overdue"


async def test_the_reminder_goes_to_a_channel_this_process_runs(
    app: App, team: Team, clock: FakeClock
) -> None:
    await app.members.link(team.rep, Channel.CONSOLE, "li", "li")
    await add(app, team.rep, local(23, 10))
    console = RecordingNotifier()
    channels = ChannelNotifier()
    channels.register(Channel.CONSOLE, console)  # no Telegram in this process
    assert await scheduler(app, channels, clock).tick() == 1
    assert [identity.channel for identity, _ in console.sent] == [Channel.CONSOLE]


async def test_the_scheduler_wakes_early_for_a_reminder_due_sooner(
    app: App, team: Team, clock: FakeClock
) -> None:
    notifier = RecordingNotifier()
    runner = scheduler(app, notifier, clock, poll_seconds=3600)  # only the wake-up can make it look
    task = asyncio.create_task(runner.run())
    try:
        await asyncio.sleep(0.05)  # it is asleep now, planning to look again in an hour
        await add(app, team.rep, clock.now(), "马上回电话")
        for _ in range(200):
            if notifier.sent:
                break
            await asyncio.sleep(0.01)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert notifier.texts() == ["⏰ 提醒：马上回电话\n🕘 11月23日 周一 10:00"]


async def test_nothing_is_claimed_before_a_channel_is_up(app: App, team: Team, clock: FakeClock) -> None:
    await add(app, team.rep, local(23, 10))
    channels = ChannelNotifier()
    console = RecordingNotifier()
    await app.members.link(team.rep, Channel.CONSOLE, "li", "li")
    runner = ReminderScheduler(
        app.reminders,
        channels,
        clock,
        SchedulerConfig(poll_seconds=0.01),
        ready=lambda: bool(channels.channels()),
    )
    task = asyncio.create_task(runner.run())
    try:
        await asyncio.sleep(0.1)  # several polls with no channel: the reminder stays unclaimed
        assert (await app.reminders.get_open(team.rep, 1)).attempts == 0
        channels.register(Channel.CONSOLE, console)
        for _ in range(200):
            if console.sent:
                break
            await asyncio.sleep(0.01)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert console.texts() == ["⏰ 提醒：给他回电话\n🕘 11月23日 周一 10:00"]


# --- the buttons ------------------------------------------------------------------------------


async def deliver(
    app: App, clock: FakeClock, member: Member, due: datetime, text: str = "给他回电话"
) -> Reminder:
    reminder = await add(app, member, due, text)
    clock.moment = max(clock.moment, due.astimezone(UTC))
    assert await scheduler(app, RecordingNotifier(), clock).tick() == 1
    return reminder


async def test_done(app: App, team: Team, clock: FakeClock, sqlite_engine: AsyncEngine) -> None:
    reminder = await deliver(app, clock, team.rep, local(23, 10))
    reply = await app.press(team.rep, Act.REMINDER_DONE, reminder.id, "")
    assert reply.text == "✅ 已完成：给他回电话" and reply.replace and not reply.buttons
    assert (await stored(sqlite_engine, reminder.id))["status"] == "done"
    with pytest.raises(NotFound) as again:  # pressed again, on another device say
        await app.press(team.rep, Act.REMINDER_DONE, reminder.id, "")
    assert app.error(Lang.ZH, again.value).text == "这条提醒已经完成或取消了。"
    with pytest.raises(NotFound):
        await app.reminders.done(team.rep2, reminder.id)  # not theirs


async def test_done_closes_the_commitment_it_reminds_of(app: App, team: Team, clock: FakeClock) -> None:
    result = await app.capture.chat(
        team.rep,
        [
            ChatMessage("我是华为的张伟，电话13812345678", sender="张伟", key="k1"),
            ChatMessage("好的，我们周五前把报价发给您", from_self=True, key="k2"),
        ],
    )
    assert result.customer is not None
    before = await app.customers.card(team.rep, result.customer.id)
    assert not isinstance(before, list) and [c.text for c in before.commitments] == ["我们周五前把报价发给您"]
    reminder = next(r for r in result.reminders if r.commitment_id is not None)
    await app.press(team.rep, Act.REMINDER_DONE, reminder.id, "")
    card = await app.customers.card(team.rep, result.customer.id)
    assert not isinstance(card, list) and card.commitments == []


async def test_snooze_an_hour_and_get_it_again(
    app: App, team: Team, clock: FakeClock, sqlite_engine: AsyncEngine
) -> None:
    reminder = await deliver(app, clock, team.rep, local(23, 10))
    reply = await app.press(team.rep, Act.REMINDER_SNOOZE, reminder.id, "1h")
    assert reply.text == "⏰ 已改到 11月23日 周一 11:00：给他回电话" and reply.replace
    row = await stored(sqlite_engine, reminder.id)
    assert (row["status"], row["claimed_until"], row["attempts"], row["delivered_at"]) == (
        "pending",
        None,
        0,
        None,
    )

    notifier = RecordingNotifier()
    runner = scheduler(app, notifier, clock)
    clock.advance(minutes=59)
    assert await runner.tick() == 0
    clock.advance(minutes=1)
    assert await runner.tick() == 1
    assert notifier.texts()[0].startswith("⏰ 提醒：给他回电话")


async def test_tomorrow_is_nine_in_the_members_timezone_after_their_quiet_hours(
    app: App, team: Team, clock: FakeClock
) -> None:
    reminder = await deliver(app, clock, team.rep, local(23, 10))
    reply = await app.press(team.rep, Act.REMINDER_SNOOZE, reminder.id, "tomorrow")
    assert reply.text == "⏰ 已改到 11月24日 周二 09:00：给他回电话"

    rep = await app.members.set_preferences(team.rep, quiet=(time(22), time(10)), timezone="Asia/Tokyo")
    reply = await app.press(rep, Act.REMINDER_SNOOZE, reminder.id, "tomorrow")
    assert reply.text.splitlines() == [
        "⏰ 已改到 11月24日 周二 10:00：给他回电话",
        "（已避开你的免打扰时段 / 周末设置）",
    ]
    assert (await app.reminders.get_open(rep, reminder.id)).due_at == datetime(2026, 11, 24, 1, 0, tzinfo=UTC)

    rep = await app.members.set_preferences(rep, quiet=None, weekend_to_monday=True, timezone="Asia/Shanghai")
    clock.moment = local(27, 18).astimezone(UTC)  # Friday evening: tomorrow is Saturday
    reply = await app.press(rep, Act.REMINDER_SNOOZE, reminder.id, "tomorrow")
    assert reply.text.splitlines()[0] == "⏰ 已改到 11月30日 周一 09:00：给他回电话"


async def test_pick_a_time_with_a_typed_answer(app: App, team: Team, clock: FakeClock) -> None:
    reminder = await deliver(app, clock, team.rep, local(23, 10))
    prompt = await app.press(team.rep, Act.REMINDER_PICK, reminder.id, "")
    assert prompt.text.startswith("什么时候再提醒你？")
    assert team.rep.awaiting is not None and team.rep.awaiting["kind"] == PICK_KIND

    with pytest.raises(InputRejected) as unreadable:
        await app.text(team.rep, "随便吧")
    assert app.error(Lang.ZH, unreadable.value).text.startswith("没看懂“随便吧”是什么时间")
    with pytest.raises(InputRejected) as past:
        await app.text(team.rep, "今天上午9点")
    assert app.error(Lang.ZH, past.value).text == "11月23日 周一 09:00 已经过去了，请给一个以后的时间。"
    assert team.rep.awaiting is not None  # still waiting for a usable answer

    reply = await app.text(team.rep, "明天下午3点")
    assert reply.text == "⏰ 已改到 11月24日 周二 15:00：给他回电话"
    assert team.rep.awaiting is None
    assert (await app.reminders.get_open(team.rep, reminder.id)).due_at == local(24, 15)


@pytest.mark.parametrize(
    ("answer", "due"),
    [
        ("周五", local(27, 9)),
        ("in 2 hours", local(23, 12)),
        ("11月30日 10:00", local(30, 10)),
        ("下周一上午10点", local(30, 10)),
    ],
)
async def test_typed_times(app: App, team: Team, clock: FakeClock, answer: str, due: datetime) -> None:
    reminder = await add(app, team.rep, local(23, 10, 30))
    await app.press(team.rep, Act.REMINDER_PICK, reminder.id, "")
    await app.text(team.rep, answer)
    assert (await app.reminders.get_open(team.rep, reminder.id)).due_at == due


# --- typed reminders, /reminders, /settings -----------------------------------------------------


async def test_a_typed_reminder_is_confirmed_with_its_time(app: App, team: Team) -> None:
    reply = await app.text(team.rep, "提醒我周五给他回电话")
    assert "⏰ 已设提醒：11月27日 周五 09:00 给他回电话" in reply.text.splitlines()


async def test_reminders_lists_overdue_first_then_today_then_later(
    app: App, team: Team, clock: FakeClock
) -> None:
    empty = await app.command(team.rep, "reminders", "")
    assert empty.text.startswith("没有待办的提醒。")
    await app.capture.chat(team.rep, CHAT)
    await app.text(team.rep, "提醒我周五给他回电话")
    await add(app, team.rep, local(23, 16), "发合同")
    await add(app, team.rep, local(23, 10, 30), "确认报价")
    await add(app, team.rep2, local(23, 11), "别人的")
    clock.moment = local(23, 11).astimezone(UTC)

    reply = await app.command(team.rep, "reminders", "")
    assert reply.text.splitlines() == [
        "⏰ 待办提醒（3 条）",
        "已过期：",
        "1. 11月23日 周一 10:30 确认报价（已过期 30 分钟）",
        "今天：",
        "2. 16:00 发合同",
        "以后：",
        "3. 11月27日 周五 09:00 给他回电话 · 华为技术有限公司",
        "点 ✅ 编号标记完成。",
    ]
    assert [(b.label, b.act, b.arg) for b in reply.all_buttons()] == [
        (f"✅ {n}", Act.REMINDER_DONE, "list") for n in (1, 2, 3)
    ]
    first = reply.all_buttons()[0]
    refreshed = await app.press(team.rep, first.act, first.target, first.arg)
    assert refreshed.replace and "确认报价" not in refreshed.text and "⏰ 待办提醒（2 条）" in refreshed.text


async def test_settings_show_and_change(app: App, team: Team) -> None:
    card = await app.command(team.rep, "settings", "")
    assert card.text.splitlines()[:5] == [
        "⚙️ 提醒设置",
        "🌍 时区：Asia/Shanghai",
        "🌙 免打扰：关闭",
        "📅 周末：照常提醒",
        "🗣 语言：中文",
    ]
    assert [b.arg for b in card.all_buttons()] == ["quiet 2200-0800", "weekend monday"]

    saved = await app.command(team.rep, "settings", "quiet 21:00-08:00")
    assert (
        saved.text.startswith("✅ 已保存。")
        and "🌙 免打扰：21:00–08:00（期间的提醒推迟到 08:00）" in saved.text
    )
    pressed = await app.press(team.rep, Act.SETTINGS, 0, "weekend monday")
    assert pressed.replace and "📅 周末：改到周一 9:00" in pressed.text
    tz = await app.command(team.rep, "settings", "tz europe/berlin")
    assert "🌍 时区：Europe/Berlin" in tz.text
    off = await app.command(team.rep, "settings", "quiet off")
    assert "🌙 免打扰：关闭" in off.text
    member = await app.members.get(team.rep.id)
    assert member is not None
    assert (member.timezone, member.quiet_start, member.weekend_to_monday) == ("Europe/Berlin", None, True)


@pytest.mark.parametrize(
    ("args", "answer"),
    [
        ("quiet 25:00-08:00", "免打扰时段“25:00-08:00”不对"),
        ("quiet soon", "免打扰时段“soon”不对"),
        ("quiet 08:00-08:00", "免打扰时段“08:00-08:00”不对"),
        ("weekend sometimes", "周末设置只能是 monday（改到周一）或 keep（照常），你写的是“sometimes”。"),
        ("tz Mars/Olympus", "不认识时区“Mars/Olympus”"),
        ("colour blue", "没看懂“colour blue”"),
    ],
)
async def test_settings_explain_bad_values(app: App, team: Team, args: str, answer: str) -> None:
    with pytest.raises(InputRejected) as rejected:
        await app.command(team.rep, "settings", args)
    assert app.error(Lang.ZH, rejected.value).text.startswith(answer)
