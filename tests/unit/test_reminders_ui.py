"""How reminders read and what /settings understands: table-driven, no I/O."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from chat.reminders.controller import SettingsChange, parse_quiet, parse_settings, timezone_name
from chat.reminders.view import late, set_lines
from crm.errors import InputRejected
from crm.model import Lang, Member, Reminder, ReminderKind, ReminderStatus, Role

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def member(lang: Lang = Lang.ZH, timezone: str = "Asia/Shanghai") -> Member:
    return Member(id=1, team_id=1, name="小李", role=Role.REP, lang=lang, timezone=timezone, created_at=NOW)


def reminder(kind: ReminderKind, text: str, due: datetime) -> Reminder:
    return Reminder(
        id=1,
        team_id=1,
        member_id=1,
        kind=kind,
        text=text,
        due_at=due,
        status=ReminderStatus.PENDING,
        created_at=NOW,
    )


@pytest.mark.parametrize(
    ("said", "quiet"),
    [
        ("21:00-08:00", (time(21), time(8))),
        ("21-8", (time(21), time(8))),
        ("2100-0800", (time(21), time(8))),
        ("22:30 – 7:15", (time(22, 30), time(7, 15))),
        ("21点到8点", (time(21), time(8))),
        ("12:30~14:00", (time(12, 30), time(14))),
        ("off", None),
        ("关闭", None),
    ],
)
def test_quiet_hours(said: str, quiet: tuple[time, time] | None) -> None:
    assert parse_quiet(said) == quiet


@pytest.mark.parametrize("said", ["25:00-08:00", "21:61-08:00", "soon", "21:00", "", "9-9", "0-24"])
def test_quiet_hours_refused(said: str) -> None:
    with pytest.raises(InputRejected) as refused:
        parse_quiet(said)
    assert refused.value.key == "settings.bad_quiet"


@pytest.mark.parametrize(
    ("args", "change"),
    [
        ("", None),
        ("quiet 21:00-08:00", SettingsChange(quiet=(time(21), time(8)))),
        ("quiet off", SettingsChange(quiet=None)),
        ("免打扰 22-7", SettingsChange(quiet=(time(22), time(7)))),
        ("weekend monday", SettingsChange(weekend_to_monday=True)),
        ("Weekend KEEP", SettingsChange(weekend_to_monday=False)),
        ("周末 周一", SettingsChange(weekend_to_monday=True)),
        ("tz asia/hong_kong", SettingsChange(timezone="Asia/Hong_Kong")),
        ("timezone  Europe/Berlin ", SettingsChange(timezone="Europe/Berlin")),
    ],
)
def test_settings_arguments(args: str, change: SettingsChange | None) -> None:
    assert parse_settings(args) == change


@pytest.mark.parametrize(
    ("args", "key"),
    [
        ("weekend maybe", "settings.bad_weekend"),
        ("tz Shanghai", "settings.bad_timezone"),
        ("tz", "settings.bad_timezone"),
        ("volume 11", "settings.usage"),
    ],
)
def test_settings_arguments_refused(args: str, key: str) -> None:
    with pytest.raises(InputRejected) as refused:
        parse_settings(args)
    assert refused.value.key == key


def test_timezone_names_keep_their_iana_spelling() -> None:
    assert timezone_name("utc") == "UTC"
    assert timezone_name("AMERICA/NEW_YORK") == "America/New_York"


@pytest.mark.parametrize(
    ("delta", "zh", "en"),
    [
        (timedelta(seconds=20), "1 分钟", "1 min"),
        (timedelta(minutes=35), "35 分钟", "35 min"),
        (timedelta(hours=2), "2 小时", "2 h"),
        (timedelta(hours=2, minutes=5), "2 小时 5 分钟", "2 h 5 min"),
        (timedelta(hours=47, minutes=59), "47 小时 59 分钟", "47 h 59 min"),
        (timedelta(days=3, hours=5), "3 天", "3 days"),
    ],
)
def test_how_late(delta: timedelta, zh: str, en: str) -> None:
    assert (late(Lang.ZH, delta), late(Lang.EN, delta)) == (zh, en)


def test_lead_card_lines_name_each_reminder_with_its_time_in_the_members_timezone() -> None:
    friday = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    reminders = [
        reminder(ReminderKind.MEETING, "华为 张伟", friday + timedelta(days=5)),
        reminder(ReminderKind.ASK, "给他回电话", friday),
        reminder(ReminderKind.FOLLOW_UP, "下周一给答复", friday + timedelta(days=3)),
        reminder(ReminderKind.COMMITMENT, "发报价", friday + timedelta(days=1)),
    ]
    assert set_lines(member(), reminders) == [
        "⏰ 已设提醒：11月27日 周五 09:00 给他回电话",
        "⏰ 已设提醒：11月28日 周六 09:00 我方承诺 · 发报价",
        "⏰ 已设提醒：11月30日 周一 09:00 客户承诺 · 下周一给答复（看看是否兑现）",
        "⏰ 另有 1 条提醒",
    ]
    assert set_lines(member(Lang.EN, "Europe/London"), reminders[1:2]) == [
        "⏰ Reminder set: Fri 27 Nov 01:00 给他回电话"
    ]
    assert set_lines(member(), []) == []
