"""Button actions of the spreadsheet feature (short codes: Telegram allows 64 bytes of callback data)."""

from __future__ import annotations

from enum import StrEnum


class SheetAct(StrEnum):
    UNDO = "iu"  # target: import run id
