"""The columns of an import or export spreadsheet: their names in Chinese and English with the usual
synonyms, and finding the header row of a sheet someone made by hand.

A header is matched after folding (full-width to half-width, case, spaces, a required mark "*" and a
bracketed remark such as "(必填)"), so "客户名称 *", "Company Name" and "公司（必填）" all name the
company. Headers nobody knows are kept: their values go on the record as a note. Spreadsheets often
start with a title row and group columns under a merged cell ("联系方式" over 手机, 邮箱, 微信): the
header is the row, or the pair of rows read together, that names the most known columns within the
first rows; a merged header cell names every column it spans.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum

from crm.model import Lang
from crm.table import Cell, Sheet

HEADER_SCAN_ROWS = 20  # the header is looked for in this many rows at the top of a sheet


class Field(StrEnum):
    COMPANY = "company"
    NAME = "name"
    TITLE = "title"
    PHONE = "phone"
    EMAIL = "email"
    WECHAT = "wechat"
    ADDRESS = "address"
    PROVINCE = "province"
    CITY = "city"
    DISTRICT = "district"
    OWNER = "owner"
    STAGE = "stage"
    BUDGET = "budget"
    NEXT_FOLLOW_UP = "next_follow_up"
    NOTES = "notes"
    UPDATED = "updated"  # when the row's values were last changed (the "newer" rule of an import)
    # Known, and not imported: record ids, creation times, an error file's reason, a row number.
    IGNORED = "ignored"


# Fields whose several columns are all read (a file with both 手机 and 电话, or two note columns).
MULTI = frozenset({Field.PHONE, Field.EMAIL, Field.NOTES})

# (zh, en) names written in templates and exports; the first of the synonyms below.
LABELS: dict[Field, tuple[str, str]] = {
    Field.COMPANY: ("客户名称", "Company"),
    Field.NAME: ("联系人", "Name"),
    Field.TITLE: ("职位", "Title"),
    Field.PHONE: ("手机", "Phone"),
    Field.EMAIL: ("邮箱", "Email"),
    Field.WECHAT: ("微信", "WeChat"),
    Field.ADDRESS: ("地址", "Address"),
    Field.PROVINCE: ("省", "Province"),
    Field.CITY: ("市", "City"),
    Field.DISTRICT: ("区", "District"),
    Field.OWNER: ("负责人", "Owner"),
    Field.STAGE: ("阶段", "Stage"),
    Field.BUDGET: ("预算", "Budget"),
    Field.NEXT_FOLLOW_UP: ("下次跟进", "Next follow-up"),
    Field.NOTES: ("备注", "Notes"),
    Field.UPDATED: ("更新时间", "Updated"),
}

_SYNONYMS: dict[Field, tuple[str, ...]] = {
    Field.COMPANY: (
        "客户名称",
        "客户",
        "客户名",
        "客户全称",
        "公司",
        "公司名称",
        "公司名",
        "单位",
        "单位名称",
        "企业",
        "企业名称",
        "机构",
        "机构名称",
        "客戶名稱",
        "客戶",
        "公司名稱",
        "單位",
        "單位名稱",
        "企業名稱",
        "company",
        "company name",
        "customer",
        "customer name",
        "account",
        "account name",
        "organization",
        "organisation",
        "org",
    ),
    Field.NAME: (
        "联系人",
        "联系人姓名",
        "姓名",
        "名字",
        "联络人",
        "客户联系人",
        "聯絡人",
        "聯繫人",
        "聯系人",
        "name",
        "contact",
        "contact name",
        "full name",
        "person",
    ),
    Field.TITLE: ("职位", "职务", "头衔", "岗位", "職位", "職務", "title", "job title", "position"),
    Field.PHONE: (
        "手机",
        "手机号",
        "手机号码",
        "电话",
        "电话号码",
        "联系电话",
        "移动电话",
        "座机",
        "办公电话",
        "手機",
        "手機號碼",
        "電話",
        "聯絡電話",
        "聯繫電話",
        "phone",
        "mobile",
        "mobile phone",
        "tel",
        "telephone",
        "cell",
        "phone number",
        "mobile number",
    ),
    Field.EMAIL: (
        "邮箱",
        "电子邮箱",
        "电子邮件",
        "邮件",
        "邮箱地址",
        "郵箱",
        "電郵",
        "電子郵件",
        "電子郵箱",
        "email",
        "e-mail",
        "mail",
        "email address",
    ),
    Field.WECHAT: ("微信", "微信号", "微信id", "微信號", "wechat", "wechat id", "weixin", "wx"),
    Field.ADDRESS: (
        "地址",
        "详细地址",
        "公司地址",
        "通讯地址",
        "联系地址",
        "地址信息",
        "詳細地址",
        "通訊地址",
        "address",
        "street address",
    ),
    Field.PROVINCE: ("省", "省份", "所在省", "province", "state"),
    Field.CITY: ("市", "城市", "所在城市", "city"),
    Field.DISTRICT: ("区", "区县", "县区", "區", "區縣", "district", "county"),
    Field.OWNER: (
        "负责人",
        "销售",
        "业务员",
        "所属销售",
        "跟进人",
        "归属人",
        "销售负责人",
        "客户经理",
        "負責人",
        "業務員",
        "跟進人",
        "owner",
        "sales rep",
        "rep",
        "account owner",
        "assigned to",
        "salesperson",
    ),
    Field.STAGE: (
        "阶段",
        "销售阶段",
        "商机阶段",
        "跟进阶段",
        "階段",
        "銷售階段",
        "stage",
        "sales stage",
        "deal stage",
    ),
    Field.BUDGET: (
        "预算",
        "预算金额",
        "金额",
        "商机金额",
        "预计金额",
        "預算",
        "金額",
        "budget",
        "amount",
        "deal amount",
        "deal value",
    ),
    Field.NEXT_FOLLOW_UP: (
        "下次跟进",
        "下次跟进时间",
        "下次跟进日期",
        "下次联系",
        "下次联系时间",
        "下次拜访",
        "下次跟進",
        "下次聯繫",
        "next follow-up",
        "next follow up",
        "follow-up",
        "follow up",
        "follow-up date",
        "next contact",
        "next step date",
    ),
    Field.NOTES: (
        "备注",
        "说明",
        "备注信息",
        "描述",
        "跟进记录",
        "備註",
        "說明",
        "notes",
        "note",
        "remarks",
        "remark",
        "comment",
        "comments",
        "description",
    ),
    Field.UPDATED: (
        "更新时间",
        "最后更新",
        "最后修改时间",
        "修改时间",
        "更新日期",
        "更新時間",
        "updated",
        "updated at",
        "last modified",
        "modified",
        "last updated",
    ),
    Field.IGNORED: (
        "id",
        "编号",
        "序号",
        "客户id",
        "联系人id",
        "no",
        "no.",
        "#",
        "创建时间",
        "创建日期",
        "建档时间",
        "建立時間",
        "created",
        "created at",
        "错误原因",
        "错误",
        "error",
        "errors",
        "失败原因",
        "决策角色",
        "decision role",
    ),
}

_REMARK = re.compile(r"[(\[（【][^)\]）】]*[)\]）】]")
_MARKS = re.compile(r"[*＊:：]")


def fold(header: str) -> str:
    """A header as compared: NFKC, lower case, no required mark, remark in brackets or spaces."""
    text = unicodedata.normalize("NFKC", header).lower()
    text = _REMARK.sub("", text)
    text = _MARKS.sub("", text)
    return " ".join(text.replace("_", " ").split())


_BY_NAME: dict[str, Field] = {}
for _field, _names in _SYNONYMS.items():
    for _name in (*_names, *LABELS.get(_field, ())):
        _BY_NAME.setdefault(fold(_name), _field)
        _BY_NAME.setdefault(fold(_name).replace(" ", ""), _field)


def field_of(header: str) -> Field | None:
    """The field a header names, or None for a header nobody knows."""
    folded = fold(header)
    return _BY_NAME.get(folded) or _BY_NAME.get(folded.replace(" ", ""))


def label(column: Field, lang: Lang) -> str:
    zh, en = LABELS[column]
    return zh if lang is Lang.ZH else en


@dataclass(frozen=True, slots=True)
class Layout:
    """Where a sheet's header is and what each column holds.

    `fields[i]` is column i's field (None: unknown, kept as a note under `headers[i]`); a second
    column of a single-valued field is kept as a note too. `data_from` is the first data row.
    """

    sheet: str
    headers: tuple[str, ...]
    fields: tuple[Field | None, ...]
    header_rows: tuple[int, ...]
    data_from: int
    unknown: tuple[str, ...] = field(default=())

    def has(self, wanted: Field) -> bool:
        return wanted in self.fields

    @property
    def importable(self) -> bool:
        return self.has(Field.COMPANY) or self.has(Field.NAME)


def text_of(cell: Cell) -> str:
    """A cell as text: numbers without a trailing ".0", dates in ISO form, nothing as ""."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "TRUE" if cell else "FALSE"
    if isinstance(cell, float):
        return str(int(cell)) if cell.is_integer() and abs(cell) < 1e15 else repr(cell)
    if isinstance(cell, datetime | date | time):
        return cell.isoformat(sep=" ") if isinstance(cell, datetime) else cell.isoformat()
    return str(cell).strip()


