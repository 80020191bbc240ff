"""What the application hands a channel to show: localized text and channel-neutral buttons.

Telegram renders buttons as an inline keyboard; the console and WeChat number them and take the
number as the reply.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from chat.messages import t
from crm.model import Lang


class Act(StrEnum):
    """Button actions. The codes are short because Telegram allows 64 bytes of callback data.

    A new feature may declare its own StrEnum of actions instead; the registry refuses a code that
    is taken.
    """

    CONFIRM = "ok"
    EDIT_MENU = "em"  # show the fields that can be corrected
    EDIT_FIELD = "ef"  # arg: field name; the next text is the value
    FOLLOW_UP = "fu"  # arg: FollowUp value, or "" to show the choices
    ATTACH_MENU = "am"  # show customers this capture could belong to
    ATTACH_TO = "at"  # arg: customer id
    MERGE = "mg"  # target: duplicate flag id
    KEEP_SEPARATE = "ks"  # target: duplicate flag id
    UNDO_MERGE = "um"  # target: merge id
    OPEN_CUSTOMER = "oc"  # target: customer id
    RETRY = "rt"  # arg: spool token
    CANCEL = "cx"
    # reminders
    REMINDER_DONE = "rd"
    REMINDER_SNOOZE = "rs"  # arg: "1h" or "tomorrow"
    REMINDER_PICK = "rp"  # the next text is the new time
    SETTINGS = "sg"  # arg: what /settings takes ("quiet off", "weekend monday"), with no ":"
    # voice minutes
    MINUTES_CUSTOMER = "mc"  # target: interaction id; arg: customer id, "new", or "" for the choices
    MINUTES_DISCARD = "md"  # target: interaction id
    MINUTES_EDIT = "me"  # target: interaction id; arg: field name, or "" for the menu
    # target: the voice interaction whose stored file is transcribed again (0 with arg: a spool token)
    VOICE_RETRY = "vr"
    # deals
    DEAL_OPEN = "do"
    DEAL_ADVANCE = "da"
    DEAL_EVIDENCE = "de"  # target: pending evidence id; arg: requirement
    DEAL_ROLE = "dr"  # target: contact id; arg: decision role
    DEAL_PING = "dp"
    DEAL_LOST = "dl"
    DEAL_OVERRIDE = "dv"  # target: deal id; arg: stage key; the next text is the reason (managers)
    DEAL_FIELD = "df"  # target: deal id; arg: "budget" or "timeline"; the next text is the value
    DEAL_DECLARE = "dk"  # target: deal id; arg: requirement the member confirms by their word
    DEAL_CHAIN = "dh"  # target: deal id: its contacts, to set their roles
    DEAL_EVIDENCE_DEAL = "dx"  # target: pending evidence id; arg: deal id
    DEAL_EVIDENCE_CHAT = "dc"  # target: captured interaction id; arg: requirement
    # WeChat / WeCom channel
    CHECKIN_AT = "ci"  # target: check-in interaction id; arg: customer id
    # business cards
    CARD_FIX = "cf"  # target: card interaction id; arg: card field; the next text replaces what OCR read


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    act: StrEnum  # an Act, or a feature's own action enum
    target: int = 0
    arg: str = ""


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file to send with a reply, e.g. the funnel chart. `instead` is what a channel that cannot send
    such a file (a WeChat Official Account: no file messages) says in its place."""

    data: bytes
    filename: str
    mime: str
    instead: str = ""


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    attachment: Attachment | None = None
    # True when the reply replaces the message whose button was pressed (Telegram edits it in place).
    replace: bool = False

    def all_buttons(self) -> list[Button]:
        return [button for row in self.buttons for button in row]


@dataclass(frozen=True, slots=True)
class Replies:
    """Several replies in order, e.g. a status line followed by a card."""

    items: tuple[Reply, ...] = field(default_factory=tuple)

    def as_one(self) -> Reply:
        """For a channel that shows one message with one numbered menu (console, WeChat): the texts
        together, the last reply's buttons."""
        if not self.items:
            return Reply("")
        return Reply("\n\n".join(item.text for item in self.items), self.items[-1].buttons)


def rows(*buttons: Button | None, width: int = 2) -> tuple[tuple[Button, ...], ...]:
    """Lays buttons out `width` to a row, skipping None."""
    present = [button for button in buttons if button is not None]
    return tuple(tuple(present[i : i + width]) for i in range(0, len(present), width))


def text(lang: Lang, key: str, **params: object) -> Reply:
    """A reply of one catalogue message."""
    return Reply(t(lang, key, **params))
