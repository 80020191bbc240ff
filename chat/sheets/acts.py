"""Button actions of the spreadsheet feature (short codes: Telegram allows 64 bytes of callback data)."""

from __future__ import annotations

from enum import StrEnum


class SheetAct(StrEnum):
    UNDO = "iu"  # target: import run id
    # A spreadsheet sent where files have no caption, kept until the member chooses (target: its file id):
    DRY = "id"  # arg: mode; the dry run, then the confirmation
    RUN = "ir"  # arg: "mode-token"; the import confirmed (the token makes a repeated confirmation one)
    EVIDENCE = "ie"  # handed on to the file routes after the spreadsheets' (deal evidence)
    DROP = "ix"  # nothing is done with it
