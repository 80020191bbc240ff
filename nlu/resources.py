"""Word lists packaged in nlu/data/ (one entry a line, "#" starts a comment), and the simplified form
of traditional and Cantonese text that the time and money parsers read."""

from __future__ import annotations

import functools
from importlib import resources

import opencc


@functools.cache
def word_list(name: str) -> tuple[str, ...]:
    text = resources.files("nlu").joinpath("data", name).read_text(encoding="utf-8")
    entries = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return tuple(entry for entry in entries if entry)


# Cantonese words for times and money, each replaced by Mandarin of the same length so that offsets
# into the rewritten text are offsets into the original (聽日 tomorrow, 尋日 yesterday, 晏晝 afternoon,
# 今個 this, 兩個鐘 two hours, 月尾 end of the month, 月頭 start of the month, 下晝 afternoon, 朝早 morning).
_CANTONESE = (
    ("聽日", "明天"), ("听日", "明天"), ("聽朝", "明早"), ("听朝", "明早"), ("聽晚", "明晚"),
    ("听晚", "明晚"), ("尋日", "昨天"), ("寻日", "昨天"), ("噚日", "昨天"), ("後日", "后天"),
    ("后日", "后天"), ("晏晝", "下午"), ("晏昼", "下午"), ("今個", "这个"), ("今个", "这个"),
    ("下個", "下个"), ("上個", "上个"), ("個鐘", "小时"), ("个钟", "小时"), ("月尾", "月底"),
    ("年尾", "年底"), ("月頭", "月初"), ("月头", "月初"), ("年頭", "年初"), ("年头", "年初"),
    ("下年", "明年"), ("宜家", "现在"), ("而家", "现在"), ("依家", "现在"), ("下晝", "下午"),
    ("下昼", "下午"), ("朝早", "早上"), ("今朝", "今早"),
)  # fmt: skip


@functools.cache
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@functools.lru_cache(maxsize=4096)
def simplified(text: str) -> str:
    """`text` in simplified Chinese with Cantonese time words in Mandarin, character for character.

    Offsets stay valid: a conversion that would change the length (OpenCC's phrase table can) is
    done character by character instead.
    """
    converted: str = _t2s().convert(text)
    if len(converted) != len(text):
        converted = "".join(c if len(c := _t2s().convert(ch)) == 1 else ch for ch in text)
    for cantonese, mandarin in _CANTONESE:
        converted = converted.replace(cantonese, mandarin)
    return converted