def _filled(sheet: Sheet, rows: int) -> list[list[str]]:
    """The top `rows` rows as text, each merged cell's value copied over the range it spans."""
    top = [[text_of(cell) for cell in row] for row in sheet.rows[:rows]]
    for merged in sheet.merged:
        if merged.first_row >= len(top):
            continue
        first = top[merged.first_row]
        value = first[merged.first_col] if merged.first_col < len(first) else ""
        if not value:
            continue
        for r in range(merged.first_row, min(merged.last_row, len(top) - 1) + 1):
            row = top[r]
            if len(row) <= merged.last_col:
                row.extend([""] * (merged.last_col + 1 - len(row)))
            for c in range(merged.first_col, merged.last_col + 1):
                row[c] = row[c] or value
    return top


def _layout(sheet: str, headers: Sequence[str], rows: tuple[int, ...]) -> Layout:
    fields: list[Field | None] = []
    unknown: list[str] = []
    for header in headers:
        found = field_of(header) if header else None
        if found is not None and found not in MULTI and found is not Field.IGNORED and found in fields:
            found = None  # a second "客户名称": its values are kept as a note, never lost
        if found is None and header:
            unknown.append(header)
        fields.append(found)
    return Layout(sheet, tuple(headers), tuple(fields), rows, rows[-1] + 1, tuple(unknown))


