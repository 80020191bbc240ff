"""The pure parts of history and data health: how operators name records and times, how a journaled
change reads in chat (table-driven), the 3+1 completeness, the nudge's week and hour, and the order of
a nudge's gaps."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.commands.records import since_moment
from chat.history.view import page
from crm.data_health import Figures, GapKind, gap_kinds, nudge_due, team_health, week_of
from crm.history import HistoryPage, Operation, RecordRef
from crm.model import AuditEntry, Customer, FieldChange, Lang, Member, Role
from crm.stages import team_funnel

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("customer:12", RecordRef("customer", 12)),
        (" contact:3 ", RecordRef("contact", 3)),
        ("deal:7", RecordRef("deal", 7)),
        ("interaction:40", RecordRef("interaction", 40)),
        ("customer:", None),
        ("customer:x", None),
        ("customers:1", None),
        ("reminder:1", None),
        ("12", None),
    ],
)
def test_record_names(text: str, expected: RecordRef | None) -> None:
    if expected is None:
        with pytest.raises(ValueError, match="not a record"):
            RecordRef.parse(text)
    else:
        assert RecordRef.parse(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-20", datetime(2026, 11, 20, tzinfo=SHANGHAI)),
        ("2026-11-20T08:30", datetime(2026, 11, 20, 8, 30, tzinfo=SHANGHAI)),
        ("2026-11-20T08:30:00+00:00", datetime(2026, 11, 20, 8, 30, tzinfo=UTC)),
    ],
)
def test_since_is_read_in_the_servers_timezone(text: str, expected: datetime) -> None:
    assert since_moment(text, "Asia/Shanghai") == expected


def test_since_refuses_what_is_no_date() -> None:
    with pytest.raises(ValueError, match="Invalid isoformat"):
        since_moment("yesterday", "Asia/Shanghai")


# --- how changes read ------------------------------------------------------------------------------


def member(lang: Lang = Lang.ZH) -> Member:
    return Member(
        id=1, team_id=1, name="小李", role=Role.REP, lang=lang, timezone="Asia/Shanghai", created_at=NOW
    )


def customer() -> Customer:
    return Customer(id=5, team_id=1, owner_id=1, name="华为", created_at=NOW, updated_at=NOW)


def rendered(
    lang: Lang, *changes: FieldChange, labels: dict[tuple[str, int], str | None] | None = None
) -> list[str]:
    entry = AuditEntry(1, 1, 1, "field.edited", "interaction", 9, {}, NOW)
    history = HistoryPage(
        customer=customer(),
        funnel=team_funnel({}),
        operations=[Operation(entry, member(lang), list(changes))],
        labels={
            ("contact", 8): "张伟",
            ("deal", 3): "华为一期",
            ("customer", 6): "华为终端",
            **(labels or {}),
        },
        members={1: "小李", 2: "小王"},
        older=None,
        newer=None,
    )
    return [line.strip() for line in page(member(lang), history).text.splitlines()[3:]]


def change(
    kind: str, record_id: int, field: str | None, before: Any = None, after: Any = None
) -> FieldChange:
    return FieldChange(kind, record_id, field, before, after)


@pytest.mark.parametrize(
    ("changes", "zh", "en"),
    [
        (
            [
                change("customer", 5, "budget_cny", None, 500_000),
                change("customer", 5, "budget_min_cny", None, 300_000),
            ],
            "客户 · 预算：（空） → 30万–50万",
            "customer · Budget: (empty) → ¥300,000–¥500,000",
        ),
        (
            [change("contact", 8, "phones", ["+8613812345678"], ["+8613900002222", "+8613812345678"])],
            "联系人「张伟」 · 电话：+86 138 1234 5678 → +86 139 0000 2222、+86 138 1234 5678",
            "contact “张伟” · Phone: +86 138 1234 5678 → +86 139 0000 2222, +86 138 1234 5678",
        ),
        (
            [
                change("deal", 3, "stage", "lead", "requirements"),
                change(
                    "deal", 3, "stage_entered_at", "2026-11-01T00:00:00+00:00", "2026-11-23T02:00:00+00:00"
                ),
            ],
            "商机「华为一期」 · 阶段：① 线索激活 → ② 需求锁定",
            "deal “华为一期” · Stage: ① Lead activated → ② Requirements locked",
        ),
        (
            [
                change("deal", 3, "status", "open", "lost"),
                change("deal", 3, "closed_at", None, "2026-11-23T02:00:00+00:00"),
                change("deal", 3, "lost_reason", None, "价格太高"),
            ],
            "商机「华为一期」 · 状态：进行中 → 丢单（价格太高）",
            "deal “华为一期” · Status: open → lost (价格太高)",
        ),
        (
            [change("customer", 5, "follow_up", None, "interested")],
            "客户 · 跟进状态：（空） → 有意向",
            "customer · Follow-up: (empty) → Interested",
        ),
        (
            [
                change(
                    "customer", 5, "region", None, {"province": "广东省", "city": "深圳市", "district": None}
                )
            ],
            "客户 · 地区：（空） → 广东省深圳市",
            "customer · Region: (empty) → 广东省深圳市",
        ),
        (
            [change("customer", 5, "next_meeting", None, "2026-11-25T07:00:00+00:00")],
            "客户 · 下次会面：（空） → 11月25日 周三 15:00",
            "customer · Next meeting: (empty) → Wed 25 Nov 15:00",
        ),
        (
            [change("contact", 8, "decision_role", None, "finance")],
            "联系人「张伟」 · 决策链角色：（空） → 财务",
            "contact “张伟” · Decision role: (empty) → finance",
        ),
        (
            [change("customer", 5, "owner_id", 1, 2)],
            "客户 · 负责人：小李 → 小王",
            "customer · owner: 小李 → 小王",
        ),
        (
            [change("contact", 8, "archived_at", None, "2026-11-23T02:00:00+00:00")],
            "🗄 联系人「张伟」已归档",
            "🗄 contact “张伟” archived",
        ),
        (
            [change("customer", 6, "merged_into", None, 5)],
            "🔀 客户「华为终端」并入「华为」",
            "🔀 customer “华为终端” merged into “华为”",
        ),
        (
            [change("contact", 8, "customer_id", 6, 5)],
            "联系人「张伟」 移到客户「华为」",
            "contact “张伟” moved to customer “华为”",
        ),
        ([change("contact", 8, None)], "➕ 新建联系人「张伟」", "➕ created contact “张伟”"),
        (
            [
                change("customer", 5, "timeline", None, "明年3月"),
                change("customer", 5, "timeline_by", None, "2027-03-31"),
            ],
            "客户 · 时间线：（空） → 明年3月",
            "customer · Timeline: (empty) → 明年3月",
        ),
    ],
)
def test_a_change_reads_as_what_happened(changes: list[FieldChange], zh: str, en: str) -> None:
    labels: dict[tuple[str, int], str | None] = {("customer", 5): "华为"}
    assert rendered(Lang.ZH, *changes, labels=labels) == [zh]
    assert rendered(Lang.EN, *changes, labels=labels) == [en]


def test_a_group_unchanged_but_journaled_with_its_partner_reads_as_nothing() -> None:
    # The budget's lower bound changed alone (journaled with the unchanged upper bound): one line.
    lines = rendered(
        Lang.ZH,
        change("customer", 5, "budget_cny", 500_000, 500_000),
        change("customer", 5, "budget_min_cny", None, 300_000),
        change("customer", 5, "name", "华为", "华为技术"),
    )
    assert lines == ["客户 · 预算：50万 → 30万–50万", "客户 · 客户：华为 → 华为技术"]


def test_long_operations_are_cut_and_counted() -> None:
    lines = rendered(Lang.EN, *(change("customer", 5, "needs", [], [f"need {n}"]) for n in range(11)))
    assert len(lines) == 9 and lines[-1] == "…and 3 more changes"


# --- data health ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("figures", "expected"),
    [
        (Figures(), None),
        (Figures(customers=2, complete=2), 100),
        (
            Figures(customers=3, missing_customer=1, missing_contact=1, missing_phone=1, missing_follow_up=1),
            67,
        ),
        (
            Figures(customers=1, missing_customer=1, missing_contact=1, missing_phone=1, missing_follow_up=1),
            0,
        ),
    ],
)
def test_completeness_is_the_share_of_core_fields_filled(figures: Figures, expected: int | None) -> None:
    assert figures.completeness == expected


@pytest.mark.parametrize(
    ("day", "monday"),
    [
        (date(2026, 11, 23), date(2026, 11, 23)),
        (date(2026, 11, 29), date(2026, 11, 23)),  # Sunday
        (date(2026, 12, 31), date(2026, 12, 28)),
        (date(2027, 1, 3), date(2026, 12, 28)),  # the ISO week spans the new year
    ],
)
def test_a_week_is_named_by_its_monday(day: date, monday: date) -> None:
    assert week_of(day) == monday


@pytest.mark.parametrize(
    ("local", "workday", "due"),
    [
        (datetime(2026, 11, 23, 10, 29, tzinfo=SHANGHAI), True, False),
        (datetime(2026, 11, 23, 10, 30, tzinfo=SHANGHAI), True, True),
        (datetime(2026, 11, 23, 18, 0, tzinfo=SHANGHAI), True, True),
        (datetime(2026, 11, 23, 11, 0, tzinfo=SHANGHAI), False, False),
    ],
)
def test_a_nudge_waits_for_a_workday_morning(local: datetime, workday: bool, due: bool) -> None:
    assert nudge_due(local, workday) is due


def test_a_nudge_names_the_most_actionable_gaps_first_and_few_of_them() -> None:
    figures = Figures(
        customers=9,
        missing_contact=1,
        missing_follow_up=2,
        contacts_without_phone=3,
        untouched_30=4,
        deals_without_next_step=5,
        duplicates=6,  # a manager's review: no rep gap
    )
    assert gap_kinds(figures) == [
        (GapKind.NO_PHONE, 3),
        (GapKind.NO_FOLLOW_UP, 2),
        (GapKind.NO_NEXT_STEP, 5),
        (GapKind.UNTOUCHED, 4),
    ]
    assert gap_kinds(Figures(customers=1, complete=1)) == []


def test_the_team_lists_owners_with_most_to_fix_first_and_idle_reps() -> None:
    rep, idle, manager = member(), member(), member()
    idle.id, idle.name = 2, "小王"
    manager.id, manager.name, manager.role = 3, "经理", Role.MANAGER
    figures = {1: Figures(customers=2, missing_phone=1), 3: Figures(customers=5, untouched_30=4)}
    health = team_health(1, NOW, figures, {1: rep, 2: idle, 3: manager})
    assert [owner.member_id for owner in health.owners] == [3, 1, 2]
    assert health.total == Figures(customers=7, missing_phone=1, untouched_30=4)


def test_a_page_fits_one_message_and_the_rest_starts_the_next() -> None:
    needs = [f"需求{n}" * 20 for n in range(4)]
    operations = [
        Operation(
            AuditEntry(100 - n, 1, 1, "field.edited", "interaction", 9, {}, NOW),
            member(),
            [change("customer", 5, "needs", [], needs[: k + 1]) for k in range(4)]
            + [change("customer", 5, "keywords", [], needs)] * 4,
        )
        for n in range(6)
    ]
    history = HistoryPage(customer(), team_funnel({}), operations, {}, {1: "小李"}, older=None, newer=None)
    reply = page(member(), history)
    shown = reply.text.count("🕒")
    assert 1 <= shown < 6 and len(reply.text) <= 3500
    (older,) = [b for b in reply.all_buttons() if b.act.value == "hb"]
    assert older.arg == str(100 - (shown - 1))  # the next page starts after the last one shown
