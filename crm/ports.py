"""Ports: the roles the domain needs filled, as typing.Protocols.

speech/ and ocr/ import nothing of ours; their result types satisfy these protocols structurally.
storage/ implements the unit of work and repositories; bot/ wires the adapters together.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

from crm.data_health import Example, Figures, GapKind, NudgeStatus
from crm.dedup import LookupKey
from crm.events import Subscriber
from crm.facts import CardFacts, Facts, Region
from crm.health import DealSnapshot
from crm.leads import Availability, Lead, MemberLoad, PoolScope, PoolSummary, ReclaimCandidate
from crm.model import (
    AdminClaim,
    AuditEntry,
    Channel,
    Commitment,
    Contact,
    Customer,
    Deal,
    DealEvidence,
    DigestStatus,
    DuplicateFlag,
    EvidenceStatus,
    FieldChange,
    Holdings,
    Identity,
    ImportRun,
    Interaction,
    Invite,
    Job,
    LinkCode,
    Member,
    MenuChoice,
    Merge,
    NewJob,
    Reminder,
    ReminderStatus,
    Role,
    Source,
    StageChange,
    StoredFile,
    Team,
    Transfer,
)
from crm.places import Located
from crm.table import Cell, Sheet

# --- perception -------------------------------------------------------------------------------


class Transcript(Protocol):
    """What speech-to-text returns."""

    @property
    def text(self) -> str: ...

    @property
    def language(self) -> str: ...

    @property
    def audio_seconds(self) -> float: ...


class SpeechToText(Protocol):
    """Blocking speech recognition; the service runs it in a worker thread, one at a time.

    `progress` is called with the fraction done (0..1) from the worker thread.
    Raises an error the adapter in bot/ maps to `crm.errors.AudioRejected`.
    """

    def transcribe(
        self,
        audio: Path,
        *,
        language: str | None = None,
        prompt: str | None = None,
        progress: Callable[[float], None] | None = None,
    ) -> Transcript: ...


class AudioProbe(Protocol):
    """A quick look at a recording before it is queued for transcription (no decoding)."""

    def duration(self, audio: Path) -> float | None:
        """Seconds from the container header, or None when the header does not say.

        Raises `crm.errors.AudioRejected` for a file that is not audio at all.
        """
        ...


class OcrLine(Protocol):
    """One line of text that OCR found, with its layout."""

    @property
    def text(self) -> str: ...

    @property
    def confidence(self) -> float:
        """0..1, the mean word confidence."""
        ...

    @property
    def height(self) -> float:
        """Glyph height in pixels of the (normalised) image: the largest line is usually the name."""
        ...

    @property
    def top(self) -> float: ...

    @property
    def left(self) -> float: ...

    @property
    def width(self) -> float:
        """Pixels from `left` to the line's end; 0 when the reader does not measure it (then estimated)."""
        ...


class OcrPage(Protocol):
    """The text of one image, line by line."""

    @property
    def lines(self) -> Sequence[OcrLine]: ...

    @property
    def text(self) -> str: ...


class CardReader(Protocol):
    """Blocking OCR of one card photo; raises an error the adapter maps to `crm.errors.ImageRejected`."""

    def read(self, image: bytes) -> OcrPage: ...


class FactExtractor(Protocol):
    """nlu: text to facts. `now` is aware, in the rep's timezone; relative dates resolve against it."""

    def chat(self, text: str, now: datetime) -> Facts: ...

    def minutes(self, transcript: str, now: datetime) -> Facts:
        """Like `chat`, for a dictated visit note: also fills `summary` and `people`."""
        ...

    def card(self, pages: Sequence[OcrPage]) -> CardFacts:
        """One contact from the front (and back) of a business card."""
        ...

    def when(self, text: str, now: datetime) -> datetime | None:
        """The one moment `text` names ("明天下午3点", "周五", "in 2 hours"), aware in `now`'s timezone;
        a day without a clock time is 09:00. None when it names no time."""
        ...


class PlaceResolver(Protocol):
    """nlu: where a text (an address, a note, a place name in a territory file) is."""

    def resolve(self, text: str) -> Located:
        """One division with its code ("浦东" -> 上海市浦东新区 310115), the candidates when the name fits
        several places equally (朝阳), a country abroad, or nothing."""
        ...


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...


