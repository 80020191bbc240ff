"""Header mapping, header-row detection and row reading of an import, table-driven."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from crm.columns import EXPORT_LABELS, LABELS, SHEET_NAMES, Field, field_of, find_layout, label
from crm.exports import CONTACT_COLUMNS, CUSTOMER_COLUMNS
from crm.model import Lang
from crm.rows import RowReader, RowRejected
from crm.stages import default_funnel
from crm.table import Cell, Merged, Sheet
from nlu.normalize import Normalizer


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("客户名称", Field.COMPANY),
        ("客户名称 *", Field.COMPANY),
        ("公司（必填）", Field.COMPANY),
        ("单位", Field.COMPANY),
        ("客戶名稱", Field.COMPANY),
        ("Company Name", Field.COMPANY),
        ("ＣＯＭＰＡＮＹ", Field.COMPANY),
        ("联系人", Field.NAME),
        ("姓名", Field.NAME),
        ("聯絡人", Field.NAME),
        ("Name", Field.NAME),
        ("职位", Field.TITLE),
        ("Job Title", Field.TITLE),
        ("手机", Field.PHONE),
        ("电话", Field.PHONE),
        ("手機號碼", Field.PHONE),
        ("Mobile", Field.PHONE),
        ("邮箱", Field.EMAIL),
        ("E-mail", Field.EMAIL),
        ("電郵", Field.EMAIL),
        ("微信", Field.WECHAT),
        ("WeChat ID", Field.WECHAT),
        ("地址", Field.ADDRESS),
        ("省", Field.PROVINCE),
        ("市", Field.CITY),
        ("区", Field.DISTRICT),
        ("负责人", Field.OWNER),
        ("負責人", Field.OWNER),
        ("Owner", Field.OWNER),
        ("阶段", Field.STAGE),
        ("Sales Stage", Field.STAGE),
        ("预算", Field.BUDGET),
        ("Budget", Field.BUDGET),
        ("下次跟进", Field.NEXT_FOLLOW_UP),
        ("Next follow-up", Field.NEXT_FOLLOW_UP),
        ("备注", Field.NOTES),
        ("備註", Field.NOTES),
        ("Notes", Field.NOTES),
        ("更新时间", Field.UPDATED),
        ("ID", Field.IGNORED),
        ("序号", Field.IGNORED),
        ("错误原因", Field.IGNORED),
        ("行业", None),
        ("客户来源", None),
        ("", None),
    ],
)
def test_headers_map_to_fields(header: str, field: Field | None) -> None:
    assert field_of(header) is field


def test_every_header_an_export_or_template_writes_is_read_back() -> None:
    for lang in Lang:
        for column in (*CUSTOMER_COLUMNS, *CONTACT_COLUMNS):
            text = (
                label(column, lang) if isinstance(column, Field) else EXPORT_LABELS[column][lang is Lang.EN]
            )
            assert field_of(text) is not None, text
        for column in LABELS:
            assert field_of(label(column, lang) + " *") is column


def sheet(rows: list[list[Cell]], merged: tuple[Merged, ...] = ()) -> Sheet:
    return Sheet("客户", rows, merged)


@pytest.mark.parametrize(
    ("rows", "merged", "header_rows", "fields"),
    [
        ([["客户名称", "联系人"], ["华为", "张伟"]], (), (0,), (Field.COMPANY, Field.NAME)),
        # a title merged across the columns above the header
        (
            [["2026 客户名单"], ["客户名称", "联系人"], ["华为", "张伟"]],
            (Merged(0, 0, 0, 1),),
            (1,),
            (Field.COMPANY, Field.NAME),
        ),
        # a group header over two columns: the header is both rows read together
        (
            [["客户名称", "联系方式", None], [None, "手机", "邮箱"], ["华为", "138", "a@b.c"]],
            (Merged(0, 1, 0, 2),),
            (0, 1),
            (Field.COMPANY, Field.PHONE, Field.EMAIL),
        ),
        # ... and with the other columns merged down over both rows, the lower row alone names them all
        (
            [["客户名称", "联系方式", None], [None, "手机", "邮箱"], ["华为", "138", "a@b.c"]],
            (Merged(0, 0, 1, 0), Merged(0, 1, 0, 2)),
            (1,),
            (Field.COMPANY, Field.PHONE, Field.EMAIL),
        ),
        # an unknown column is kept (None), a second company column too
        (
            [["公司", "行业", "客户名称"], ["华为", "通信", "华为技术"]],
            (),
            (0,),
            (Field.COMPANY, None, None),
        ),
    ],
)
def test_the_header_row_is_found(
    rows: list[list[Cell]],
    merged: tuple[Merged, ...],
    header_rows: tuple[int, ...],
    fields: tuple[Field | None, ...],
) -> None:
    layout = find_layout(sheet(rows, merged))
    assert layout is not None
    assert layout.header_rows == header_rows
    assert layout.fields == fields
    assert layout.data_from == header_rows[-1] + 1


def test_a_single_known_word_further_down_is_no_header() -> None:
    # An explanation of the columns: "客户名称" in its first column is a value, not a header.
    rows: list[list[Cell]] = [["列", "含义"], ["客户名称", "客户的公司"], ["手机", "号码"]]
    assert find_layout(sheet(rows)) is None


TZ = ZoneInfo("Asia/Shanghai")
HEADER: list[Cell] = [
    "客户名称",
    "联系人",
    "手机",
    "邮箱",
    "阶段",
    "预算",
    "下次跟进",
    "省",
    "市",
    "备注",
    "行业",
]


def read(cells: list[Cell]) -> dict[str, object]:
    layout = find_layout(sheet([HEADER, cells]))
    assert layout is not None
    row = RowReader(layout, Normalizer(), default_funnel(), TZ).read(2, cells)
    return {
        "company": row.company,
        "name": row.name,
        "phones": row.phones,
        "emails": row.emails,
        "stage": row.stage,
        "budget": row.budget,
        "next": row.next_follow_up,
        "region": row.region.label() if row.region else None,
        "notes": row.notes,
    }


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (["华为", "张伟", "138 0013 8000"], {"phones": ["+8613800138000"]}),
        (["华为", "张伟", 13800138000], {"phones": ["+8613800138000"]}),
        (["华为", "张伟", "13800138000；13900139000"], {"phones": ["+8613800138000", "+8613900139000"]}),
        (["华为", "张伟", "+86 10 6552 9988;ext=12"], {"phones": ["+861065529988;ext=12"]}),
        (["华为", None, None, "A@B.com, c@d.cn"], {"emails": ["A@B.com", "c@d.cn"]}),
        (["华为", None, None, None, "方案匹配"], {"stage": "solution"}),
        (["华为", None, None, None, "Solution matched"], {"stage": "solution"}),
        (["华为", None, None, None, "③"], {"stage": "solution"}),
        (["华为", None, None, None, "赢单"], {"stage": "won"}),
        (["华为", None, None, None, "输单"], {"stage": "lost"}),
        (["华为", None, None, None, None, "50万"], {"budget": 500_000}),
        (["华为", None, None, None, None, 120000.0], {"budget": 120_000}),
        (["华为", None, None, None, None, "¥1,200,000"], {"budget": 1_200_000}),
        (
            ["华为", None, None, None, None, None, "2026/12/08"],
            {"next": datetime(2026, 12, 8, 1, 0, tzinfo=UTC)},
        ),
        (
            ["华为", None, None, None, None, None, "2026年12月8日 15:30"],
            {"next": datetime(2026, 12, 8, 7, 30, tzinfo=UTC)},
        ),
        (
            ["华为", None, None, None, None, None, date(2026, 12, 8)],
            {"next": datetime(2026, 12, 8, 1, 0, tzinfo=UTC)},
        ),
        (
            ["华为", None, None, None, None, None, datetime(2026, 12, 8, 15, 0)],
            {"next": datetime(2026, 12, 8, 7, 0, tzinfo=UTC)},
        ),
        (["华为", None, None, None, None, None, None, "广东", "深圳"], {"region": "广东省深圳市"}),
        (["华为", None, None, None, None, None, None, "California", None], {"region": "California"}),
        (
            ["华为", None, None, None, None, None, None, None, None, "重点客户", "制造"],
            {"notes": "重点客户\n行业: 制造"},
        ),
        ([None, "张伟"], {"company": None, "name": "张伟"}),
    ],
)
def test_rows_are_read(cells: list[Cell], expected: dict[str, object]) -> None:
    got = read(cells)
    assert {key: got[key] for key in expected} == expected


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        ([None, None, "13800138000"], "import.row.no_name"),
        (["华为", "张伟", "12345"], "import.row.bad_phone"),
        (["华为", "张伟", None, "not-an-email"], "import.row.bad_email"),
        (["华为", None, None, None, "第九阶段"], "import.row.unknown_stage"),
        (["华为", None, None, None, None, "很多"], "import.row.bad_budget"),
        (["华为", None, None, None, None, None, "下周"], "import.row.bad_date"),
        (["华为", None, None, None, None, None, "2026-13-45"], "import.row.bad_date"),
        (["华" * 301], "import.row.too_long"),
    ],
)
def test_bad_rows_say_why(cells: list[Cell], reason: str) -> None:
    with pytest.raises(RowRejected) as rejected:
        read(cells)
    assert rejected.value.problem.key == reason


def test_sheet_names_of_an_export_are_known_in_both_languages() -> None:
    assert {pair[0] for pair in SHEET_NAMES.values()} >= {"客户", "联系人", "商机", "跟进记录"}
