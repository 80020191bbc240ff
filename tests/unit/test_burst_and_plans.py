"""The burst collector and reminder timing rules."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from crm.facts import Facts, ReminderFact, TodoFact
from crm.model import Interaction, Lang, Member, ReminderKind, Role, Source
from crm.reminder_plan import adjust_due, plan_reminders
from handlers.telegram.burst import BurstCollector, BurstFailed

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def _take(
    bursts: BurstCollector[str], key: str, item: str, handled: list[list[str]]
) -> list[str] | None:
    """One message's handler: the leader handles the burst (records it), a follower returns None."""
    async with bursts.collect(key, item) as batch:
        if batch is not None:
            await asyncio.sleep(0.02)  # the leader stores and answers
            handled.append(list(batch))
        return batch


async def test_burst_collects_messages_until_quiet() -> None:
    bursts: BurstCollector[str] = BurstCollector(quiet=0.05)
    handled: list[list[str]] = []

    async def later(item: str, delay: float) -> list[str] | None:
        await asyncio.sleep(delay)
        return await _take(bursts, "rep", item, handled)

    results = await asyncio.gather(later("a", 0), later("b", 0.01), later("c", 0.03))
    assert list(results) == [["a", "b", "c"], None, None]
    assert handled == [["a", "b", "c"]]
    assert bursts.open_bursts == 0
    # a message after the quiet period starts a new burst
    assert await _take(bursts, "rep", "d", handled) == ["d"]


async def test_a_follower_returns_only_after_the_leader_handled_the_burst() -> None:
    # Each follower is an inbox job marked done when its handler returns: it must not return while the
    # conversation it joined is not stored yet.
    bursts: BurstCollector[str] = BurstCollector(quiet=0.05)
    handled: list[list[str]] = []
    leader = asyncio.create_task(_take(bursts, "rep", "a", handled))
    await asyncio.sleep(0)
    follower = asyncio.create_task(_take(bursts, "rep", "b", handled))
    await asyncio.sleep(0.03)
    assert not follower.done()
    assert await follower is None
    assert handled == [["a", "b"]]  # the follower's return came after the leader's handling
    assert await leader == ["a", "b"]


async def test_followers_fail_with_their_leader() -> None:
    bursts: BurstCollector[str] = BurstCollector(quiet=0.05)

    async def failing_leader() -> None:
        async with bursts.collect("rep", "a") as batch:
            assert batch == ["a", "b", "c"]
            raise RuntimeError("database gone")

    leader = asyncio.create_task(failing_leader())
    await asyncio.sleep(0)
    follower = asyncio.create_task(_take(bursts, "rep", "b", []))
    await asyncio.sleep(0)
    joined = asyncio.create_task(bursts.join_if_open("rep", "c"))
    with pytest.raises(RuntimeError):
        await leader
    with pytest.raises(BurstFailed):
        await follower
    with pytest.raises(BurstFailed):
        await joined


async def test_a_cancelled_leader_fails_its_followers() -> None:
    bursts: BurstCollector[str] = BurstCollector(quiet=10)
    leader = asyncio.create_task(_take(bursts, "rep", "a", []))
    await asyncio.sleep(0)
    follower = asyncio.create_task(_take(bursts, "rep", "b", []))
    await asyncio.sleep(0)
    leader.cancel()
    with pytest.raises(BurstFailed):
        await follower
    assert bursts.open_bursts == 0


async def test_bursts_are_per_member_and_bounded() -> None:
    bursts: BurstCollector[str] = BurstCollector(quiet=0.05, max_wait=0.12)
    handled: list[list[str]] = []

    async def trickle() -> list[str] | None:
        leader = asyncio.create_task(_take(bursts, "a", "0", handled))
        followers = []
        for i in range(1, 8):  # keeps arriving faster than the quiet period
            await asyncio.sleep(0.03)
            followers.append(asyncio.create_task(_take(bursts, "a", str(i), handled)))
        await asyncio.gather(*followers)
        return await leader

    other = asyncio.create_task(_take(bursts, "b", "x", handled))
    items = await trickle()
    assert items is not None and items[0] == "0" and len(items) < 8  # cut at max_wait
    assert await other == ["x"]
    # what came after the cut started a burst of its own: nothing is lost
    assert sorted(i for batch in handled for i in batch) == sorted([*map(str, range(8)), "x"])