class Normalizer(Protocol):
    """Normalised keys and values: nlu implements it with phonenumbers and its region dictionary."""

    def company_key(self, name: str) -> str:
        """The company's core name: no legal form (有限公司, Co., Ltd.), no city or province prefix."""
        ...

    def person_key(self, name: str) -> str:
        """A person's name, case- and space-folded, honorifics removed."""
        ...

    def phone(self, raw: str) -> str | None:
        """One phone number typed by a member, as E.164, or None when it is not a valid number."""
        ...

    def money(self, raw: str) -> int | None:
        """An amount in CNY typed by a member ("50万", "¥200,000", "1.5m"), or None."""
        ...

    def sounds(self, text: str) -> tuple[frozenset[str], ...]:
        """How each Han character of `text` may be read (toneless pinyin), to match names a
        transcript spells with other characters of the same sound (章伟 for 张伟)."""
        ...

    def region(self, text: str) -> Region | None:
        """The administrative division a place name or address names ("广东 深圳 南山"), or None."""
        ...


# --- storage ----------------------------------------------------------------------------------


class TeamRepository(Protocol):
    async def add(self, team: Team) -> Team: ...
    async def get(self, team_id: int) -> Team | None: ...
    async def count(self) -> int: ...
    async def all(self) -> list[Team]: ...
    async def update(self, team: Team) -> None: ...
    async def lock(self, team_id: int) -> None:
        """Holds the team until the unit of work ends, so that changes to its membership happen one
        at a time (on a database that runs writers at once)."""
        ...


class MemberRepository(Protocol):
    async def add(self, member: Member) -> Member: ...
    async def get(self, member_id: int) -> Member | None: ...
    async def update(self, member: Member) -> None:
        """Saves the member's own preferences (name, language, timezone, quiet hours, what the next
        text answers); role and access change only through set_role and set_active."""
        ...

    async def in_team(self, team_id: int, role: Role | None = None) -> list[Member]:
        """The team's active members (of one role), by id."""
        ...

    async def roster(self, team_id: int) -> list[Member]:
        """Every member of the team, deactivated ones too, by id."""
        ...

    async def set_role(self, member_id: int, role: Role) -> None: ...
    async def set_active(self, member_id: int, active: bool, at: datetime) -> bool:
        """Activates or deactivates (stamped `at`); False when the member already was."""
        ...


class IdentityRepository(Protocol):
    async def get(self, channel: Channel, external_id: str) -> Identity | None: ...
    async def add(self, identity: Identity) -> None: ...
    async def for_member(self, member_id: int) -> list[Identity]: ...


class InviteRepository(Protocol):
    async def add(self, invite: Invite) -> None: ...
    async def get(self, code: str) -> Invite | None: ...
    async def update(self, invite: Invite) -> None: ...
    async def use(self, code: str, member_id: int, at: datetime) -> bool:
        """Redeems the invite for `member_id` if it is still open (unused, unrevoked, unexpired):
        True for exactly one caller."""
        ...

    async def revoke(self, code: str, by: int | None, at: datetime) -> bool:
        """Revokes an open invite; False when it was not open."""
        ...

    async def open_for_team(self, team_id: int, now: datetime) -> list[Invite]:
        """The team's open invites, oldest first."""
        ...

    async def revoke_created_by(self, member_id: int, by: int | None, at: datetime) -> list[str]:
        """Revokes every open invite `member_id` made; their codes."""
        ...


class ClaimRepository(Protocol):
    """The admin claim code of the installation (one at most)."""

    async def get(self) -> AdminClaim | None: ...
    async def add(self, claim: AdminClaim) -> None:
        """Stores the claim; StorageConflict when one exists (another process made it first)."""
        ...

    async def spend(self, code: str | None, member_id: int, at: datetime) -> bool:
        """Marks the unused claim used by `member_id` (only if it is `code`, unless None): True for
        exactly one caller."""
        ...


class OwnershipRepository(Protocol):
    async def transfer(self, team_id: int, from_id: int, to_id: int) -> Transfer:
        """Moves every customer, contact and deal of `from_id`, and their open commitments and
        reminders, to `to_id`."""
        ...

    async def holdings(self, team_id: int) -> dict[int, Holdings]:
        """Live customers, open deals and open reminders per member id (members with none left out)."""
        ...


class CustomerRepository(Protocol):
    async def add(self, customer: Customer, name_key: str) -> Customer: ...
    async def get(self, customer_id: int) -> Customer | None: ...
    async def update(self, customer: Customer, name_key: str) -> None: ...
    async def by_name_key(self, team_id: int, name_key: str) -> list[Customer]: ...
    async def search(self, team_id: int, owner_id: int | None, text: str, limit: int) -> list[Customer]: ...
    async def recent(self, team_id: int, owner_id: int | None, limit: int) -> list[Customer]: ...


