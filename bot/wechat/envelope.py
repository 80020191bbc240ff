"""Safe XML for callbacks: size and DTD checks before any parsing, then defusedxml.

WeChat's messages are flat <xml> documents of short fields; nothing legitimate carries a DOCTYPE, so
one is refused outright (entity expansion, external entities), as is anything over the size limit.
"""

from __future__ import annotations

import re
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

# A pasted chat of a few thousand characters, encrypted and base64-encoded, stays far below this.
MAX_BODY_BYTES = 256 * 1024
MAX_FIELDS = 64
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


class XmlRejected(Exception):
    """Malformed, oversized or dangerous XML: answer 400 and process nothing."""


def fields(body: bytes | str) -> dict[str, str]:
    """The child elements of a WeChat <xml> document as {tag: text}; nested elements keep their text."""
    raw = body.encode() if isinstance(body, str) else body
    if len(raw) > MAX_BODY_BYTES:
        raise XmlRejected("too large")
    if _DTD.search(raw):
        raise XmlRejected("DTD or entity declaration")
    try:
        root = fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise XmlRejected(type(exc).__name__) from exc
    if root.tag != "xml":
        raise XmlRejected(f"root element {root.tag!r}")
    children = list(root)
    if len(children) > MAX_FIELDS:
        raise XmlRejected("too many fields")
    return {child.tag: child.text or "" for child in children}
