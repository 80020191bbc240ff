"""The domain records. Repositories return these, never ORM rows.

Timestamps are timezone-aware UTC; a member's timezone is only applied when reading or writing
times the member says or sees.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from crm.facts import DecisionRole, Party, Region

DEFAULT_TIMEZONE = "Asia/Shanghai"


class Role(StrEnum):
    REP = "rep"
    MANAGER = "manager"
    ADMIN = "admin"

    @property
    def sees_team(self) -> bool:
        """Managers and admins see the whole team's customers; a rep only their own."""
        return self is not Role.REP


class Lang(StrEnum):
    ZH = "zh"
    EN = "en"

    @classmethod
    def from_code(cls, code: str | None) -> Lang:
        """A messenger's language code (Telegram's language_code, a locale) to one we speak."""
        if code and code.lower().startswith("en"):
            return cls.EN
        if code and code.lower().startswith("zh"):
            return cls.ZH
        # Most of our reps are Chinese-speaking; an unknown code most likely is, too.
        return cls.ZH if not code else cls.EN


class Channel(str):
    """A messenger, by its name ("telegram"). The domain only stores and compares channels: a new
    messenger names its own in its adapter (bot/, handlers/), `Channel("line")`, and nothing here
    changes. The ones chatcrm ships with are attributes of the class."""

    __slots__ = ()
    # One object per name, so that channels compare by identity too (as an enum's members do).
    _named: ClassVar[dict[str, Channel]] = {}

    TELEGRAM: ClassVar[Channel]
    WECHAT: ClassVar[Channel]
    WECOM: ClassVar[Channel]
    CONSOLE: ClassVar[Channel]

    def __new__(cls, name: str) -> Channel:
        found = cls._named.get(name)
        if found is None:
            found = cls._named[name] = super().__new__(cls, name)
        return found

    @property
    def value(self) -> str:
        return str(self)

    def __repr__(self) -> str:
        return f"Channel({str(self)!r})"


Channel.TELEGRAM = Channel("telegram")
Channel.WECHAT = Channel("wechat")
Channel.WECOM = Channel("wecom")
Channel.CONSOLE = Channel("console")


class Source(StrEnum):
    """Where an interaction came from."""

    CHAT = "chat"  # a forwarded or pasted customer chat
    VOICE = "voice"
    CARD = "card"
    NOTE = "note"  # a note typed by the rep
    DOCUMENT = "document"
    LOCATION = "location"
    LEAD = "lead"  # a lead as it arrived (a web form, a forwarded lead, a stranger's message)


class VoiceStatus(StrEnum):
    """Where a voice note stands. A small state machine (crm.voice.MOVES): transcribing, then done,
    failed (kept; the rep can retry) or rejected (silent or undecodable after all: nothing to retry);
    done minutes may be discarded."""

    TRANSCRIBING = "transcribing"
    FAILED = "failed"
    REJECTED = "rejected"
    DONE = "done"
    DISCARDED = "discarded"


class FollowUp(StrEnum):
    """The follow-up status: the "+1" of the 3+1 core fields of a lead."""

    NEW = "new"
    CONTACTED = "contacted"
    INTERESTED = "interested"
    MEETING = "meeting"
    ON_HOLD = "on_hold"


class DealStatus(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class ReminderKind(StrEnum):
    MEETING = "meeting"
    COMMITMENT = "commitment"
    TODO = "todo"
    ASK = "ask"  # the rep asked to be reminded
    FOLLOW_UP = "follow_up"


class ReminderStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    DONE = "done"
    CANCELLED = "cancelled"


class DuplicateKind(StrEnum):
    PROPOSED = "proposed"  # similarity >= 88: the rep is offered a merge
    REVIEW = "review"  # 75..88: flagged for a manager's review


class DuplicateStatus(StrEnum):
    OPEN = "open"
    MERGED = "merged"
    DISMISSED = "dismissed"


@dataclass(slots=True)
class Team:
    id: int
    name: str
    created_at: datetime
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Member:
    id: int
    team_id: int
    name: str
    role: Role
    lang: Lang
    timezone: str
    created_at: datetime
    quiet_start: time | None = None
    quiet_end: time | None = None
    weekend_to_monday: bool = False
    awaiting: dict[str, Any] | None = None
    # A deactivated member keeps their row (history, audit) but no access on any channel.
    active: bool = True
    # The language is a guess until the member's first message clearly in one language (text channels
    # bring no language code) or /lang settles it.
    lang_auto: bool = False
    deactivated_at: datetime | None = None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.tz)


@dataclass(slots=True)
class Identity:
    """A member's address on one channel: Telegram user id, WeChat OpenID, WeCom UserID, console user."""

    channel: Channel
    external_id: str
    member_id: int
    chat_id: str