class ContactRepository(Protocol):
    async def add(self, contact: Contact, keys: Sequence[LookupKey]) -> Contact: ...
    async def get(self, contact_id: int) -> Contact | None: ...
    async def update(self, contact: Contact, keys: Sequence[LookupKey]) -> None: ...
    async def for_customer(self, customer_id: int) -> list[Contact]: ...
    async def matching(
        self, team_id: int, text: str, customer_ids: Sequence[int], owner_id: int | None, limit: int
    ) -> list[Contact]:
        """Live contacts whose name, a phone or an e-mail contains `text`: those of `customer_ids`, and
        those with no customer (only `owner_id`'s, when given), by id."""
        ...

    async def candidates(
        self, team_id: int, keys: Sequence[LookupKey], limit: int
    ) -> list[tuple[Contact, list[LookupKey]]]:
        """Live (not merged, not archived) contacts sharing any of `keys`, with all their keys."""
        ...


class DealRepository(Protocol):
    async def add(self, deal: Deal) -> Deal: ...
    async def get(self, deal_id: int) -> Deal | None: ...
    async def update(self, deal: Deal) -> None: ...
    async def for_customer(self, customer_id: int) -> list[Deal]: ...


class InteractionRepository(Protocol):
    async def add(self, interaction: Interaction) -> Interaction: ...
    async def get(self, interaction_id: int) -> Interaction | None: ...
    async def update(self, interaction: Interaction) -> None: ...
    async def for_customer(self, customer_id: int, limit: int) -> list[Interaction]: ...
    async def for_contact(self, contact_id: int) -> list[Interaction]: ...
    async def last_by_author(self, member_id: int, sources: Sequence[Source]) -> Interaction | None: ...
    async def count_for_customer(self, customer_id: int) -> int: ...
    async def by_external_key(self, key: str) -> Interaction | None:
        """The interaction made from the channel message with this idempotency key."""
        ...

    async def by_source_since(self, source: Source, since: datetime, limit: int) -> list[Interaction]:
        """Live (not undone) interactions from `source` made at or after `since`, oldest first."""
        ...


class CommitmentRepository(Protocol):
    async def add(self, commitment: Commitment) -> Commitment: ...
    async def get(self, commitment_id: int) -> Commitment | None: ...
    async def for_interaction(self, interaction_id: int) -> list[Commitment]: ...
    async def for_customer(self, customer_id: int) -> list[Commitment]: ...
    async def update(self, commitment: Commitment) -> None: ...


class ReminderRepository(Protocol):
    async def add(self, reminder: Reminder) -> Reminder: ...
    async def get(self, reminder_id: int) -> Reminder | None: ...
    async def update(self, reminder: Reminder) -> None: ...
    async def for_interaction(self, interaction_id: int) -> list[Reminder]: ...
    async def pending_for_member(self, member_id: int, limit: int) -> list[Reminder]: ...
    async def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[Reminder]:
        """Atomically take due, unclaimed (or lease-expired) pending reminders for delivery."""
        ...

    async def next_due_at(self) -> datetime | None:
        """When the next pending reminder can be claimed: its due time, or the end of its lease."""
        ...

    async def mark_delivered(self, reminder_id: int, lease_until: datetime, at: datetime) -> bool:
        """Settles a claim (still held: pending, `claimed_until == lease_until`) as delivered; or,
        for a reminder marked done while its message was on its way (done keeps the claim), records
        only when it was delivered."""
        ...

    async def renew(self, reminder_id: int, lease_until: datetime, until: datetime) -> bool:
        """Extends a held claim (pending, `claimed_until == lease_until`) to `until`."""
        ...

    async def retry_later(self, reminder_id: int, lease_until: datetime, at: datetime) -> bool:
        """Keeps a held claim's reminder pending and claimable again from `at`."""
        ...

    async def give_up(self, reminder_id: int, lease_until: datetime) -> bool:
        """Cancels a held claim's reminder (delivery failed too often)."""
        ...

    async def listing(
        self, member_id: int | None, statuses: Sequence[ReminderStatus] | None, limit: int
    ) -> list[Reminder]:
        """Reminders by due time, of one member or all, in the given statuses or any."""
        ...


class AuditRepository(Protocol):
    async def add(self, entry: AuditEntry) -> AuditEntry: ...
    async def for_target(self, target_type: str, target_id: int) -> list[AuditEntry]: ...
    async def last(self, actor_id: int, actions: Sequence[str]) -> AuditEntry | None: ...
    async def update(self, entry: AuditEntry) -> None: ...


