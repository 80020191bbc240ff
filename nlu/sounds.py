"""How Chinese text sounds, for matching a name a transcript spells with other characters (章伟 for 张伟).

Each Han character becomes the set of its toneless readings (all of them: 曾 is zeng and ceng), with
the retroflex initials and the -ng finals folded the way many speakers blur them (zh/z, ch/c, sh/s,
-ng/-n). crm.voice_match takes two spellings as alike when every position shares a reading.
"""

from __future__ import annotations

import functools
import os
import re

# Per-character readings are all this module uses; without pypinyin's phrase dictionary it needs
# about 12 MB instead of 55 MB. Read by pypinyin when it is first imported.
os.environ.setdefault("PYPINYIN_NO_PHRASES", "true")

from pypinyin import Style, pinyin

Sound = frozenset[str]
_HAN = re.compile(r"[\u4e00-\u9fff]")
_FOLDS = ((re.compile(r"^([zcs])h"), r"\1"), (re.compile(r"ng$"), "n"))


def sounds(text: str) -> tuple[Sound, ...]:
    """The readings of each Han character in `text`, in order; other characters are skipped."""
    return tuple(_readings(ch) for ch in text if _HAN.match(ch))


@functools.lru_cache(maxsize=16_384)
def _readings(ch: str) -> Sound:
    readings = pinyin(ch, style=Style.NORMAL, heteronym=True)[0]
    return frozenset(_fold(reading) for reading in readings)


def _fold(reading: str) -> str:
    for pattern, replacement in _FOLDS:
        reading = pattern.sub(replacement, reading)
    return reading