@dataclass(slots=True)
class Invite:
    code: str
    team_id: int
    role: Role
    created_by: int
    created_at: datetime
    expires_at: datetime
    used_by: int | None = None
    used_at: datetime | None = None
    revoked_at: datetime | None = None
    revoked_by: int | None = None  # None with revoked_at set: revoked on the server (`chatcrm invite revoke`)

    def is_open(self, now: datetime) -> bool:
        """Still redeemable: neither used, revoked nor expired."""
        return self.used_by is None and self.revoked_at is None and self.expires_at > now


@dataclass(slots=True)
class AdminClaim:
    """The one-time code that lets the first person on a public channel found the team (and become its
    admin). `chatcrm run` prints it while no team exists; one per installation."""

    code: str
    created_at: datetime
    used_at: datetime | None = None
    used_by: int | None = None


@dataclass(frozen=True, slots=True)
class Holdings:
    """What a member owns that needs an owner: live customers, open deals, open reminders."""

    customers: int = 0
    deals: int = 0
    reminders: int = 0


@dataclass(frozen=True, slots=True)
class Transfer:
    """The records one member's ownership moved to another (ids, by kind): every customer, contact and
    deal they owned, and their open commitments and reminders. Nothing is deleted."""

    customers: tuple[int, ...] = ()
    contacts: tuple[int, ...] = ()
    deals: tuple[int, ...] = ()
    commitments: tuple[int, ...] = ()
    reminders: tuple[int, ...] = ()

    def counts(self) -> dict[str, int]:
        return {kind: len(getattr(self, kind)) for kind in TRANSFER_KINDS}

    def ids(self) -> dict[str, list[int]]:
        return {kind: list(getattr(self, kind)) for kind in TRANSFER_KINDS}

    @property
    def empty(self) -> bool:
        return not any(self.counts().values())


TRANSFER_KINDS = ("customers", "contacts", "deals", "commitments", "reminders")


@dataclass(slots=True)
class Customer:
    """A customer company (or a private person when no company is known)."""

    id: int
    team_id: int
    owner_id: int
    name: str | None
    created_at: datetime
    updated_at: datetime
    address: str | None = None
    region: Region | None = None
    website: str | None = None
    follow_up: FollowUp | None = None
    budget_cny: int | None = None
    budget_min_cny: int | None = None
    timeline: str | None = None
    timeline_by: date | None = None
    next_meeting: datetime | None = None
    needs: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    confirmed: bool = False
    merged_into: int | None = None
    archived_at: datetime | None = None


@dataclass(slots=True)
class Contact:
    id: int
    team_id: int
    owner_id: int
    customer_id: int | None
    name: str | None
    created_at: datetime
    updated_at: datetime
    title: str | None = None
    phones: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    wechat_id: str | None = None
    qq: str | None = None
    website: str | None = None
    address: str | None = None
    region: Region | None = None
    decision_role: DecisionRole | None = None
    merged_into: int | None = None
    archived_at: datetime | None = None


@dataclass(slots=True)
class Deal:
    id: int
    team_id: int
    customer_id: int
    owner_id: int
    title: str
    stage: str
    status: DealStatus
    stage_entered_at: datetime
    created_at: datetime
    updated_at: datetime
    amount_cny: int | None = None
    closed_at: datetime | None = None
    lost_reason: str | None = None
    archived_at: datetime | None = None


@dataclass(slots=True)
class Interaction:
    """Something a rep sent: the raw content is kept verbatim, whatever became of it."""

    id: int
    team_id: int
    author_id: int
    source: Source
    content: str
    facts: dict[str, Any]
    created_at: datetime
    customer_id: int | None = None
    contact_id: int | None = None
    deal_id: int | None = None
    file_id: int | None = None
    external_key: str | None = None
    undone_at: datetime | None = None
    voice_status: VoiceStatus | None = None  # voice notes only


@dataclass(slots=True)
class Commitment:
    id: int
    team_id: int
    owner_id: int
    text: str
    party: Party
    created_at: datetime
    customer_id: int | None = None
    deal_id: int | None = None
    interaction_id: int | None = None
    due_at: datetime | None = None
    done_at: datetime | None = None


@dataclass(slots=True)
class Reminder:
    id: int
    team_id: int
    member_id: int
    kind: ReminderKind
    text: str
    due_at: datetime
    status: ReminderStatus
    created_at: datetime
    customer_id: int | None = None
    interaction_id: int | None = None
    commitment_id: int | None = None
    attempts: int = 0
    claimed_until: datetime | None = None
    delivered_at: datetime | None = None
    done_at: datetime | None = None


@dataclass(slots=True)
class AuditEntry:
    id: int
    team_id: int
    actor_id: int | None
    action: str
    target_type: str
    target_id: int | None
    detail: dict[str, Any]
    created_at: datetime


@dataclass(slots=True)
class FieldChange:
    """One change an operation made, as the field journal keeps it (crm.journal documents the format).

    `field` None: the operation created the record. `before` and `after` are JSON values. `audit_id` is
    the operation's audit entry: who, when, which action and on what (a capture's interaction, ...).
    """

    record_type: str
    record_id: int
    field: str | None
    before: Any = None
    after: Any = None
    id: int = 0
    team_id: int = 0
    audit_id: int = 0


