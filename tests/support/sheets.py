"""Spreadsheet files for the import tests, written by the real writers: openpyxl (.xlsx, with merged
header cells), xlwt (.xls, BIFF8 as Excel 97-2003 writes it) and the csv module (UTF-8, UTF-8 with BOM,
GBK)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import xlwt

from bot.sheets.reader import SpreadsheetFiles
from bot.sheets.writer import XlsxWriter
from chat.app import App, Ports
from storage.files import FileSpool, LocalBlobStore
from storage.uow import SqlUnitOfWorkFactory

# Any rather than Sequence[Any]: mypy joins a list literal of rows of mixed cells ([str, str], [str, None])
# to list[object], and these helpers take such literals as tests write them.
Row = Any


def xlsx(
    rows: Sequence[Row],
    *,
    title: str | None = None,
    group: tuple[str, int, int] | None = None,
    sheet: str = "客户",
) -> bytes:
    """An .xlsx whose data starts under an optional title row merged across the columns and an optional
    group header (text, first column, last column; 1-based) merged over some columns of the header."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    width = max(len(r) for r in rows)
    line = 1
    if title is not None:
        ws.cell(row=1, column=1, value=title)
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
        line += 1
    if group is not None:
        text, first, last = group
        ws.cell(row=line, column=first, value=text)
        ws.merge_cells(start_row=line, start_column=first, end_row=line, end_column=last)
        # Columns outside the group take their header from the row below: merge them down, as people do.
        line += 1
    for row in rows:
        for col, value in enumerate(row, start=1):
            if value is not None:
                ws.cell(row=line, column=col, value=value)
        line += 1
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xls(rows: Sequence[Row], *, title: str | None = None) -> bytes:
    """A BIFF8 .xls (xlwt), dates as Excel date cells, with an optional merged title row."""
    book = xlwt.Workbook(encoding="utf-8")
    ws = book.add_sheet("客户")
    dated = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    line = 0
    width = max(len(r) for r in rows)
    if title is not None:
        ws.write_merge(0, 0, 0, width - 1, title)
        line = 1
    for row in rows:
        for col, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, date | datetime):
                ws.write(line, col, value, dated)
            else:
                ws.write(line, col, value)
        line += 1
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: Sequence[Row], encoding: str) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([["" if v is None else v for v in row] for row in rows])
    return out.getvalue().encode(encoding)


def sheets_app(engine: Any, clock: Any, extractor: Any, tmp_path: Path, *, files: bool = False) -> App:
    """The app with the real spreadsheet reader and writer; with `files`, a file store as well (where
    files have no caption, a spreadsheet is kept there until the member says what it is for)."""
    from nlu.normalize import Normalizer

    return App(
        Ports(
            uow=SqlUnitOfWorkFactory(engine),
            clock=clock,
            extractor=extractor,
            normalizer=Normalizer(),
            spool=FileSpool(tmp_path / "spool"),
            blobs=LocalBlobStore(tmp_path / "files") if files else None,
            sheets=SpreadsheetFiles(),
            workbooks=XlsxWriter,
        )
    )


def read_xlsx(data: bytes) -> dict[str, list[list[Any]]]:
    """Every sheet's rows as values, for checking what was written."""
    book = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    return {ws.title: [list(row) for row in ws.iter_rows(values_only=True)] for ws in book.worksheets}