class JournalRepository(Protocol):
    """The field journal (crm.journal): what each operation changed, field by field."""

    async def add(self, team_id: int, audit_id: int, changes: Sequence[FieldChange]) -> None: ...
    async def for_operation(self, audit_id: int) -> list[FieldChange]:
        """The rows of one operation (its audit entry), in the order it made them."""
        ...

    async def for_record(self, record_type: str, record_id: int) -> list[tuple[AuditEntry, FieldChange]]:
        """Every change to one record, oldest first, each with its operation's audit entry."""
        ...


class MergeRepository(Protocol):
    async def add(self, merge: Merge) -> Merge: ...
    async def get(self, merge_id: int) -> Merge | None: ...
    async def update(self, merge: Merge) -> None: ...


class DuplicateRepository(Protocol):
    async def add(self, flag: DuplicateFlag) -> DuplicateFlag: ...
    async def get(self, flag_id: int) -> DuplicateFlag | None: ...
    async def update(self, flag: DuplicateFlag) -> None: ...
    async def open_for_team(self, team_id: int, limit: int) -> list[DuplicateFlag]: ...


class ProcessedKeys(Protocol):
    """Idempotency keys of channel messages already handled (Telegram update ids, WeChat MsgIds)."""

    async def seen(self, keys: Sequence[str]) -> set[str]: ...
    async def add(self, keys: Sequence[str], now: datetime | None = None) -> None: ...
    async def purge(self, prefix: str, before: datetime) -> int:
        """Forgets the keys starting with `prefix` recorded before `before`; returns how many."""
        ...


class JobRepository(Protocol):
    """Durable jobs (crm.jobs). Claims are atomic across processes: FOR UPDATE SKIP LOCKED on
    PostgreSQL, a conditional UPDATE on SQLite (one writer at a time)."""

    async def add(self, jobs: Sequence[NewJob], at: datetime) -> None:
        """Writes new jobs, claimable from `at`; a key written before breaks the transaction
        (crm.errors.StorageConflict)."""
        ...

    async def existing(self, keys: Sequence[str]) -> set[str]:
        """Those of `keys` some job already has."""
        ...

    async def waiting(self, queue: str, lanes: Sequence[str]) -> dict[str, int]:
        """How many unfinished jobs each of `lanes` has in `queue` (lanes with none are left out)."""
        ...

    async def claim(
        self,
        queue: str,
        owner: str,
        now: datetime,
        lease_until: datetime,
        *,
        limit: int,
        lane: str | None = None,
        skip_lanes: Sequence[str] = (),
        together: bool = False,
    ) -> list[Job]:
        """Leases up to `limit` claimable jobs to `owner`, oldest first, counting an attempt on each.

        Claimable: unfinished, due (`not_before` passed), not under a live lease, and first in its
        lane: no earlier unfinished job of the lane, or (`together`) none but ones `owner` holds.
        `lane` claims only in that lane; `skip_lanes` leaves those lanes out."""
        ...

    async def renew(self, job_ids: Sequence[int], owner: str, lease_until: datetime) -> set[int]:
        """Extends the leases `owner` still holds among `job_ids`; returns those ids."""
        ...

    async def finish(self, job_id: int, owner: str, at: datetime) -> bool:
        """Done, if `owner` still holds it."""
        ...

    async def retry(self, job_id: int, owner: str, not_before: datetime, error: str) -> bool:
        """Released to be claimed again from `not_before`, if `owner` still holds it."""
        ...

    async def fail(self, job_id: int, owner: str, at: datetime, error: str) -> bool:
        """Given up, if `owner` still holds it."""
        ...

    async def purge(self, queue: str, before: datetime) -> int:
        """Deletes the queue's finished jobs (done or failed) that finished before `before`."""
        ...


class ExpiringKeys(Protocol):
    """Keys every process sees until they expire (the nonces of signed callbacks)."""

    async def add(self, keys: Sequence[str], expires_at: datetime, now: datetime) -> set[str]:
        """Remembers `keys` until `expires_at`; returns those already remembered (not yet expired).
        Two transactions adding one key at once: the later one breaks (StorageConflict)."""
        ...

    async def live(self, keys: Sequence[str], now: datetime) -> set[str]:
        """Those of `keys` remembered and not yet expired; remembers nothing."""
        ...

    async def purge(self, now: datetime) -> int: ...


