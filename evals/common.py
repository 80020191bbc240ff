"""What every evaluation shares: where the development set is, text normalisation, edit distances,
precision/recall counts and Markdown tables."""

from __future__ import annotations

import os
import re
import statistics
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def devset() -> Path:
    """The real development set: $CHATCRM_DEVSET, else ../shared/devset beside the checkout."""
    configured = os.environ.get("CHATCRM_DEVSET")
    path = Path(configured) if configured else ROOT.parent / "shared" / "devset"
    if not path.is_dir():
        raise SystemExit(f"development set not found at {path}: set CHATCRM_DEVSET")
    return path


_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)


def normalise(text: str) -> str:
    """NFKC, case-folded, punctuation and spaces removed (full and half width alike)."""
    return _PUNCT.sub("", unicodedata.normalize("NFKC", text)).casefold()


def words(text: str) -> list[str]:
    return [w for w in _PUNCT.split(unicodedata.normalize("NFKC", text).casefold()) if w]


def edit_distance(ref: Sequence[str], hyp: Sequence[str]) -> int:
    """Levenshtein distance over tokens (characters or words)."""
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1]


def cer(ref: str, hyp: str) -> float:
    r = normalise(ref)
    return edit_distance(r, normalise(hyp)) / max(1, len(r))


def wer(ref: str, hyp: str) -> float:
    r = words(ref)
    return edit_distance(r, words(hyp)) / max(1, len(r))


@dataclass
class Counts:
    """Per-field counts: tp = right value found, fp = a value found that is wrong or not on the input,
    fn = a value on the input that was missed or wrong."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, truth: str | None, found: str | None) -> None:
        if truth and found and truth == found:
            self.tp += 1
            return
        if found:
            self.fp += 1
        if truth:
            self.fn += 1

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def median(values: Iterable[float]) -> float:
    values = list(values)
    return statistics.median(values) if values else float("nan")


def table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