def _score(layout: Layout) -> tuple[int, int]:
    known = {f for f in layout.fields if f is not None and f is not Field.IGNORED}
    return (len(known), -len(layout.header_rows))


def find_layout(sheet: Sheet) -> Layout | None:
    """The header of a sheet: the row, or pair of rows, among the first ones naming the most known
    columns (a single row wins a tie). A header naming one known column only counts as the sheet's
    first row: further down, one known word is more likely a value (a list of column names explained
    in a sheet of instructions). None when no row names any."""
    top = _filled(sheet, HEADER_SCAN_ROWS + 1)
    first = next((i for i, row in enumerate(top) if any(row)), 0)
    best: Layout | None = None
    for i, row in enumerate(top[:HEADER_SCAN_ROWS]):
        candidates = [_layout(sheet.name, row, (i,))]
        if i + 1 < len(top):
            below = top[i + 1]
            width = max(len(row), len(below))
            pair = []
            for c in range(width):
                upper = row[c] if c < len(row) else ""
                lower = below[c] if c < len(below) else ""
                pair.append(lower if lower and (field_of(lower) or not upper) else upper)
            candidates.append(_layout(sheet.name, pair, (i, i + 1)))
        alone = _score(candidates[0])[0]
        for candidate in candidates:
            known = _score(candidate)[0]
            # One known column is a header only in the sheet's first row, itself naming it.
            single = i == first and alone == 1
            if known and (known > 1 or single) and (best is None or _score(candidate) > _score(best)):
                best = candidate
    return best


# --- what exports write besides the import's columns -----------------------------------------------
# The labels live here, beside the import's synonyms, because an import reads back what an export
# writes: a test checks that every export header is known to the importer.

EXPORT_LABELS: dict[str, tuple[str, str]] = {
    "id": ("ID", "ID"),
    "created": ("创建时间", "Created"),
    "deal": ("商机", "Deal"),
    "status": ("状态", "Status"),
    "amount": ("金额", "Amount"),
    "stage_since": ("进入阶段", "In stage since"),
    "closed": ("关闭时间", "Closed"),
    "lost_reason": ("输单原因", "Lost reason"),
    "time": ("时间", "Time"),
    "source": ("来源", "Source"),
    "content": ("内容", "Content"),
    "author": ("作者", "Author"),
    "decision_role": ("决策角色", "Decision role"),
}

SHEET_NAMES: dict[str, tuple[str, str]] = {
    "customers": ("客户", "Customers"),
    "contacts": ("联系人", "Contacts"),
    "deals": ("商机", "Deals"),
    "interactions": ("跟进记录", "Interactions"),
    "instructions": ("说明", "Instructions"),  # the import template's explanation of its columns
}

# Sheets an export writes that are records of work, not customers: an import leaves them alone.
NOT_IMPORTED = frozenset(
    fold(name) for key in ("deals", "interactions", "instructions") for name in SHEET_NAMES[key]
)

SOURCE_LABELS: dict[str, tuple[str, str]] = {
    "chat": ("聊天", "Chat"),
    "voice": ("语音", "Voice"),
    "card": ("名片", "Card"),
    "note": ("备注", "Note"),
    "document": ("文件", "Document"),
    "location": ("签到", "Check-in"),
}

STATUS_LABELS: dict[str, tuple[str, str]] = {
    "open": ("进行中", "Open"),
    "won": ("赢单", "Won"),
    "lost": ("输单", "Lost"),
}


def pick(pair: tuple[str, str], lang: Lang) -> str:
    return pair[0] if lang is Lang.ZH else pair[1]
