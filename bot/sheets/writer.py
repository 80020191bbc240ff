"""Writing .xlsx with openpyxl's write-only workbook (rows stream to a temporary file: memory stays flat
at 100,000 rows).

Every string is written as a string cell: openpyxl would otherwise take a value starting with "=" for
a formula (and "#N/A" for an error), and a phone or an id typed as digits stays text. Control
characters XML cannot hold are dropped, and text longer than Excel's 32,767 characters per cell is cut.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, time
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.styles import Font

from crm.table import Cell

EXCEL_CELL_LIMIT = 32_767
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_DATETIME = "yyyy-mm-dd hh:mm"
_DATE = "yyyy-mm-dd"


class XlsxWriter:
    """crm.ports.WorkbookWriter on openpyxl."""

    def __init__(self) -> None:
        self._book = Workbook(write_only=True)
        self._sheet: Any = None
        self._bold = Font(bold=True)

    def add_sheet(self, name: str, header: Sequence[str], widths: Sequence[int] = ()) -> None:
        # Sheet names: at most 31 characters, none of []:*?/\ (Excel's rules).
        self._sheet = self._book.create_sheet(re.sub(r"[\[\]:*?/\\]", " ", name)[:31] or "Sheet")
        for index, width in enumerate(widths):
            letter = _letter(index)
            self._sheet.column_dimensions[letter].width = width
        self._sheet.append([self._cell(value, bold=True) for value in header])

    def append(self, rows: Sequence[Sequence[Cell]]) -> None:
        if self._sheet is None:
            raise RuntimeError("add_sheet first")
        for row in rows:
            self._sheet.append([self._value(value) for value in row])

    def _value(self, value: Cell) -> Any:
        """A plain value where openpyxl writes it as it is (the fast path: a cell object costs more; a
        datetime gets openpyxl's date-and-time format), a cell object where it would not."""
        if isinstance(value, str):
            if (
                _ILLEGAL.search(value)
                or len(value) > EXCEL_CELL_LIMIT
                or value.startswith("=")
                or value in ERROR_CODES
            ):
                return self._cell(value)
            return value
        if isinstance(value, datetime) and value.tzinfo is not None:
            # openpyxl refuses aware datetimes; the value is already the member's local time.
            return value.replace(tzinfo=None)
        return value

    def finish(self) -> bytes:
        if not self._book.worksheets:
            self._book.create_sheet("Sheet")
        out = BytesIO()
        self._book.save(out)
        return out.getvalue()

    def _cell(self, value: Cell, *, bold: bool = False) -> Any:
        cell = WriteOnlyCell(self._sheet)
        if isinstance(value, str):
            cell.value = _ILLEGAL.sub("", value)[:EXCEL_CELL_LIMIT]
            cell.data_type = "s"
        elif isinstance(value, datetime):
            cell.value = value.replace(tzinfo=None)
            cell.number_format = _DATETIME
        elif isinstance(value, date):
            cell.value = value
            cell.number_format = _DATE
        elif isinstance(value, time):
            cell.value = value
        else:
            cell.value = value
        if bold:
            cell.font = self._bold
        return cell


def _letter(index: int) -> str:
    letters = ""
    number = index + 1
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