class MenuRepository(Protocol):
    """The numbered buttons last offered to a member on a text-only channel."""

    async def put(
        self, channel: Channel, member_id: int, choices: Sequence[MenuChoice], at: datetime
    ) -> None: ...

    async def get(self, channel: Channel, member_id: int) -> list[MenuChoice]: ...


class FileRepository(Protocol):
    async def add(self, stored: StoredFile) -> StoredFile: ...
    async def get(self, file_id: int) -> StoredFile | None: ...
    async def by_hash(self, team_id: int, sha256: str) -> StoredFile | None: ...


# --- deals ---------------------------------------------------------------------------------------


class DealEvidenceRepository(Protocol):
    async def add(self, evidence: DealEvidence) -> DealEvidence: ...
    async def get(self, evidence_id: int) -> DealEvidence | None: ...
    async def update(self, evidence: DealEvidence) -> None: ...
    async def for_deal(self, deal_id: int, statuses: Sequence[EvidenceStatus]) -> list[DealEvidence]: ...
    async def confirmed_file(self, deal_id: int, file_id: int) -> DealEvidence | None: ...


class StageChangeRepository(Protocol):
    async def add(self, change: StageChange) -> StageChange: ...
    async def for_deal(self, deal_id: int) -> list[StageChange]: ...


class DigestDeliveryRepository(Protocol):
    async def claim(
        self,
        team_id: int,
        member_id: int,
        day: date,
        kind: str,
        owner: str,
        now: datetime,
        lease_until: datetime,
        max_attempts: int,
    ) -> int | None:
        """Leases the member's digest of `day` (their local date) to `owner` until `lease_until`: the
        claim's attempt number for exactly one caller, None for the others (held, settled, or its
        attempts spent). An expired lease or a passed retry time makes it claimable again."""
        ...

    async def renew(self, member_id: int, day: date, owner: str, attempt: int, until: datetime) -> bool:
        """Extends the claim while it is still `owner`'s `attempt`; False when it is not."""
        ...

    async def settle(
        self,
        member_id: int,
        day: date,
        owner: str,
        attempt: int,
        status: DigestStatus,
        at: datetime,
        retry_at: datetime | None = None,
    ) -> bool:
        """Settles the claim while it is still `owner`'s `attempt`; False when it is not."""
        ...

    async def settled(self, team_id: int, days: Sequence[date], now: datetime) -> set[tuple[int, date]]: ...
    async def status(self, member_id: int, day: date) -> tuple[DigestStatus, int] | None: ...


class DealQueries(Protocol):
    """Reads across many deals, with aggregate queries (the digest covers a whole team)."""

    async def snapshots(
        self, team_id: int, owner_id: int | None, now: datetime, requirements: Sequence[str]
    ) -> list[DealSnapshot]:
        """Open deals with what their health needs; `evidence` holds those of `requirements` they have."""
        ...

    async def snapshot(
        self, deal_id: int, now: datetime, requirements: Sequence[str]
    ) -> DealSnapshot | None: ...
    async def stage_counts(self, team_id: int, owner_id: int | None) -> dict[str, int]: ...
    async def open_deals(
        self, team_id: int, owner_id: int | None, limit: int, text: str | None = None
    ) -> list[tuple[Deal, str | None]]: ...
    async def due_reminders(
        self, member_id: int, start: datetime, end: datetime, limit: int
    ) -> list[Reminder]: ...
    async def overdue_commitments(self, owner_id: int, now: datetime, limit: int) -> list[Commitment]: ...
    async def customer_names(self, customer_ids: Sequence[int]) -> dict[int, str | None]: ...


class ImportRunRepository(Protocol):
    """Spreadsheet imports (crm.imports): one row per import, its counts and what undo needs."""

    async def add(self, run: ImportRun) -> ImportRun: ...
    async def get(self, run_id: int) -> ImportRun | None: ...
    async def update(self, run: ImportRun) -> None: ...
    async def recent(self, team_id: int, limit: int) -> list[ImportRun]: ...

    # An import reads and writes a chunk of rows at a time: one statement for many records.
    async def customers(self, team_id: int, name_keys: Sequence[str]) -> list[Customer]:
        """Live customers with any of these name keys."""
        ...

    async def customers_by_id(self, ids: Sequence[int]) -> dict[int, Customer]: ...
    async def open_deals(self, customer_ids: Sequence[int]) -> dict[int, Deal]:
        """Each customer's open deal (the oldest, as crm.records.open_deal)."""
        ...

    async def notes_for(self, customer_ids: Sequence[int]) -> dict[str, Interaction]:
        """Notes earlier imports put on these customers (or their contacts), by idempotency key."""
        ...

    async def add_customers(self, customers: Sequence[tuple[Customer, str]]) -> None:
        """Adds customers (each with its name key) and sets their ids."""
        ...

    async def add_deals(self, deals: Sequence[Deal]) -> None: ...
    async def add_contacts(self, contacts: Sequence[tuple[Contact, Sequence[LookupKey]]]) -> None: ...
    async def update_contacts(self, contacts: Sequence[tuple[Contact, Sequence[LookupKey]]]) -> None: ...
    async def update_customers(self, customers: Sequence[tuple[Customer, str]]) -> None: ...
    async def add_interactions(self, interactions: Sequence[Interaction]) -> None: ...


