"""Reading .xlsx with python-calamine, after checking what the package would unpack to.

calamine builds each sheet as a dense grid of the area its cells span. The package's declared sizes are
checked first (a ZIP bomb is refused before anything inflates), then each worksheet's XML is streamed
once to find the rows and columns that really hold values, so that no sheet asks for a grid larger
than `MAX_CELLS`.
"""

from __future__ import annotations

import re
import zipfile
from datetime import date, datetime, time, timedelta
from io import BytesIO
from typing import Any

import python_calamine

from crm.errors import InputRejected
from crm.table import Cell, Merged, Sheet

MAX_UNPACKED = 256 * 1024 * 1024  # what the whole package may inflate to
MAX_CELLS = 4_000_000  # the used area calamine may allocate for one sheet (about 32 bytes a cell)
MAX_COLUMNS = 200
_CHUNK = 1024 * 1024
# An opening <row> or <c> tag (with any namespace prefix): its attributes and whether it is empty.
_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)\b([^>]*?)(/?)>")
_REF = re.compile(rb'\br="([A-Z]*)(\d*)"')


def read(package: zipfile.ZipFile, data: bytes, max_rows: int) -> list[Sheet]:
    infos = package.infolist()
    if sum(info.file_size for info in infos) > MAX_UNPACKED:
        raise InputRejected("import.too_large", limit=MAX_UNPACKED // (1024 * 1024))
    for info in infos:
        if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
            height, width = _extent(package, info)
            if width > MAX_COLUMNS:
                raise InputRejected("import.too_many_columns", limit=MAX_COLUMNS)
            if height * width > MAX_CELLS:
                raise InputRejected("import.too_many_rows", limit=max_rows)
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(BytesIO(data))
    except python_calamine.PasswordError as exc:
        raise InputRejected("import.encrypted") from exc
    except Exception as exc:
        # calamine raises its own errors (XmlError, ZipError, CalamineError...) for damaged files.
        raise InputRejected("import.unreadable") from exc
    sheets: list[Sheet] = []
    left = max_rows
    try:
        for name in book.sheet_names:
            sheet = book.get_sheet_by_name(name)
            rows = _rows(sheet, left)
            left -= sum(1 for row in rows if row)
            sheets.append(Sheet(name, rows, _merged(sheet)))
    except InputRejected:
        raise
    except Exception as exc:
        raise InputRejected("import.unreadable") from exc
    finally:
        book.close()
    return sheets


def _rows(sheet: Any, left: int) -> list[list[Cell]]:
    rows: list[list[Cell]] = []
    start_row, start_col = sheet.start or (0, 0)
    # calamine's rows begin at the used area's first row and column; keep spreadsheet positions.
    rows.extend([] for _ in range(start_row))
    for raw in sheet.iter_rows():
        row = [None] * start_col + [_cell(value) for value in raw]
        while row and row[-1] is None:
            row.pop()
        if row:
            left -= 1
            if left < 0:
                raise InputRejected("import.too_many_rows", limit=0)
        rows.append(row)
    while rows and not rows[-1]:
        rows.pop()
    return rows


def _cell(value: Any) -> Cell:
    if value == "" or value is None:
        return None
    if isinstance(value, timedelta):
        # A duration cell (calamine's timedelta): its time of day, as a time cell would read.
        seconds = int(value.total_seconds()) % 86_400
        return time(seconds // 3600, seconds // 60 % 60, seconds % 60)
    if isinstance(value, bool | int | float | str | datetime | date | time):
        return value
    return str(value)


def _merged(sheet: Any) -> tuple[Merged, ...]:
    ranges = getattr(sheet, "merged_cell_ranges", None) or []
    return tuple(Merged(first[0], first[1], last[0], last[1]) for first, last in ranges)


def _column(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + (letter - 64)
    return number


def _extent(package: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[int, int]:
    """Rows and columns up to the last cell holding a value, read as calamine places cells: by their
    reference, or after the previous one when a tag has none."""
    row = col = max_row = max_col = 0
    unpacked = 0
    tail = b""
    try:
        with package.open(info) as stream:
            while True:
                chunk = stream.read(_CHUNK)
                unpacked += len(chunk)
                if unpacked > MAX_UNPACKED:
                    raise InputRejected("import.too_large", limit=MAX_UNPACKED // (1024 * 1024))
                text = tail + chunk
                cut = text.rfind(b"<") if chunk else len(text)
                body, tail = text[:cut], text[cut:]
                for tag in _TAG.finditer(body):
                    ref = _REF.search(tag[2])
                    if tag[1] == b"row":
                        row = int(ref[2]) if ref and ref[2] else row + 1
                        col = 0
                        continue
                    if ref and ref[1]:
                        col = _column(ref[1])
                        row = int(ref[2]) if ref[2] else row
                    else:
                        col += 1
                    if not tag[3]:
                        max_row, max_col = max(max_row, row), max(max_col, col)
                if not chunk:
                    break
    except zipfile.BadZipFile as exc:
        raise InputRejected("import.unreadable") from exc
    return max_row, max_col
