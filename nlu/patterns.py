"""Contact details with a fixed shape: e-mail addresses, websites, WeChat ids and QQ numbers.

A web address is any host name whose last label is a top-level domain in the Public Suffix List (the
`publicsuffixlist` package ships a dated copy, so no list is fetched at run time): bit.ly, nyti.ms and
new gTLDs (.academy, .shop) are found as well as .com. A host written without "http://" or "www." must
look like one: not a file name (readme.md, setup.py), not "Mr.Li" or "Pvt.Ltd" between two words of a
sentence, not a clock time ("9.am").
"""

from __future__ import annotations

import functools
import re
import unicodedata

from publicsuffixlist import PublicSuffixList

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,24}(?![\w-])", re.ASCII)
_URL = re.compile(
    r"(?<![\w@/-])(?<![\w@-]\.)(?P<scheme>https?://)?(?P<www>www\.)?"
    r"(?P<host>(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+(?P<tld>[A-Za-z]{2,24}))(?![\w-])"
    r"(?::\d{2,5})?(?:[/?#][\w./%?#=&!:;,+~@*$'()-]*)?",
    re.ASCII,
)
# Top-level domains that are also file extensions people write in chats.
_FILE_EXTENSIONS = frozenset(("md", "py", "sh", "pl", "rs", "zip", "mov", "ps", "ts", "jar", "sql", "cc"))
# Words that end in a full stop before a word without a space: "Mr.Li", "Co.Ltd", "No.1 Road".
_ABBREVIATIONS = frozenset(
    ("mr", "mrs", "ms", "dr", "st", "co", "pvt", "inc", "ltd", "corp", "no", "vs", "prof", "jr", "sr", "dept")
)
_TRAILING = ".,;:!?')*"
# WeChat ids: 6-20 characters, a letter first, then letters, digits, "_" or "-" (WeChat's own rule);
# a phone number is also accepted as an id when it is labelled as one.
_WECHAT_LABEL = r"(?:微信号?|wechat(?:\s*id)?|weixin|wx|vx|v信|WeChat)"
_WECHAT = re.compile(
    _WECHAT_LABEL
    + r"\s*(?:号|id|ID)?\s*[:：是为]?\s*(?P<id>[A-Za-z][A-Za-z0-9_-]{5,19}|1[3-9]\d{9})(?![A-Za-z0-9_-])",
    re.IGNORECASE,
)
_QQ = re.compile(r"(?:QQ|qq|Qq)\s*(?:号)?\s*[:：是为]?\s*(?P<qq>[1-9]\d{4,11})(?!\d)")


def _clean(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def find_emails(text: str) -> list[str]:
    """E-mail addresses, lower-cased, in order, without repeats."""
    found = (m.group(0).strip(".").lower() for m in _EMAIL.finditer(_clean(text)))
    return list(dict.fromkeys(found))


def find_websites(text: str) -> list[str]:
    """Web addresses that are not part of an e-mail address, lower-cased, without a trailing dot."""
    cleaned = _clean(text)
    email_spans = [m.span() for m in _EMAIL.finditer(cleaned)]
    found: list[str] = []
    for match in _URL.finditer(cleaned):
        if any(start <= match.start() < end for start, end in email_spans) or not _is_web_host(match):
            continue
        address = match.group(0)
        # A bracket closes the address only when it opened before it: "(see bit.ly/x)".
        while address and address[-1] in _TRAILING and not (address[-1] == ")" and "(" in address):
            address = address[:-1]
        found.append(address.rstrip("/").lower())
    return list(dict.fromkeys(found))


@functools.cache
def _suffixes() -> PublicSuffixList:
    # Unknown suffixes are not public: "zhang.wei" or "v1.2" name no top-level domain.
    return PublicSuffixList(accept_unknown=False)


def _is_web_host(match: re.Match[str]) -> bool:
    host = match["host"].lower()
    if _suffixes().privatesuffix(host) is None:
        return False
    if match["scheme"] or match["www"]:
        return True
    labels = host.split(".")
    tld = labels[-1]
    said_tld = match["tld"]
    if tld in _FILE_EXTENSIONS or labels[0] in _ABBREVIATIONS:
        return False
    if said_tld[0].isupper() and not said_tld.isupper():
        # "Ltd.Ahmedabad", "Limited.We": a sentence run together, not a host.
        return False
    return not (tld in ("am", "pm") and labels[0].isdigit() and int(labels[0]) <= 24)


def find_wechat_ids(text: str) -> list[str]:
    """WeChat ids introduced by a label (微信 / WeChat / vx …)."""
    return list(dict.fromkeys(m.group("id") for m in _WECHAT.finditer(_clean(text))))


def find_qq(text: str) -> list[str]:
    """QQ numbers introduced by "QQ"."""
    return list(dict.fromkeys(m.group("qq") for m in _QQ.finditer(_clean(text))))


def contact_spans(text: str) -> list[tuple[int, int]]:
    """Where e-mail addresses, WeChat ids and QQ numbers (with their labels) are in `text`, in order.

    Offsets are into `text` as given: the caller passes text already NFKC-normalised.
    """
    spans = [m.span() for pattern in (_EMAIL, _WECHAT, _QQ) for m in pattern.finditer(text)]
    return sorted(spans)
