"""The burst collector and reminder timing rules."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from crm.facts import Facts, ReminderFact, TodoFact
from crm.model import Interaction, Lang, Member, ReminderKind, Role, Source
from crm.reminder_plan import adjust_due, plan_reminders
from handlers.telegram.burst import BurstCollector

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def test_burst_collects_messages_until_quiet() -> None:
    bursts: BurstCollector[str] = BurstCollector(quiet=0.05)

    async def later(item: str, delay: float) -> list[str] | None:
        await asyncio.sleep(delay)
        return await bursts.add("rep", item)

    results = await asyncio.gather(later("a", 0), later("b", 0.01), later("c", 0.03))
    assert list(results) == [["a", "b", "c"], None, None]
    assert bursts.open_bursts == 0
    # a message after the quiet period starts a new burst
    assert await bursts.add("rep", "d") == ["d"]


async def test_bursts_are_per_member_and_bounded() -> None:
    bursts: BurstCollector[str] = BurstCollector(quiet=0.05, max_wait=0.12)

    async def trickle() -> list[str] | None:
        leader = asyncio.create_task(bursts.add("a", "0"))
        for i in range(1, 8):  # keeps arriving faster than the quiet period
            await asyncio.sleep(0.03)
            await bursts.add("a", str(i))
        return await leader

    other = asyncio.create_task(bursts.add("b", "x"))
    items = await trickle()
    assert items is not None and items[0] == "0" and len(items) < 8  # cut at max_wait
    assert await other == ["x"]


async def test_join_if_open_and_flush() -> None:
    bursts: BurstCollector[str] = BurstCollector(quiet=10)
    assert not bursts.join_if_open("rep", "comment")
    leader = asyncio.create_task(bursts.add("rep", "fwd"))
    await asyncio.sleep(0)
    assert bursts.join_if_open("rep", "comment")
    bursts.flush_all()
    assert await asyncio.wait_for(leader, timeout=1) == ["fwd", "comment"]


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