@dataclass(slots=True)
class Merge:
    """A merge of two records; `detail` holds what moved and the survivor's fields before, for undo."""

    id: int
    team_id: int
    kind: str  # "contact" or "customer"
    survivor_id: int
    merged_id: int
    actor_id: int
    detail: dict[str, Any]
    created_at: datetime
    undone_at: datetime | None = None


@dataclass(slots=True)
class DuplicateFlag:
    id: int
    team_id: int
    kind: DuplicateKind
    contact_id: int
    candidate_id: int
    score: float
    status: DuplicateStatus
    created_at: datetime


@dataclass(slots=True)
class StoredFile:
    """A file a rep sent (voice note, card photo, evidence), stored once per content hash and team."""

    id: int
    team_id: int
    sha256: str
    size: int
    mime: str
    path: str
    original_name: str | None
    created_at: datetime


@dataclass(slots=True)
class LinkCode:
    """A one-time code that adds another channel identity (WeChat, WeCom, Telegram) to a member."""

    code: str
    member_id: int
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    used_channel: Channel | None = None


class EvidenceKind(StrEnum):
    FILE = "file"  # a document, photo or screenshot
    TEXT = "text"  # a forwarded or pasted chat or e-mail
    DECLARATION = "declaration"  # the member's own word, for requirements that allow it


class EvidenceStatus(StrEnum):
    PENDING = "pending"  # waiting for the member to confirm the deal and requirement
    CONFIRMED = "confirmed"
    DISCARDED = "discarded"


@dataclass(slots=True)
class DealEvidence:
    """Evidence for a deal's requirement; `requirement` None when kept without one ("just file it")."""

    id: int
    team_id: int
    author_id: int
    kind: EvidenceKind
    status: EvidenceStatus
    created_at: datetime
    deal_id: int | None = None
    requirement: str | None = None
    guess: str | None = None
    file_id: int | None = None
    interaction_id: int | None = None
    note: str | None = None
    keywords: list[str] = field(default_factory=list)
    confirmed_at: datetime | None = None
    confirmed_by: int | None = None


@dataclass(slots=True)
class StageChange:
    """A deal moved: stage and status before and after, who did it, and for an override, why and what
    was missing."""

    id: int
    team_id: int
    deal_id: int
    to_stage: str
    to_status: DealStatus
    created_at: datetime
    actor_id: int | None = None
    from_stage: str | None = None
    from_status: DealStatus | None = None
    override_reason: str | None = None
    lost_reason: str | None = None
    missing: list[str] = field(default_factory=list)


class DigestStatus(StrEnum):
    CLAIMED = "claimed"  # leased to a process sending it; claimed again when its lease runs out
    RETRYING = "retrying"  # a send failed; claimed again when its retry time comes
    DELIVERED = "delivered"
    FAILED = "failed"  # given up after the last attempt
    SKIPPED = "skipped"  # nothing to tell this member today


class ImportMode(StrEnum):
    """What a spreadsheet import does with a row that matches an existing record. Rows that match
    nothing are created in every mode."""

    CREATE = "create"  # only new records: a matching row fails ("already exists"), nothing is changed
    UPDATE = "update"  # the matched record's empty fields are filled (the default)
    SKIP = "skip"  # the matched record is left as it is


class ImportStatus(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"  # stopped part way (the rows written so far stay, and undo takes them back)
    UNDONE = "undone"


@dataclass(slots=True)
class ImportRun:
    """One spreadsheet import: who, which file, its counts, and what undoing it needs besides the
    field journal (its audit entry's): the reminders and review flags it made."""

    id: int
    team_id: int
    file_name: str
    sha256: str
    mode: ImportMode
    status: ImportStatus
    created_at: datetime
    actor_id: int | None = None
    audit_id: int | None = None
    rows: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    detail: dict[str, Any] = field(default_factory=dict)
    finished_at: datetime | None = None
    undone_at: datetime | None = None


# --- durable work (crm.jobs): the inbox of channel messages and other leased jobs ----------------


class JobStatus(StrEnum):
    PENDING = "pending"  # waiting, leased to a process, or waiting for its retry
    DONE = "done"
    FAILED = "failed"  # given up after its last attempt


@dataclass(frozen=True, slots=True)
class NewJob:
    """A job to write: `key` is unique (written twice, it is one job); the jobs of one `lane` (one
    sender's messages) run one at a time, in the order written."""

    queue: str
    lane: str
    key: str
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Job:
    """A job this process claimed: its lease runs until `lease_until` unless renewed."""

    id: int
    queue: str
    lane: str
    key: str
    payload: dict[str, Any]
    attempts: int  # claims so far, this one included
    lease_until: datetime
    created_at: datetime


@dataclass(frozen=True, slots=True)
class MenuChoice:
    """A button offered on a text-only channel as a number to type back."""

    label: str
    act: str
    target: int = 0
    arg: str = ""
