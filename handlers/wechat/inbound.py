"""One WeChat / WeCom message as our own input type, unpacked from the callback's decrypted fields.

No wechatpy here: bot/wechat verifies and decrypts, this module only reads the documented fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from crm.model import Channel


class Malformed(Exception):
    """The fields every message has (sender, type, time) are missing or wrong."""


@dataclass(frozen=True, slots=True)
class Inbound:
    channel: Channel
    kind: str  # MsgType: text, voice, image, file, location, link, video, event, ...
    sender: str  # FromUserName: the OpenID (Official Account) or UserID (WeCom)
    created: int  # CreateTime, seconds since the epoch
    msg_id: str | None = None
    text: str = ""
    media_id: str | None = None
    media_format: str | None = None  # voice: amr / speex
    recognition: str | None = None  # voice: WeChat's own speech recognition, when switched on
    filename: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    label: str | None = None
    title: str | None = None
    description: str | None = None
    url: str | None = None
    event: str | None = None
    event_key: str | None = None

    @property
    def key(self) -> str:
        """The idempotency key: MsgId for messages, sender + CreateTime + event for events (WeChat's own
        advice). The sender is part of both because MsgIds have been seen to repeat across users."""
        prefix = "wx" if self.channel == Channel.WECHAT else "wecom"
        if self.msg_id:
            return f"{prefix}:{self.sender}:{self.msg_id}"
        return f"{prefix}:{self.sender}:{self.created}:{self.event or self.kind}"


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def unpack(channel: Channel, fields: Mapping[str, str]) -> Inbound:
    """Reads the documented fields of every message type; unknown ones pass through as their type."""
    sender = fields.get("FromUserName", "").strip()
    kind = fields.get("MsgType", "").strip().lower()
    created = fields.get("CreateTime", "").strip()
    if not sender or not kind or not created.isdigit() or len(sender) > 128:
        raise Malformed("FromUserName, MsgType and CreateTime are required")

    def text(name: str) -> str | None:
        value = fields.get(name)
        return value if value not in (None, "") else None

    event = text("Event")
    return Inbound(
        channel=channel,
        kind=kind,
        sender=sender,
        created=int(created),
        msg_id=text("MsgId") or text("MsgID"),
        text=fields.get("Content", ""),
        media_id=text("MediaId"),
        media_format=(text("Format") or "").lower() or None,
        recognition=text("Recognition"),
        filename=text("FileName") or (text("Title") if kind == "file" else None),
        latitude=_float(fields.get("Location_X") or fields.get("Latitude")),
        longitude=_float(fields.get("Location_Y") or fields.get("Longitude")),
        label=text("Label"),
        title=text("Title"),
        description=text("Description"),
        url=text("Url"),
        event=event.lower() if event else None,
        event_key=text("EventKey"),
    )