class ExportQueries(Protocol):
    """Reads for a spreadsheet export (crm.exports): one page of rows after `after_id`, in id order,
    of the team's live records, or of one owner's (`owner_id`)."""

    async def customers(
        self, team_id: int, owner_id: int | None, after_id: int, limit: int
    ) -> list[Customer]: ...
    async def contacts(
        self, team_id: int, owner_id: int | None, after_id: int, limit: int
    ) -> list[Contact]: ...
    async def deals(self, team_id: int, owner_id: int | None, after_id: int, limit: int) -> list[Deal]: ...
    async def interactions(
        self, team_id: int, owner_id: int | None, after_id: int, limit: int
    ) -> list[Interaction]:
        """Live (not undone) interactions, without their facts; `owner_id` selects those the member
        wrote."""
        ...

    async def customer_names(self, customer_ids: Sequence[int]) -> dict[int, str | None]: ...
    async def contact_names(self, contact_ids: Sequence[int]) -> dict[int, str | None]: ...
    async def open_deals(self, customer_ids: Sequence[int]) -> dict[int, Deal]:
        """Each customer's open deal (the oldest, as crm.records.open_deal), else its latest closed one."""
        ...


class LeadRepository(Protocol):
    """Leads, the public pool and their jobs (crm.leads). Claims are conditional updates: of two
    callers, exactly one gets rowcount 1."""

    async def add(self, lead: Lead) -> Lead: ...
    async def get(self, lead_id: int) -> Lead | None: ...
    async def update(self, lead: Lead) -> None: ...
    async def by_idempotency_key(self, team_id: int, key: str) -> Lead | None: ...
    async def by_external_ref(self, team_id: int, ref: str) -> Lead | None: ...
    async def open_for_customer(self, customer_id: int) -> Lead | None:
        """The customer's lead that is in the pool or assigned, if any (the latest)."""
        ...

    async def take(self, lead_id: int, member_id: int, how: str, at: datetime) -> bool:
        """Assigns a lead still in the pool; False when someone else took it first."""
        ...

    async def pool(
        self, team_id: int, scope: PoolScope | None, limit: int, offset: int = 0, oldest_first: bool = False
    ) -> tuple[list[Lead], int]:
        """Live leads in the pool that `scope` allows (None: all), newest first, and how many."""
        ...

    async def team_members(self, team_id: int) -> list[Member]:
        """Every member of the team, deactivated ones too (not the pool owner)."""
        ...

    async def loads(
        self, team_id: int, member_ids: Sequence[int], day_start: datetime, now: datetime
    ) -> dict[int, MemberLoad]: ...
    async def lock_member(self, member_id: int) -> None:
        """Serialises a member's claims (their limits are counted, then a claim is written)."""
        ...

    async def availability(self, member_ids: Sequence[int]) -> dict[int, Availability]: ...
    async def set_availability(self, team_id: int, member_id: int, availability: Availability) -> None: ...
    async def pool_owner(self, team_id: int) -> int | None: ...
    async def set_pool_owner(self, team_id: int, member_id: int) -> None: ...
    async def claim_notices(self, now: datetime, lease_until: datetime, limit: int) -> list[Lead]: ...
    async def settle_notice(self, lead_id: int, lease_until: datetime) -> bool: ...
    async def claim_alerts(self, now: datetime, lease_until: datetime, limit: int) -> list[Lead]: ...
    async def settle_alert(
        self, lead_id: int, lease_until: datetime, stage: int, next_due: datetime | None
    ) -> bool: ...
    async def next_job_at(self) -> datetime | None:
        """When a notice or alert can next be claimed."""
        ...

    async def claim_run(self, team_id: int, day: date, kind: str, now: datetime) -> bool:
        """Takes the team's daily `kind` run of `day`: True for exactly one caller."""
        ...

    async def reclaim_candidates(self, team_id: int, pool_owner_id: int | None) -> list[ReclaimCandidate]: ...
    async def reclaim_marks(self, deal_id: int) -> tuple[int, datetime | None, datetime | None] | None:
        """(owner id, extended at, warned for) of a deal's reclaim bookkeeping."""
        ...

    async def set_reclaim_marks(
        self, deal_id: int, owner_id: int, extended_at: datetime | None, warned_for: datetime | None
    ) -> None: ...
    async def summary(self, team_id: int, since: datetime, until: datetime, shown: int) -> PoolSummary: ...


