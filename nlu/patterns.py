"""Contact details with a fixed shape: e-mail addresses, websites, WeChat ids and QQ numbers."""

from __future__ import annotations

import re
import unicodedata

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,24}(?![\w-])", re.ASCII)
_URL = re.compile(
    r"(?<![\w@./-])(?:https?://)?(?:www\.)?(?:[A-Za-z0-9-]+\.)+(?:com|cn|net|org|io|co|info|biz|tech|ai|hk|tw)"
    r"(?:\.[a-z]{2})?(?::\d{2,5})?(?:/[\w./%?#=&-]*)?(?![\w@-])",
    re.ASCII | re.IGNORECASE,
)
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
        if any(start <= match.start() < end for start, end in email_spans):
            continue
        found.append(match.group(0).rstrip("./").lower())
    return list(dict.fromkeys(found))


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
