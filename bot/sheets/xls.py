"""Reading .xls (BIFF, Excel 97-2003) with xlrd: sparse, row by row, with its merged cells."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import xlrd

from crm.errors import InputRejected
from crm.table import Cell, Merged, Sheet

MAX_COLUMNS = 200


def read(data: bytes, max_rows: int) -> list[Sheet]:
    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, ragged_rows=True, on_demand=True)
    except Exception as exc:
        # xlrd raises XLRDError, CompDocError, struct and index errors on damaged or encrypted files.
        raise InputRejected("import.unreadable") from exc
    sheets: list[Sheet] = []
    left = max_rows
    try:
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            rows: list[list[Cell]] = []
            for r in range(sheet.nrows):
                row = [_cell(book, sheet.cell(r, c)) for c in range(sheet.row_len(r))]
                while row and row[-1] is None:
                    row.pop()
                if len(row) > MAX_COLUMNS:
                    raise InputRejected("import.too_many_columns", limit=MAX_COLUMNS)
                if row:
                    left -= 1
                    if left < 0:
                        raise InputRejected("import.too_many_rows", limit=max_rows)
                rows.append(row)
            while rows and not rows[-1]:
                rows.pop()
            merged = tuple(Merged(r0, c0, r1 - 1, c1 - 1) for r0, r1, c0, c1 in sheet.merged_cells)
            sheets.append(Sheet(sheet.name, rows, merged))
            book.unload_sheet(index)
    except InputRejected:
        raise
    except Exception as exc:
        raise InputRejected("import.unreadable") from exc
    finally:
        book.release_resources()
    return sheets


def _cell(book: Any, cell: Any) -> Cell:
    kind = cell.ctype
    if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
        return None
    if kind == xlrd.XL_CELL_DATE:
        moment: datetime = xlrd.xldate.xldate_as_datetime(cell.value, book.datemode)
        return (
            moment.date() if moment.time() == moment.min.time() and cell.value == int(cell.value) else moment
        )
    if kind == xlrd.XL_CELL_BOOLEAN:
        return bool(cell.value)
    if kind == xlrd.XL_CELL_NUMBER:
        value = float(cell.value)
        return int(value) if value.is_integer() else value
    text = str(cell.value)
    return text if text.strip() else None
