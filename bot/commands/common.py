"""Helpers the subcommands share: the reference time, reading files, printing facts."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.settings import Settings


def reference_time(settings: Settings, value: str | None) -> datetime:
    """`--now` (ISO 8601, the default timezone if it has none), or the current time."""
    tz = ZoneInfo(settings.default_timezone)
    if value:
        moment = datetime.fromisoformat(value)
        return moment if moment.tzinfo else moment.replace(tzinfo=tz)
    return datetime.now(UTC).astimezone(tz)


def fail(as_json: bool, key: str, message: str, code: int = 1) -> int:
    """A command's failure: `{"error": key, "message": …}` on stdout under --json (scripts parse
    stdout), else the message on stderr. Returns the exit status."""
    if as_json:
        print(json.dumps({"error": key, "message": message}, ensure_ascii=False))
    else:
        print(message, file=sys.stderr)
    return code


def read_text(path: Path, *, as_json: bool = False) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(as_json, "cannot_read", f"cannot read {path}: {exc}")
        return None


def read_bytes(path: Path, *, as_json: bool = False) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError as exc:
        fail(as_json, "cannot_read", f"cannot read {path}: {exc}")
        return None


def print_data(data: dict[str, Any], *, as_json: bool) -> None:
    """JSON for scripts, or `key: value` lines for people (empty values left out)."""
    if as_json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return
    for key, value in data.items():
        if value in (None, [], {}, ""):
            continue
        if isinstance(value, list):
            print(f"{key}:")
            for item in value:
                print(f"  - {json.dumps(item, ensure_ascii=False) if isinstance(item, dict) else item}")
        elif isinstance(value, dict):
            print(f"{key}: {json.dumps(value, ensure_ascii=False)}")
        else:
            print(f"{key}: {value}")