# --- history and data health ----------------------------------------------------------------------


class HistoryQueries(Protocol):
    """Reads of the audit log and the field journal for histories (crm.history)."""

    async def operations(
        self,
        team_id: int,
        *,
        customer_id: int | None = None,
        record: tuple[str, int] | None = None,
        actor_id: int | None = None,
        since: datetime | None = None,
        before: int | None = None,
        after: int | None = None,
        limit: int,
    ) -> list[AuditEntry]:
        """The team's audit entries, newest first: those touching a customer with its contacts and
        deals (by journal rows or target) and its interactions (by target), or one record, by one
        actor, made at or after `since`.
        `before` and `after` are entry ids to page from: the `limit` entries just older than
        `before`, or just newer than `after` (still newest first)."""
        ...

    async def changes(self, audit_ids: Sequence[int]) -> list[FieldChange]:
        """The journal rows of these operations, in the order they were made."""
        ...

    async def family(self, customer_id: int) -> set[tuple[str, int]]:
        """The customer and the contacts and deals that belong to it now, in any state."""
        ...


class DataHealthQueries(Protocol):
    """The figures of crm.data_health, computed by the database for a whole team at once."""

    async def figures(self, team_id: int, now: datetime, owner_id: int | None = None) -> dict[int, Figures]:
        """Each owner's figures (of one owner, with `owner_id`); owners with no records are absent."""
        ...

    async def examples(
        self, team_id: int, owner_id: int, now: datetime, kinds: Sequence[GapKind], limit: int
    ) -> dict[GapKind, list[Example]]:
        """Up to `limit` records of each gap of one owner's, the oldest first."""
        ...


class NudgeRepository(Protocol):
    """The weekly nudge's bookkeeping: one row per member and week, claimed with a lease."""

    async def claim(
        self, team_id: int, member_id: int, week: date, now: datetime, lease_until: datetime
    ) -> bool:
        """Takes the member's nudge of `week` until `lease_until`: True for exactly one caller. A
        claim whose lease ran out, or a failed one whose pause is over, may be taken again a few
        times."""
        ...

    async def settle(
        self,
        member_id: int,
        week: date,
        lease_until: datetime,
        status: NudgeStatus,
        at: datetime,
        retry_at: datetime | None = None,
    ) -> bool:
        """Settles a claim still held (`lease_until` is its lease): delivered, skipped, or failed and
        claimable again from `retry_at`. False when the claim was lost meanwhile."""
        ...

    async def settled(self, team_id: int, weeks: Sequence[date], now: datetime) -> set[tuple[int, date]]:
        """(member, week) pairs of `weeks` that nobody may claim now: done, held, pausing or given up."""
        ...

    async def status(self, member_id: int, week: date) -> tuple[NudgeStatus, int] | None: ...


class LinkCodeRepository(Protocol):
    async def add(self, link: LinkCode) -> None: ...
    async def get(self, code: str) -> LinkCode | None: ...
    async def update(self, link: LinkCode) -> None: ...


