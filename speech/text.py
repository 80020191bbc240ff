"""Pure text helpers for transcripts: runaway-repetition detection and cut-off, prompt fitting."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

# Whisper, decoding silence or noise, can fall into a loop and repeat a word or phrase until its
# 224-token budget runs out ("4444…", "谢谢观看 谢谢观看 …"). Real dictation seldom says the same
# thing three times in a row, and never for 20+ characters, so runs that long are cut to one copy.
MIN_LOOP_REPEATS = 3
MIN_LOOP_CHARS = 20
_LOOP = re.compile(rf"(.{{1,50}}?)(?:\s*\1){{{MIN_LOOP_REPEATS - 1},}}", re.DOTALL)
_PUNCT_SPACE = re.compile(r"[\W_]+", re.UNICODE)
# Items of a prompt: the service joins names and terms with commas (ASCII or Chinese) or newlines.
_PROMPT_SEPARATORS = re.compile(r"\s*[,，、;；\n]+\s*")


@dataclass(frozen=True)
class Segment:
    """A stretch of the recording (seconds from its start) and what was said in it."""

    start: float
    end: float
    text: str


def collapse_loops(text: str) -> str:
    """Replace each run of >= 3 back-to-back copies of a unit, covering >= 20 characters, by one copy."""

    def _one_copy(match: re.Match[str]) -> str:
        return match.group(1) if len(match.group(0)) >= MIN_LOOP_CHARS else match.group(0)

    return _LOOP.sub(_one_copy, text).strip()


def has_loop(text: str) -> bool:
    """Whether the text holds a run that `collapse_loops` would cut (>= 3 copies over >= 20 characters)."""
    return any(len(m.group(0)) >= MIN_LOOP_CHARS for m in _LOOP.finditer(text))


def _key(text: str) -> str:
    return _PUNCT_SPACE.sub("", text).casefold()


def cut_repetitions(segments: Sequence[Segment]) -> list[Segment]:
    """Collapse loops inside segments and drop segments that repeat the previous one or are empty."""
    kept: list[Segment] = []
    for segment in segments:
        text = collapse_loops(segment.text)
        if not _key(text):
            continue
        if kept and _key(kept[-1].text) == _key(text):
            # A chunk that says exactly what the previous one said is a loop across chunks.
            kept[-1] = replace(kept[-1], end=segment.end)
            continue
        kept.append(replace(segment, text=text))
    return kept


def fit_prompt(prompt: str, encode: Callable[[str], list[int]], max_tokens: int) -> list[int]:
    """Tokens of `prompt` within `max_tokens`, keeping its end: whole items first, then raw tokens.

    The end is kept because callers list the most relevant names last, and it is what Whisper's
    own slicing keeps too. Items are separated by commas, 、, semicolons or newlines.
    """
    items = [item for item in _PROMPT_SEPARATORS.split(prompt.strip()) if item]
    if not items or max_tokens <= 0:
        return []

    def tokens_of(count: int) -> list[int]:
        # Whisper prompts conventionally start with a space, as transcribe() does.
        return encode(" " + ", ".join(items[len(items) - count :]))

    whole = tokens_of(len(items))
    if len(whole) <= max_tokens:
        return whole
    # The largest number of trailing items that fits; token counts grow with the item count.
    lo, hi = 0, len(items)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if len(tokens_of(mid)) <= max_tokens:
            lo = mid
        else:
            hi = mid - 1
    if lo > 0:
        return tokens_of(lo)
    # Even the last item alone is too long: keep its last tokens.
    return tokens_of(1)[-max_tokens:]
