"""Whether a short Chinese token reads as a person's full name (张伟, 马化腾, 欧阳娜娜) rather than a word.

Hundreds of everyday words start with a surname character (周五, 方案, 马上, 高新, 全部), so a token
is a name only when its given-name characters are ones names use and it is neither a listed word
(not_names.txt) nor a place in jionlp's gazetteer.
"""

from __future__ import annotations

import functools
import re

from nlu import region
from nlu.resources import word_list

# Characters that given names practically never use: particles, pronouns, speech and intent verbs,
# units of time and measure, place suffixes, office words and the first characters of titles
# (张总, 王经理 are honorifics, recognised elsewhere). Common name characters such as 明 天 元 月 一
# 中 家 stay out even though they also occur in words; those words are in not_names.txt.
_NOT_GIVEN = frozenset(
    "的了着过是在和与跟及或但而且就才都也还又再很太更最已曾将把被让给对向往从到于以为因所其之乎者"
    "吗呢吧啊呀哦嗯么们这那哪谁啥怎些每各几个不没别"
    "我你他她它您咱自己"
    "说讲问答想要觉得表示提认告诉称叫来去看做"
    "年日时分秒点号周今昨早晚午夜期次回趟件条台套块亿百零斤吨"
    "区县市省路街镇村乡巷楼层室"
    "司部门码话机箱址单价款额费钱货务案档表"
    "总经理工主管负董院厂处科助秘先女士姐哥"
    "上下内外前后里边面"
)
_HAN = re.compile(r"[\u4e00-\u9fff]+")


@functools.cache
def _surnames() -> tuple[frozenset[str], frozenset[str]]:
    names = word_list("surnames.txt")
    return frozenset(n for n in names if len(n) == 1), frozenset(n for n in names if len(n) == 2)


@functools.cache
def _not_names() -> frozenset[str]:
    return frozenset(word_list("not_names.txt"))


def surname_length(text: str) -> int:
    """How many characters of `text` are a surname from surnames.txt (2 for 欧阳), 0 for none."""
    single, double = _surnames()
    if text[:2] in double:
        return 2
    return 1 if text[:1] in single else 0


def is_chinese_name(token: str) -> bool:
    """A surname and one or two given-name characters, and not a word or a place that looks like one."""
    if not 2 <= len(token) <= 4 or not _HAN.fullmatch(token):
        return False
    surname = surname_length(token)
    given = token[surname:]
    if surname == 0 or not 1 <= len(given) <= 2 or any(ch in _NOT_GIVEN for ch in given):
        return False
    words = _not_names()
    # A three-character token that starts with a listed word is that word and a suffix: 周五见, 方案书.
    if token in words or (len(token) == 3 and token[:2] in words):
        return False
    return not region.is_place(token)


def is_common_word(token: str) -> bool:
    """Whether `token` is listed in not_names.txt: a word that only looks like a name."""
    return token in _not_names()


def warm_up() -> None:
    """Read the surname and word lists now rather than on the first message."""
    _surnames()
    _not_names()