class UnitOfWork(Protocol):
    """One database transaction. Services open it, write, and commit; repositories never commit.

    Leaving the `async with` block without `commit()` rolls back.
    """

    @property
    def teams(self) -> TeamRepository: ...
    @property
    def members(self) -> MemberRepository: ...
    @property
    def identities(self) -> IdentityRepository: ...
    @property
    def invites(self) -> InviteRepository: ...
    @property
    def customers(self) -> CustomerRepository: ...
    @property
    def contacts(self) -> ContactRepository: ...
    @property
    def deals(self) -> DealRepository: ...
    @property
    def interactions(self) -> InteractionRepository: ...
    @property
    def commitments(self) -> CommitmentRepository: ...
    @property
    def reminders(self) -> ReminderRepository: ...
    @property
    def audit(self) -> AuditRepository: ...
    @property
    def journal(self) -> JournalRepository: ...
    @property
    def merges(self) -> MergeRepository: ...
    @property
    def duplicates(self) -> DuplicateRepository: ...
    @property
    def processed(self) -> ProcessedKeys: ...
    @property
    def files(self) -> FileRepository: ...
    @property
    def evidence(self) -> DealEvidenceRepository: ...
    @property
    def stage_changes(self) -> StageChangeRepository: ...
    @property
    def digests(self) -> DigestDeliveryRepository: ...
    @property
    def deal_queries(self) -> DealQueries: ...
    @property
    def link_codes(self) -> LinkCodeRepository: ...
    @property
    def imports(self) -> ImportRunRepository: ...
    @property
    def exports(self) -> ExportQueries: ...
    @property
    def jobs(self) -> JobRepository: ...
    @property
    def expiring_keys(self) -> ExpiringKeys: ...
    @property
    def menus(self) -> MenuRepository: ...
    @property
    def claims(self) -> ClaimRepository: ...
    @property
    def ownership(self) -> OwnershipRepository: ...
    @property
    def leads(self) -> LeadRepository: ...
    @property
    def history(self) -> HistoryQueries: ...
    @property
    def data_health(self) -> DataHealthQueries: ...
    @property
    def nudges(self) -> NudgeRepository: ...

    async def __aenter__(self) -> UnitOfWork: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    async def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, *, read_only: bool = False) -> UnitOfWork:
        """A unit of work. `read_only=True` for ones that only read: they never wait for writers."""
        ...

    def subscribe(self, subscriber: Subscriber) -> None:
        """`subscriber` gets the events of every unit of work that commits (crm.events), after the
        commit: a pending reminder written wakes the reminder scheduler."""
        ...


class BlobStore(Protocol):
    """Where files members send are kept (a local directory by default)."""

    def put(self, data: bytes, sha256: str, suffix: str) -> str:
        """Stores `data` (idempotently, by hash) and returns its relative path."""
        ...

    def open_path(self, path: str) -> Path: ...


class InputSpool(Protocol):
    """Inputs kept on disk while the database is unavailable, until a retry succeeds."""

    def put(self, payload: dict[str, Any]) -> str: ...
    def get(self, token: str) -> dict[str, Any] | None: ...
    def delete(self, token: str) -> None: ...


class DocumentReader(Protocol):
    """Blocking text extraction from a document (PDF, DOCX, XLSX, e-mail): the first pages only, at
    most `limit` characters. Raises ValueError for a file it cannot read."""

    def text(self, data: bytes, mime: str, limit: int) -> str: ...


class WorkCalendar(Protocol):
    def is_workday(self, day: date) -> bool:
        """Whether people work on `day` (Chinese public holidays and make-up working days)."""
        ...


# --- spreadsheets ---------------------------------------------------------------------------------


class SpreadsheetReader(Protocol):
    """Blocking reading of an .xlsx, .xls or .csv file into sheets of cells (crm.table), run in a
    worker thread outside any transaction. At most `max_rows` non-empty rows are read in all; a file
    with more, a file that would inflate too much, or one that cannot be read raises
    `crm.errors.InputRejected` saying why (with the limit)."""

    def read(self, data: bytes, name: str, max_rows: int) -> list[Sheet]: ...


class WorkbookWriter(Protocol):
    """Blocking writing of an .xlsx workbook sheet by sheet (run in a worker thread): strings stay
    text (a phone never becomes a number, a leading "=" never a formula), datetimes are written as
    the local times they are."""

    def add_sheet(self, name: str, header: Sequence[str], widths: Sequence[int] = ()) -> None:
        """Starts a sheet; rows appended after go to it."""
        ...

    def append(self, rows: Sequence[Sequence[Cell]]) -> None: ...

    def finish(self) -> bytes:
        """The workbook's bytes; the writer is done."""
        ...


class WorkbookFactory(Protocol):
    def __call__(self) -> WorkbookWriter: ...


class OwnerRouter(Protocol):
    """Who gets a customer an import creates without naming its owner. The import writes it (with its
    contact and deal) as the importer's; `route` then hands it over inside the same unit of work and
    returns the owner it ended with. The default (crm.imports.ImporterOwns) leaves it with the
    importer; crm.import_routing.TerritoryOwners routes it by the team's territories where it has any."""

    async def route(
        self,
        uow: UnitOfWork,
        importer: Member,
        customer: Customer,
        contact: Contact | None,
        origin: str,
        at: datetime,
    ) -> int: ...
