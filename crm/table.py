"""Cells and sheets as a spreadsheet reader hands them to the domain (crm.ports.SpreadsheetReader)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

# What a cell holds once read: text, a number, a truth value, a date or time (naive: spreadsheets have
# no timezones; the importer reads them in the member's), or nothing.
Cell = str | int | float | bool | datetime | date | time | None


@dataclass(frozen=True, slots=True)
class Merged:
    """A merged range, 0-based and inclusive: its value is in the first cell only."""

    first_row: int
    first_col: int
    last_row: int
    last_col: int


@dataclass(frozen=True, slots=True)
class Sheet:
    """One sheet: its rows as read (header rows included), each without trailing empty cells, and the
    merged ranges the file declares (.xlsx and .xls; a CSV has none)."""

    name: str
    rows: list[list[Cell]]
    merged: tuple[Merged, ...] = field(default=())