async def test_join_if_open_and_flush() -> None:
    bursts: BurstCollector[str] = BurstCollector(quiet=10)
    assert not await bursts.join_if_open("rep", "comment")
    leader = asyncio.create_task(_take(bursts, "rep", "fwd", []))
    await asyncio.sleep(0)
    joined = asyncio.create_task(bursts.join_if_open("rep", "comment"))
    await asyncio.sleep(0)
    bursts.flush_all()
    assert await asyncio.wait_for(leader, timeout=1) == ["fwd", "comment"]
    assert await joined


def _member(**kw: object) -> Member:
    return Member(
        id=1,
        team_id=1,
        name="rep",
        role=Role.REP,
        lang=Lang.ZH,
        timezone="Asia/Shanghai",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("local_due", "kw", "expected"),
    [
        # no preferences: unchanged
        (datetime(2026, 11, 28, 10, 0), {}, datetime(2026, 11, 28, 10, 0)),
        # Saturday, weekend moved to Monday 09:00
        (datetime(2026, 11, 28, 10, 0), {"weekend_to_monday": True}, datetime(2026, 11, 30, 9, 0)),
        # quiet hours 21:00-08:00: 22:30 moves to 08:00 next day; 06:00 to 08:00 same day
        (
            datetime(2026, 11, 24, 22, 30),
            {"quiet_start": time(21), "quiet_end": time(8)},
            datetime(2026, 11, 25, 8, 0),
        ),
        (
            datetime(2026, 11, 24, 6, 0),
            {"quiet_start": time(21), "quiet_end": time(8)},
            datetime(2026, 11, 24, 8, 0),
        ),
        (
            datetime(2026, 11, 24, 12, 0),
            {"quiet_start": time(21), "quiet_end": time(8)},
            datetime(2026, 11, 24, 12, 0),
        ),
        # quiet hours within a day: 12:00-14:00
        (
            datetime(2026, 11, 24, 12, 30),
            {"quiet_start": time(12), "quiet_end": time(14)},
            datetime(2026, 11, 24, 14, 0),
        ),
    ],
)
def test_adjust_due(local_due: datetime, kw: dict[str, object], expected: datetime) -> None:
    member = _member(**kw)
    due = local_due.replace(tzinfo=SHANGHAI).astimezone(UTC)
    assert adjust_due(member, due) == expected.replace(tzinfo=SHANGHAI)


def test_plan_skips_past_times_and_leads_meetings_by_an_hour() -> None:
    now = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
    facts = Facts(
        name="张伟",
        next_meeting=datetime(2026, 12, 2, 15, 0, tzinfo=SHANGHAI),
        reminders=(
            ReminderFact("回电话", now + timedelta(days=4)),
            ReminderFact("昨天的", now - timedelta(days=1)),
        ),
        todos=(TodoFact("发资料", now + timedelta(days=1)), TodoFact("无日期")),
    )
    interaction = Interaction(
        id=9, team_id=1, author_id=1, source=Source.CHAT, content="", facts={}, created_at=now, customer_id=3
    )
    planned = plan_reminders(_member(), facts, interaction, [], now)
    by_kind = {r.kind: r for r in planned}
    assert set(by_kind) == {ReminderKind.ASK, ReminderKind.MEETING, ReminderKind.TODO}
    assert by_kind[ReminderKind.MEETING].due_at == datetime(2026, 12, 2, 14, 0, tzinfo=SHANGHAI)
    assert all(r.customer_id == 3 and r.interaction_id == 9 for r in planned)
