"""The one module that imports jionlp: lazy loading, a quiet import and serialised calls."""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import threading
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

# jionlp's parsers are module-level singletons that keep per-call state on `self` (the time base,
# for one), so two threads calling them at once would corrupt each other's results.
_LOCK = threading.Lock()


class _QuietJionlp(logging.Filter):
    """jionlp logs every string its time parser gives up on, with a traceback, on the root logger at
    ERROR: pieces of customers' messages in the log for an answer of "no time here"."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "jionlp" not in record.pathname.replace("\\", "/").split("/")


@functools.cache
def _jionlp() -> ModuleType:
    # `import jionlp` prints a banner to stdout and takes ~0.4 s, so it happens on first use only.
    with contextlib.redirect_stdout(io.StringIO()):
        import jionlp
    # A filter on the root logger itself sees only what is logged to it directly, as jionlp does.
    logging.getLogger().addFilter(_QuietJionlp())

    module: ModuleType = jionlp
    return module


def warm_up() -> None:
    """Import jionlp and load the dictionaries its time and money parsers read on first use."""
    extract_time("下周三下午3点见面", datetime(2026, 1, 5, 9, 0))  # noqa: DTZ001 - jionlp reads wall-clock time
    parse_money("50万")


def extract_time(text: str, base: datetime) -> list[dict[str, Any]]:
    """Time expressions in `text` resolved against the naive wall-clock `base`; [] on parser errors."""
    jio = _jionlp()
    with _LOCK:
        try:
            found: list[dict[str, Any]] = jio.ner.extract_time(text, time_base=base, with_parsing=True)
        except (ValueError, KeyError, IndexError, TypeError):
            return []
    return found


def parse_time(text: str, base: datetime) -> dict[str, Any] | None:
    """One time expression resolved against the naive wall-clock `base`; None when it does not parse."""
    jio = _jionlp()
    with _LOCK:
        try:
            parsed: dict[str, Any] = jio.parse_time(text, time_base=base)
        except (ValueError, KeyError, IndexError, TypeError):
            return None
    return parsed


def parse_money(text: str) -> dict[str, Any] | None:
    """An amount of money ("五十万", "30到50万"); None when it does not parse."""
    jio = _jionlp()
    with _LOCK:
        try:
            parsed: dict[str, Any] = jio.parse_money(text)
        except (ValueError, KeyError, IndexError, TypeError):
            return None
    return parsed


def extract_money(text: str) -> list[dict[str, Any]]:
    """Amounts of money in `text` with their parse (num, case = currency); [] on parser errors."""
    jio = _jionlp()
    with _LOCK:
        try:
            found: list[dict[str, Any]] = jio.ner.extract_money(text, with_parsing=True)
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            return []
    return found


def china_location(*, detail: bool = False) -> dict[str, Any]:
    """jionlp's province -> city -> county dictionary (with `_alias` entries; `_admin_code` with detail)."""
    jio = _jionlp()
    with _LOCK:
        loaded: dict[str, Any] = jio.china_location_loader(detail=detail)
    return loaded


def china_location_changes() -> list[dict[str, Any]]:
    """jionlp's list of renamed and merged divisions: old_loc (names, short names) -> new_loc."""
    jio = _jionlp()
    with _LOCK:
        changes: list[dict[str, Any]] = jio.china_location_change_loader()
    return changes


def chinese_words() -> frozenset[str]:
    """The words of jionlp's Chinese dictionary (the 33,000 of the Xinhua dictionary still in use)."""
    jio = _jionlp()
    with _LOCK:
        words: dict[str, str] = jio.chinese_word_dictionary_loader()
    return frozenset(words)


def china_location_file() -> Path | None:
    """jionlp's full gazetteer (province, city, county, town, village; one a line, indented by level),
    of which its loader keeps three levels; None where the package does not ship it."""
    package = _jionlp().__file__
    if package is None:
        return None
    path = Path(package).parent / "dictionary" / "china_location.txt"
    return path if path.is_file() else None


def world_location() -> dict[str, Any]:
    """jionlp's continent -> country -> {full_name, capital, main_city} dictionary (Chinese names)."""
    jio = _jionlp()
    with _LOCK:
        loaded: dict[str, Any] = jio.world_location_loader()
    return loaded
