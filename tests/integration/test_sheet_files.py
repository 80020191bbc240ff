"""The spreadsheet readers and writer on real files: formats told by content, CSV encodings detected,
merged cells, and the files that must be refused without exhausting memory (a ZIP bomb, a tiny .xlsx
naming a cell at XFD1048576, too many rows or columns, damaged or foreign files)."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, timedelta, timezone

import openpyxl
import pytest

from bot.sheets.csvfile import decode
from bot.sheets.reader import SpreadsheetFiles
from bot.sheets.writer import XlsxWriter
from crm.errors import InputRejected
from crm.table import Cell, Merged
from tests.support.sheets import csv_bytes, read_xlsx, xls, xlsx

ROWS = [["客户名称", "联系人", "手机"], ["华为技术有限公司", "张伟", "13800138000"], ["腾讯", "李娜", None]]


def read(data: bytes, name: str = "f", max_rows: int = 100) -> list[list[Cell]]:
    sheets = SpreadsheetFiles().read(data, name, max_rows)
    return [row for row in sheets[0].rows if row]


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (xlsx(ROWS), "a.xlsx"),
        (xlsx(ROWS), "named wrongly.csv"),  # the content decides, not the name
        (xls(ROWS), "a.xls"),
        (csv_bytes(ROWS, "utf-8"), "a.csv"),
        (csv_bytes(ROWS, "utf-8-sig"), "a.csv"),
        (csv_bytes(ROWS, "gbk"), "a.csv"),
        (csv_bytes(ROWS, "gb18030"), "a.txt"),
        (csv_bytes(ROWS, "utf-8").replace(b",", b"\t"), "a.tsv"),
        (csv_bytes(ROWS, "utf-8").replace(b",", b";"), "a.csv"),
    ],
)
def test_each_format_reads_the_same_rows(data: bytes, name: str) -> None:
    rows = read(data, name)
    assert [str(cell) if cell is not None else None for cell in rows[1]] == [
        "华为技术有限公司",
        "张伟",
        "13800138000",
    ]
    assert rows[2][:2] == ["腾讯", "李娜"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "big5"])
def test_csv_encodings_are_detected(encoding: str) -> None:
    text = (
        "客戶名稱,聯絡人\n台灣積體電路製造股份有限公司,陳大文\n"
        if encoding == "big5"
        else "客户名称,联系人\n北京字节跳动科技有限公司,王芳\n"
    )
    assert decode(text.encode(encoding)) == text


def test_merged_cells_and_dates_come_through_from_xlsx_and_xls() -> None:
    rows = [["客户名称", "下次跟进"], ["华为", date(2026, 12, 8)]]
    book = SpreadsheetFiles().read(xlsx(rows, title="名单"), "a.xlsx", 10)[0]
    assert book.merged == (Merged(0, 0, 0, 1),)
    assert book.rows[2][1] in (date(2026, 12, 8), datetime(2026, 12, 8))
    old = SpreadsheetFiles().read(xls(rows, title="名单"), "a.xls", 10)[0]
    assert old.merged == (Merged(0, 0, 0, 1),)
    assert old.rows[2][1] == date(2026, 12, 8)


def _zip(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for name, body in parts.items():
            package.writestr(name, body)
    return out.getvalue()


def test_a_zip_bomb_is_refused_before_it_inflates() -> None:
    base = xlsx(ROWS)
    with zipfile.ZipFile(io.BytesIO(base)) as package:
        parts = {name: package.read(name) for name in package.namelist()}
    parts["xl/media/padding.bin"] = b"\0" * (300 * 1024 * 1024)  # compresses to about 300 kB
    bomb = _zip(parts)
    assert len(bomb) < 1024 * 1024
    with pytest.raises(InputRejected) as refused:
        read(bomb, "bomb.xlsx")
    assert refused.value.key == "import.too_large"


def test_a_tiny_xlsx_naming_a_far_cell_is_refused_without_allocating_the_grid() -> None:
    book = openpyxl.Workbook()
    book.active["A1"] = "客户名称"
    book.active.cell(row=1_000_000, column=150, value="x")
    out = io.BytesIO()
    book.save(out)
    assert len(out.getvalue()) < 10_000
    with pytest.raises(InputRejected) as refused:
        read(out.getvalue(), "far.xlsx")
    assert refused.value.key == "import.too_many_rows"


@pytest.mark.parametrize(
    ("data", "key"),
    [
        (csv_bytes([["客户名称"], *([f"公司{i}"] for i in range(200))], "utf-8"), "import.too_many_rows"),
        (xls([["客户名称"], *([f"公司{i}"] for i in range(200))]), "import.too_many_rows"),
        (xlsx([["客户名称"], *([f"公司{i}"] for i in range(200))]), "import.too_many_rows"),
        (csv_bytes([[f"c{i}" for i in range(300)]], "utf-8"), "import.too_many_columns"),
        (b"PK\x03\x04 not really a zip", "import.unreadable"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "import.unreadable"),
        (_zip({"word/document.xml": b"<w/>"}), "import.unsupported"),
        (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "import.unsupported"),
        (b"", "import.empty"),
    ],
)
def test_files_that_cannot_be_imported_are_refused_with_the_reason(data: bytes, key: str) -> None:
    with pytest.raises(InputRejected) as refused:
        read(data, "x", max_rows=100)
    assert refused.value.key == key


def test_the_writer_keeps_text_as_text_and_writes_local_times() -> None:
    writer = XlsxWriter()
    writer.add_sheet("客户/联系人:一览", ["公式", "手机", "时间"], (10, 10, 10))
    writer.append(
        [
            ["=1+1", "+8613800138000", datetime(2026, 12, 8, 15, 30)],
            ["bad\x01char", "0012", None],
            ["#N/A", "", datetime(2026, 12, 8, 15, 30, tzinfo=timezone(timedelta(hours=8)))],
        ]
    )
    sheets = read_xlsx(writer.finish())
    ((name, rows),) = sheets.items()
    assert name == "客户 联系人 一览"  # characters Excel forbids in sheet names are replaced
    assert rows[1] == ["=1+1", "+8613800138000", datetime(2026, 12, 8, 15, 30)]
    assert rows[2][:2] == ["badchar", "0012"]
    # An error code stays the text it was; an aware time is written as the local time it names.
    assert rows[3][0] == "#N/A" and rows[3][2] == datetime(2026, 12, 8, 15, 30)
