"""Voice notes become visit minutes on the right customer, with commitments, to-dos and reminders.

A note is a small state machine (`MOVES`, the status in `Interaction.voice_status`): transcribing,
then done, failed (kept, with a retry button) or rejected (silent or undecodable: nothing to retry);
done minutes may be discarded. It takes three units of work:

1. accept: the audio is in the blob store already; the channel's message key is looked up (a
   redelivery gets what became of the first), else a files row and a VOICE interaction are written,
   transcribing. A recording that passed the quick checks is never lost from here on.
2. transcribe: one read of what transcription needs (the rep's recent customers and contacts, which
   make the prompt and are the candidates the note is matched against); the audio is transcribed in
   one worker, one note at a time, in a thread, never inside a unit of work. Progress is reported as
   numbers (`Progress`); chat/ renders them.
3. record: nlu reads the transcript, the note is matched to one of the rep's customers
   (crm.voice_match) or the rep is asked, and everything it says is written, journaled like a capture
   so that /undo reverses it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import logging
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from crm import audit, files
from crm.errors import (
    AudioRejected,
    InputRejected,
    NotAllowed,
    NotFound,
    StorageConflict,
    StorageError,
)
from crm.facts import Facts
from crm.inputs import VoiceNote
from crm.journal import UNLINKED, Journal, Undone, capture_operation, created_ids, operation_changes, undo
from crm.members import MemberService
from crm.model import (
    AuditEntry,
    Commitment,
    Contact,
    Customer,
    Deal,
    FollowUp,
    Interaction,
    Lang,
    Member,
    Reminder,
    ReminderKind,
    ReminderStatus,
    Source,
    VoiceStatus,
)
from crm.ports import (
    AudioProbe,
    BlobStore,
    Clock,
    FactExtractor,
    InputSpool,
    Normalizer,
    SpeechToText,
    Transcript,
    UnitOfWork,
    UnitOfWorkFactory,
)
from crm.records import (
    apply_to_contact,
    apply_to_customer,
    can_see,
    contact_keys,
    new_contact,
    new_customer,
    open_deal,
    open_first_deal,
    visible_customer,
)
from crm.reminder_plan import MEETING_LEAD, adjust_due, store_follow_ups
from crm.text import one_line
from crm.transcription import Job, TranscriptionQueue
from crm.voice_match import OFFER, Candidate, decide, mentioned_contact, score

logger = logging.getLogger(__name__)

MAX_SECONDS = 600.0  # the engine chunks; ten minutes is what a visit note needs
MAX_MINUTES = round(MAX_SECONDS / 60)
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
# Shorter notes are done in a few seconds: the "recording voice…" chat action is enough for them.
SHOW_PROGRESS_AFTER = 10.0
# Telegram answers edits of one chat faster than about one a second with "Too Many Requests".
PROGRESS_INTERVAL = 2.5
PROGRESS_CAP = 0.95  # an estimate never claims to be done
INITIAL_RATE = 0.3  # transcription seconds per audio second before the first note is measured
CANDIDATE_CUSTOMERS = 50
SEARCH_PER_NAME = 5
PROMPT_CUSTOMERS = 12
PROMPT_CONTACTS = 3
PRIOR_WINDOW = timedelta(hours=24)
ASK_AT_LEAST = 3  # customers offered when the rep is asked
# At start, notes a stopped process left unfinished within this window are transcribed and sent;
# older ones wait for the rep's retry button.
RESUME_WINDOW = timedelta(days=2)
RESUME_LIMIT = 200
RESUME_READY_WAIT = 60  # seconds to wait for a channel to send the minutes on
TERMS_KEY = "product_terms"
MAX_TERMS = 50
EDITABLE = ("summary", "next_meeting", "budget")
PROBES_AT_ONCE = 2  # ffprobe is quick, but a burst of files should not fork a crowd


class Stage(StrEnum):
    """Where a note stands while the rep waits, as its progress reports say."""

    QUEUED = "queued"  # waiting behind `ahead` other notes
    TRANSCRIBING = "transcribing"  # `percent` done (an estimate between the engine's reports)
    WRITING = "writing"  # transcribed; the minutes are being written


@dataclass(frozen=True, slots=True)
class Progress:
    """One progress report of a note; chat/ turns it into the status message."""

    stage: Stage
    percent: int = 0
    ahead: int = 0
    seconds: float | None = None  # the note's length, when known


ProgressSink = Callable[[Progress], Awaitable[None]]


# The voice state machine: from each status, the ones a note may move to. A failed note is retried
# straight from the stored recording (by its button, a redelivery, or at start), so it moves on as a
# transcribing one does.
MOVES: dict[VoiceStatus, frozenset[VoiceStatus]] = {
    VoiceStatus.TRANSCRIBING: frozenset({VoiceStatus.DONE, VoiceStatus.FAILED, VoiceStatus.REJECTED}),
    VoiceStatus.FAILED: frozenset({VoiceStatus.DONE, VoiceStatus.FAILED, VoiceStatus.REJECTED}),
    VoiceStatus.DONE: frozenset({VoiceStatus.DISCARDED}),
    VoiceStatus.REJECTED: frozenset(),
    VoiceStatus.DISCARDED: frozenset(),
}


class Outcome(StrEnum):
    MATCHED = "matched"  # an existing customer, sure enough
    CREATED = "created"  # a new customer named in the note
    ASK = "ask"  # saved without a customer; the rep picks one
    REPEATED = "repeated"  # the same message was delivered again


class Step(StrEnum):
    """What became of a voice note."""

    MINUTES = "minutes"
    PENDING = "pending"  # the same note is being transcribed right now
    FAILED = "failed"  # kept, transcription failed: retry
    UNAVAILABLE = "unavailable"  # kept, no speech engine in this process: retry later
    SPOOLED = "spooled"  # the database failed: the audio is on disk, the retry token names it


@dataclass(slots=True)
class Minutes:
    """A transcribed note as saved: what the minutes card shows."""

    outcome: Outcome
    interaction: Interaction
    facts: Facts
    customer: Customer | None = None
    contact: Contact | None = None
    deal: Deal | None = None
    created_customer: bool = False
    candidates: list[Customer] = field(default_factory=list)
    commitments: list[Commitment] = field(default_factory=list)
    reminders: list[Reminder] = field(default_factory=list)

    @property
    def transcript(self) -> str:
        return self.interaction.content

    @property
    def voice(self) -> dict[str, Any]:
        data: dict[str, Any] = self.interaction.facts.get("voice", {})
        return data


@dataclass(slots=True)
class VoiceResult:
    step: Step
    minutes: Minutes | None = None
    interaction_id: int | None = None
    retry_token: str | None = None


@dataclass(slots=True)
class _Link:
    customer: Customer | None
    contact: Contact | None
    deal: Deal | None
    journal: Journal
    created_customer: bool


class _Progress:
    """The progress reports of one note: queued, then a percentage every few seconds.

    The engine reports progress per batch of chunks (every two minutes of audio), so between reports
    the percentage is estimated from the audio length and how fast recent notes went.
    """

    def __init__(self, sink: ProgressSink | None, duration: float | None, rate: float) -> None:
        self._sink = sink
        self._duration = duration
        self._rate = rate
        self._task: asyncio.Task[None] | None = None
        self._shown: Progress | None = None

    def wanted(self, ahead: int) -> bool:
        if self._sink is None:
            return False
        return ahead > 0 or self._duration is None or self._duration > SHOW_PROGRESS_AFTER

    async def follow(self, job: Job, ahead: int) -> None:
        if not self.wanted(ahead):
            return
        if ahead > 0:
            await self._show(Progress(Stage.QUEUED, ahead=ahead, seconds=self._duration))
        self._task = asyncio.create_task(self._tick(job), name="voice-status")

    async def minutes(self) -> None:
        await self.stop()
        if self._shown is not None:
            await self._show(Progress(Stage.WRITING))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _tick(self, job: Job) -> None:
        await job.started.wait()
        began = time.monotonic()
        expected = (self._duration or 0.0) * self._rate
        while True:
            estimate = min(PROGRESS_CAP, (time.monotonic() - began) / expected) if expected > 0 else 0.0
            fraction = min(PROGRESS_CAP, max(job.fraction[0], estimate))
            percent = int(fraction * 20) * 5  # steps of 5 %: fewer edits, no false precision
            await self._show(Progress(Stage.TRANSCRIBING, percent=percent))
            await asyncio.sleep(PROGRESS_INTERVAL)

    async def _show(self, progress: Progress) -> None:
        if self._sink is None or progress == self._shown:
            return
        self._shown = progress
        try:
            await self._sink(progress)
        except Exception:
            # A status line is a courtesy; failing to edit it must not fail the note.
            logger.warning("could not show the voice status", exc_info=True)


# --- the service ---------------------------------------------------------------------------------


class VoiceService:
    """Voice notes to visit minutes, for every channel: `process()` takes a recording and returns what
    became of it; the corrections change the customer, edit, discard, retry."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        extractor: FactExtractor,
        normalizer: Normalizer,
        spool: InputSpool,
        members: MemberService,
        *,
        blobs: BlobStore | None,
        speech: SpeechToText | None,
        probe: AudioProbe | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._extractor = extractor
        self._normalizer = normalizer
        self._spool = spool
        self._members = members
        self._blobs = blobs
        self._speech = speech
        self._probe = probe
        self._max_bytes = max_bytes
        self._queue = TranscriptionQueue(speech) if speech is not None else None
        self._inflight: set[int] = set()
        self._rate = INITIAL_RATE
        self._probes = asyncio.Semaphore(PROBES_AT_ONCE)

    async def aclose(self) -> None:
        if self._queue is not None:
            await self._queue.close()

    # --- a note in, what became of it ----------------------------------------------------------

    async def process(
        self, actor: Member, note: VoiceNote, status: ProgressSink | None = None
    ) -> VoiceResult:
        """Stores the recording, transcribes it and saves the minutes. Raises AudioRejected for a
        recording that cannot be transcribed (empty, not audio, silent, too long, too large)."""
        if self._blobs is None:
            raise InputRejected("voice.no_storage")
        limit = min(self._max_bytes, note.max_bytes or self._max_bytes)
        # Refuse from what the channel tells before downloading anything.
        if note.size is not None and note.size > limit:
            raise _too_large(limit)
        if note.duration is not None and note.duration > MAX_SECONDS:
            raise AudioRejected("voice.rejected.too_long", limit=MAX_MINUTES)
        data = await note.fetch()
        if not data:
            raise AudioRejected("voice.rejected.empty")
        if len(data) > limit:
            raise _too_large(limit)
        suffix = _suffix(note)
        duration = note.duration
        if self._probe is not None:
            # The container header, without decoding: a 30-minute file or a photo is refused here,
            # at once, instead of after the notes queued before it.
            try:
                async with self._probes:
                    probed = await asyncio.to_thread(_probe_bytes, self._probe, data, suffix)
            except AudioRejected:
                raise
            except Exception:
                # A broken probe (ffprobe missing, a full /tmp) must not cost the recording: the
                # engine checks the file again before it decodes.
                logger.warning("voice note of member %s: the quick check failed", actor.id, exc_info=True)
                probed = None
            if probed is not None and probed > MAX_SECONDS:
                raise AudioRejected("voice.rejected.too_long", limit=MAX_MINUTES)
            duration = duration or probed
        sha256 = hashlib.sha256(data).hexdigest()
        blob_path = await asyncio.to_thread(self._blobs.put, data, sha256, suffix)
        stored = _Stored(sha256, blob_path, len(data), note.mime or _mime(suffix), note.filename, duration)
        return await self._accept(actor, stored, note.key, status)

    async def _accept(
        self, actor: Member, stored: _Stored, key: str | None, status: ProgressSink | None
    ) -> VoiceResult:
        try:
            interaction, new = await self._store(actor, stored, key)
        except StorageConflict:
            # The same message delivered twice at once: the delivery that committed does the work.
            existing = await self._by_key(key) if key else None
            if existing is not None:
                return await self._again(actor, existing, status)
            raise
        except StorageError:
            logger.warning("voice note of member %s kept on disk: the database failed", actor.id)
            token = self._spool.put(
                {"kind": "voice", "member_id": actor.id, "key": key, **dataclasses.asdict(stored)}
            )
            return VoiceResult(Step.SPOOLED, retry_token=token)
        if not new:  # the same message again
            return await self._again(actor, interaction, status)
        return await self._transcribe(actor, interaction, stored.duration, status, stored.path)

    async def _by_key(self, key: str) -> Interaction | None:
        try:
            async with self._uow(read_only=True) as uow:
                return await uow.interactions.by_external_key(key)
        except StorageError:
            # The database is down: go on, so that the recording is at least kept on disk.
            return None

    async def _store(self, actor: Member, stored: _Stored, key: str | None) -> tuple[Interaction, bool]:
        """The note's first unit of work: the interaction of the channel's message if there is one
        (a redelivery), else a new one with its file row, transcribing. (interaction, new)"""
        now = self._clock.now()
        async with self._uow() as uow:
            existing = await uow.interactions.by_external_key(key) if key else None
            if existing is not None:
                return existing, False
            file, _ = await files.record(uow, actor.team_id, stored, stored.path, now)
            interaction = await uow.interactions.add(
                Interaction(
                    id=0,
                    team_id=actor.team_id,
                    author_id=actor.id,
                    source=Source.VOICE,
                    content="",
                    facts={"voice": {"duration": stored.duration}},
                    created_at=now,
                    file_id=file.id,
                    external_key=key,
                    voice_status=VoiceStatus.TRANSCRIBING,
                )
            )
            await uow.commit()
        logger.info("voice note %s stored for member %s (%d bytes)", interaction.id, actor.id, stored.size)
        return interaction, True

    async def _again(
        self, actor: Member, interaction: Interaction, status: ProgressSink | None
    ) -> VoiceResult:
        """The same message once more: the minutes if done, a wait if under way, a retry if stuck."""
        if interaction.author_id != actor.id:
            raise NotFound()
        state = _status(interaction)
        if interaction.id in self._inflight:
            return VoiceResult(Step.PENDING, interaction_id=interaction.id)
        if state is VoiceStatus.DONE:
            async with self._uow(read_only=True) as uow:
                minutes = await self._load(uow, actor, interaction.id, Outcome.REPEATED)
            return VoiceResult(Step.MINUTES, minutes=minutes)
        if state in (VoiceStatus.TRANSCRIBING, VoiceStatus.FAILED) and interaction.undone_at is None:
            # Stuck (a restart mid-transcription) or failed before: the redelivery retries it.
            return await self._retry_stored(actor, interaction, status)
        raise NotFound("voice.retry_gone")

    async def _retry_stored(
        self, actor: Member, interaction: Interaction, status: ProgressSink | None
    ) -> VoiceResult:
        if interaction.file_id is None:
            raise NotFound("voice.retry_gone")
        duration = interaction.facts.get("voice", {}).get("duration")
        return await self._transcribe(actor, interaction, duration, status)

    async def _transcribe(
        self,
        actor: Member,
        interaction: Interaction,
        duration: float | None,
        status: ProgressSink | None,
        blob_path: str | None = None,
    ) -> VoiceResult:
        """The note's second unit of work reads what transcription needs (the file when `blob_path`
        is not known, the prompt's names, the candidate customers); the third records the minutes."""
        assert self._blobs is not None
        if self._queue is None:
            await self._mark(interaction.id, VoiceStatus.FAILED, reason="unavailable")
            return VoiceResult(Step.UNAVAILABLE, interaction_id=interaction.id)
        if interaction.id in self._inflight:
            return VoiceResult(Step.PENDING, interaction_id=interaction.id)
        self._inflight.add(interaction.id)
        progress = _Progress(status, duration, self._rate)
        try:
            context = await self._context(actor, interaction.file_id if blob_path is None else None)
            stored_at = blob_path or context.path
            if stored_at is None:
                raise NotFound("voice.retry_gone")
            path = self._blobs.open_path(stored_at)
            prompt = context.prompt
            # Mandarin-speaking reps dictate in Mandarin: forcing it avoids Whisper now and then taking
            # accented speech for English. Members who chose English may dictate in either: detect.
            language = "zh" if actor.lang is Lang.ZH else None
            ahead = self._queue.ahead()
            job = self._queue.submit(path, language, prompt)
            try:
                await progress.follow(job, ahead)
                transcript = await job.future
            except AudioRejected as exc:
                await self._mark(interaction.id, VoiceStatus.REJECTED, reason=exc.key, undone=True)
                raise
            except Exception:
                logger.exception("transcription of voice note %s failed", interaction.id)
                await self._mark(interaction.id, VoiceStatus.FAILED, reason="error")
                return VoiceResult(Step.FAILED, interaction_id=interaction.id)
            finally:
                if not job.future.done():
                    job.future.cancel()  # the caller went away: the worker skips it
            self._measure(transcript)
            if not transcript.text.strip():
                await self._mark(
                    interaction.id, VoiceStatus.REJECTED, reason="voice.rejected.silent", undone=True
                )
                raise AudioRejected("voice.rejected.silent")
            await progress.minutes()
            minutes = await self._record(actor, interaction, transcript, context.candidates)
            return VoiceResult(Step.MINUTES, minutes=minutes)
        finally:
            await progress.stop()
            self._inflight.discard(interaction.id)

    def _measure(self, transcript: Transcript) -> None:
        """How long transcription takes per second of audio, for the next notes' progress estimate."""
        measured = _stt_seconds(transcript)
        if transcript.audio_seconds > 0 and measured is not None and measured > 0:
            self._rate = 0.7 * self._rate + 0.3 * (measured / transcript.audio_seconds)

    async def _mark(
        self, interaction_id: int, state: VoiceStatus, *, reason: str, undone: bool = False
    ) -> None:
        async with self._uow() as uow:
            interaction = await uow.interactions.get(interaction_id)
            if interaction is None or not move(interaction, state):
                return
            voice = dict(interaction.facts.get("voice", {}))
            voice.update(reason=reason)
            interaction.facts = {**interaction.facts, "voice": voice}
            if undone and interaction.undone_at is None:
                # Nothing came of it: /undo and the history skip it. The file row stays.
                interaction.undone_at = self._clock.now()
            await uow.interactions.update(interaction)
            await uow.commit()

    # --- after a restart ------------------------------------------------------------------------

    async def unfinished(self, ready: Callable[[], bool] | None = None) -> list[Interaction]:
        """The notes a previous process left half done (stopped while they waited or were
        transcribed), once `ready` says a channel can take the minutes (at most a minute's wait).
        Only notes without a channel message key (the console's): a keyed note came through a
        channel's durable inbox, whose job is handled again by whichever process takes it over (and
        finds the note by its key), so resuming it here too would transcribe it twice."""
        for _ in range(RESUME_READY_WAIT):
            if ready is None or ready():
                break
            await asyncio.sleep(1.0)
        started = self._clock.now()
        async with self._uow(read_only=True) as uow:
            recent = await uow.interactions.by_source_since(
                Source.VOICE, started - RESUME_WINDOW, RESUME_LIMIT
            )
        return [
            i
            for i in recent
            if _status(i) is VoiceStatus.TRANSCRIBING
            and i.external_key is None
            and i.id not in self._inflight
            and i.created_at < started
        ]

    async def resume(self, interaction: Interaction) -> tuple[Member, VoiceResult | AudioRejected] | None:
        """Transcribes one unfinished note for its author: the result (or why the recording was
        refused after all); None when its author is gone or it cannot be resumed."""
        member = await self._members.get(interaction.author_id)
        if member is None or not member.active:
            return None
        try:
            return member, await self._retry_stored(member, interaction, None)
        except AudioRejected as exc:
            return member, exc
        except (NotFound, StorageError):
            logger.warning("voice note %s could not be resumed", interaction.id, exc_info=True)
            return None

    # --- what transcription needs ------------------------------------------------------------

    async def _context(self, actor: Member, file_id: int | None) -> _Context:
        """One read: the recording's path (when `file_id` is given), the team's product terms and the
        rep's recent customers with their contacts, which make the prompt and are the candidates the
        minutes are matched against."""
        owner = None if actor.role.sees_team else actor.id
        async with self._uow(read_only=True) as uow:
            file = await uow.files.get(file_id) if file_id is not None else None
            team = await uow.teams.get(actor.team_id)
            recent = await uow.customers.recent(actor.team_id, owner, CANDIDATE_CUSTOMERS)
            contacts = {c.id: tuple(await uow.contacts.for_customer(c.id)) for c in recent}
            if owner is None:
                # A manager sees the team's customers; the prompt still names their own.
                own = await uow.customers.recent(actor.team_id, actor.id, PROMPT_CUSTOMERS)
                for customer in own:
                    if customer.id not in contacts:
                        contacts[customer.id] = tuple(await uow.contacts.for_customer(customer.id))
            else:
                own = recent[:PROMPT_CUSTOMERS]
        terms = [str(term) for term in (team.settings.get(TERMS_KEY) or [])] if team else []
        candidates = [Candidate(c, contacts[c.id]) for c in recent if can_see(actor, c.owner_id, c.team_id)]
        return _Context(
            path=file.path if file is not None else None,
            prompt=_prompt(actor, terms, [(c, contacts[c.id]) for c in own]),
            candidates=candidates,
        )

    # --- minutes ------------------------------------------------------------------------------

    async def _record(
        self, actor: Member, interaction: Interaction, transcript: Transcript, recent: list[Candidate]
    ) -> Minutes:
        text = transcript.text.strip()
        # Relative times ("下周三") count from when the note was recorded, not from a later retry.
        said_at = actor.local(interaction.created_at)
        facts = await asyncio.to_thread(self._extractor.minutes, text, said_at)
        now = self._clock.now()
        async with self._uow() as uow:
            current = await uow.interactions.get(interaction.id)
            if current is None or current.undone_at is not None:
                raise NotFound("voice.retry_gone")
            if _status(current) is VoiceStatus.DONE:  # a retry raced with the first run
                return await self._load(uow, actor, current.id, Outcome.REPEATED)
            candidates = await self._candidates(uow, actor, facts, recent)
            prior = _prior(candidates, now)
            scored = score(candidates, text, facts, self._normalizer, prior)
            chosen, offered = decide(scored)
            # The customer as it is now: it was read before transcription, and what the note says is
            # written onto it.
            fresh = await _still_visible(uow, actor, chosen.customer.id) if chosen is not None else None
            if chosen is not None and fresh is not None:
                outcome, target, create = Outcome.MATCHED, fresh, False
            elif facts.company and not any(s.evidence >= OFFER for s in offered):
                # A company none of the rep's customers is: a new one (the prior alone is no match).
                outcome, target, create = Outcome.CREATED, None, True
            else:
                outcome, target, create = Outcome.ASK, None, False
                # Besides the likely ones, the customers the rep worked on last.
                offered += [s for s in scored if s not in offered][: max(0, ASK_AT_LEAST - len(offered))]
            link = await self._link(
                uow, actor, facts, target, create=create, contact=chosen.contact if chosen else None, now=now
            )
            current.content = text
            move(current, VoiceStatus.DONE)
            current.facts = {
                **facts.to_json(),
                "voice": {
                    **current.facts.get("voice", {}),
                    "reason": None,
                    "language": transcript.language,
                    "audio_seconds": round(transcript.audio_seconds, 1),
                    "stt_seconds": _stt_seconds(transcript),
                    "candidates": [s.customer.id for s in offered],
                },
            }
            _attach(current, link)
            await uow.interactions.update(current)
            commitments, reminders = await store_follow_ups(
                uow, actor, facts, current, now, remind_from=_for_reminders(facts, link)
            )
            await audit.record(
                uow,
                actor,
                "capture",
                ("interaction", current.id),
                {"interaction": current.id},
                now,
                link.journal,
            )
            await uow.commit()
        logger.info(
            "minutes %s: %s, %d commitment(s), %d reminder(s)",
            current.id,
            outcome.value,
            len(commitments),
            len(reminders),
        )
        return Minutes(
            outcome=outcome,
            interaction=current,
            facts=facts,
            customer=link.customer,
            contact=link.contact,
            deal=link.deal,
            created_customer=link.created_customer,
            candidates=[s.customer for s in offered],
            commitments=commitments,
            reminders=reminders,
        )

    async def _candidates(
        self, uow: UnitOfWork, actor: Member, facts: Facts, recent: list[Candidate]
    ) -> list[Candidate]:
        """The rep's recent customers (read with the prompt), and older ones the note names."""
        owner = None if actor.role.sees_team else actor.id
        found = {candidate.customer.id: candidate for candidate in recent}
        queries = [facts.company, facts.name, *(p.name for p in facts.people)]
        for query in dict.fromkeys(q for q in queries if q and len(q) >= 2):
            for customer in await uow.customers.search(actor.team_id, owner, query, SEARCH_PER_NAME):
                if customer.id not in found and can_see(actor, customer.owner_id, customer.team_id):
                    found[customer.id] = Candidate(
                        customer, tuple(await uow.contacts.for_customer(customer.id))
                    )
        return list(found.values())

    async def _link(
        self,
        uow: UnitOfWork,
        actor: Member,
        facts: Facts,
        customer: Customer | None,
        *,
        create: bool,
        contact: Contact | None,
        now: datetime,
    ) -> _Link:
        """Puts what the note says onto the customer (a new one when `create`) and its contacts,
        journaling every record it creates or changes."""
        journal = Journal()
        deal: Deal | None = None
        created = False
        if customer is None and create:
            customer = new_customer(actor, facts, now)
            customer.follow_up = FollowUp.MEETING if facts.next_meeting else FollowUp.CONTACTED
            await uow.customers.add(customer, self._company_key(customer.name))
            journal.created(customer)
            deal = await open_first_deal(uow, actor, customer, facts, now)
            journal.created(deal)
            created = True
        elif customer is not None:
            journal.track(customer)
            apply_to_customer(customer, facts)
            # A visit is contact made; a meeting agreed is more.
            if facts.next_meeting is not None:
                customer.follow_up = FollowUp.MEETING
            elif customer.follow_up in (None, FollowUp.NEW):
                customer.follow_up = FollowUp.CONTACTED
            customer.updated_at = now
            await uow.customers.update(customer, self._company_key(customer.name))
            deal = await open_deal(uow, customer.id)
        if customer is None:
            return _Link(None, None, None, journal, False)

        contacts = await uow.contacts.for_customer(customer.id)
        if contact is not None:
            contact = next((c for c in contacts if c.id == contact.id), contact)
        elif facts.name:
            contact = mentioned_contact(contacts, facts.name, self._normalizer.sounds)
        touched: dict[int, Contact] = {}
        if contact is None and facts.name:
            contact = new_contact(actor, customer.id, facts, now)
            await uow.contacts.add(contact, contact_keys(self._normalizer, contact, customer.name))
            journal.created(contact)
            contacts.append(contact)
        elif contact is not None:
            journal.track(contact)
            if apply_to_contact(contact, dataclasses.replace(facts, name=None)):
                touched[contact.id] = contact
        # Decision makers named in the note: their role goes onto the matching contact.
        for person in facts.people:
            if person.role is None:
                continue
            target = mentioned_contact(contacts, person.name, self._normalizer.sounds)
            if target is None or target.decision_role is person.role:
                continue
            journal.track(target)
            target.decision_role = person.role
            touched[target.id] = target
        for each in touched.values():
            each.updated_at = now
            await uow.contacts.update(each, contact_keys(self._normalizer, each, customer.name))
        return _Link(customer, contact, deal, journal, created)

    async def _unlink(self, uow: UnitOfWork, entry: AuditEntry, now: datetime) -> Undone:
        """Takes back what the minutes' current link (`entry`) put on records, where nothing changed
        since: records it created are archived unless in use, fields it changed restored."""
        changes = await operation_changes(uow, entry)
        return await undo(
            uow,
            changes,
            normalizer=self._normalizer,
            now=now,
            operation=entry,
            own_interactions={entry.target_id} if entry.target_id is not None else set(),
        )

    async def choices(self, actor: Member, minutes: Minutes) -> list[Customer]:
        """The customers to offer when the rep changes the minutes' customer: the likely ones first,
        then the rep's recent ones."""
        owner = None if actor.role.sees_team else actor.id
        async with self._uow(read_only=True) as uow:
            recent = await uow.customers.recent(actor.team_id, owner, 6)
        current = minutes.customer.id if minutes.customer else None
        seen: dict[int, Customer] = {}
        for customer in [*minutes.candidates, *recent]:
            if customer.id != current and customer.archived_at is None:
                seen.setdefault(customer.id, customer)
        return list(seen.values())[:8]

    # --- corrections ----------------------------------------------------------------------------

    async def minutes(self, actor: Member, interaction_id: int) -> Minutes:
        """The minutes of a voice note as they stand now."""
        async with self._uow(read_only=True) as uow:
            return await self._load(uow, actor, interaction_id, None)

    async def set_customer(
        self, actor: Member, interaction_id: int, customer_id: int | None, *, name: str | None = None
    ) -> Minutes:
        """Moves the minutes to another customer (`customer_id`), or to a new one called `name`.
        What the note had put on the previous customer is taken back from it."""
        now = self._clock.now()
        async with self._uow() as uow:
            interaction, entry = await self._editable(uow, actor, interaction_id)
            facts = Facts.from_json(interaction.facts)
            target: Customer | None = None
            if customer_id is not None:
                target = await visible_customer(uow, actor, customer_id)
                if target.id == interaction.customer_id:
                    return await self._load(uow, actor, interaction_id, None)
            elif not name:
                raise InputRejected("input.empty")
            else:
                # A name typed for a "new" customer that the rep already has is that customer.
                key = self._company_key(name)
                same = await uow.customers.by_name_key(actor.team_id, key) if key else []
                target = next((c for c in same if can_see(actor, c.owner_id, c.team_id)), None)
                if target is not None and target.id == interaction.customer_id:
                    return await self._load(uow, actor, interaction_id, None)
            undone = await self._unlink(uow, entry, now)
            await audit.record(
                uow, actor, UNLINKED, ("interaction", interaction.id), {"from": entry.id}, now, undone.journal
            )
            link_facts = facts if target is not None else dataclasses.replace(facts, company=name)
            link = await self._link(
                uow, actor, link_facts, target, create=target is None, contact=None, now=now
            )
            _attach(interaction, link)
            await uow.interactions.update(interaction)
            await self._relink_followers(uow, interaction, link)
            # The new link is what /undo and a discard take back from now on (crm.journal.CAPTURE_ACTIONS).
            await audit.record(
                uow,
                actor,
                "capture.relinked",
                ("interaction", interaction.id),
                {"customer": interaction.customer_id},
                now,
                link.journal,
            )
            minutes = await self._load(uow, actor, interaction_id, None)
            await uow.commit()
        return minutes

    async def discard(self, actor: Member, interaction_id: int) -> None:
        """Marks the minutes undone, cancels their reminders and takes back what they put on the
        customer. The recording is kept."""
        now = self._clock.now()
        async with self._uow() as uow:
            interaction, entry = await self._editable(uow, actor, interaction_id, discarding=True)
            undone = await self._unlink(uow, entry, now)
            for reminder in await uow.reminders.for_interaction(interaction.id):
                if reminder.status in (ReminderStatus.PENDING, ReminderStatus.DELIVERED):
                    reminder.status = ReminderStatus.CANCELLED
                    await uow.reminders.update(reminder)
            for commitment in await uow.commitments.for_interaction(interaction.id):
                if commitment.done_at is None:
                    commitment.done_at = now
                    await uow.commitments.update(commitment)
            move(interaction, VoiceStatus.DISCARDED)  # _editable let through done minutes only
            interaction.undone_at = now
            await uow.interactions.update(interaction)
            await audit.record(
                uow, actor, "minutes.discarded", ("interaction", interaction.id), {}, now, undone.journal
            )
            await uow.commit()

    async def edit(self, actor: Member, interaction_id: int, name: str, raw: str) -> Minutes:
        """Corrects one part of the minutes: the summary, the next meeting (its reminder moves with
        it) or the budget (the customer's too)."""
        if name not in EDITABLE:
            raise InputRejected("error.input_rejected")
        now = self._clock.now()
        moment: datetime | None = None
        if name == "next_meeting":
            moment = self._extractor.when(one_line(raw, 100), actor.local(now))
            if moment is None or moment <= now:
                raise InputRejected("minutes.edit.bad_time", value=one_line(raw, 100))
        async with self._uow() as uow:
            interaction, _ = await self._editable(uow, actor, interaction_id)
            data = dict(interaction.facts)
            customer = await uow.customers.get(interaction.customer_id) if interaction.customer_id else None
            changes = Journal()
            if customer is not None:
                changes.track(customer)
            if name == "summary":
                data["summary"] = one_line(raw, 300)
            elif name == "budget":
                amount = self._normalizer.money(one_line(raw, 100))
                if amount is None:
                    raise InputRejected("edit.bad_budget", value=one_line(raw, 100))
                data["budget_cny"], data["budget_min_cny"] = amount, None
                if customer is not None:
                    customer.budget_cny, customer.budget_min_cny = amount, None
            elif moment is not None:
                data["next_meeting"] = moment.isoformat()
                if customer is not None:
                    customer.next_meeting = moment
                    customer.follow_up = FollowUp.MEETING
                for reminder in await uow.reminders.for_interaction(interaction.id):
                    if reminder.kind is ReminderKind.MEETING and reminder.status is ReminderStatus.PENDING:
                        reminder.status = ReminderStatus.CANCELLED
                        await uow.reminders.update(reminder)
                meeting = Facts.from_json(data)
                if moment - MEETING_LEAD > now:
                    await uow.reminders.add(
                        Reminder(
                            id=0,
                            team_id=actor.team_id,
                            member_id=actor.id,
                            kind=ReminderKind.MEETING,
                            text=_meeting_text(meeting, customer),
                            due_at=adjust_due(actor, moment - MEETING_LEAD),
                            status=ReminderStatus.PENDING,
                            created_at=now,
                            customer_id=interaction.customer_id,
                            interaction_id=interaction.id,
                        )
                    )
            if customer is not None and name != "summary":
                customer.updated_at = now
                await uow.customers.update(customer, self._company_key(customer.name))
            interaction.facts = data
            await uow.interactions.update(interaction)
            await audit.record(
                uow, actor, "minutes.edited", ("interaction", interaction.id), {"field": name}, now, changes
            )
            minutes = await self._load(uow, actor, interaction_id, None)
            await uow.commit()
        return minutes

    async def retry(self, actor: Member, interaction_id: int, token: str = "") -> VoiceResult:
        """Transcribes a kept recording again: one whose transcription failed (`interaction_id`), or
        one kept on disk while the database was down (`token`)."""
        if token:
            payload = self._spool.get(token)
            if payload is None or payload.get("kind") != "voice" or payload.get("member_id") != actor.id:
                raise NotFound("voice.retry_gone")
            stored = _Stored(
                sha256=str(payload["sha256"]),
                path=str(payload["path"]),
                size=int(payload["size"]),
                mime=str(payload["mime"]),
                filename=payload.get("filename"),
                duration=payload.get("duration"),
            )
            result = await self._accept(actor, stored, payload.get("key"), None)
            if result.step is not Step.SPOOLED:
                self._spool.delete(token)
            return result
        async with self._uow(read_only=True) as uow:
            interaction = await uow.interactions.get(interaction_id)
        if (
            interaction is None
            or interaction.team_id != actor.team_id
            or interaction.source is not Source.VOICE
        ):
            raise NotFound("voice.retry_gone")
        if interaction.author_id != actor.id:
            raise NotAllowed()
        return await self._again(actor, interaction, None)

    async def terms(self, actor: Member) -> list[str]:
        """The team's product terms for the transcriber's prompt (/terms)."""
        async with self._uow(read_only=True) as uow:
            team = await uow.teams.get(actor.team_id)
        if team is None:
            raise NotFound()
        return [str(term) for term in team.settings.get(TERMS_KEY) or []]

    async def set_terms(self, actor: Member, args: str) -> int:
        """/terms 词1，词2 (managers; "-" clears them): the team's terms from now on; how many."""
        async with self._uow() as uow:
            team = await uow.teams.get(actor.team_id)
            if team is None:
                raise NotFound()
            if not actor.role.sees_team:
                raise NotAllowed()
            text = one_line(args, limit=2000)
            terms = [] if text == "-" else _split_terms(text)
            if len(terms) > MAX_TERMS:
                raise InputRejected("terms.too_many", limit=MAX_TERMS)
            team.settings = {**team.settings, TERMS_KEY: terms}
            await uow.teams.update(team)
            await audit.record(
                uow, actor, "team.terms", ("team", actor.team_id), {"count": len(terms)}, self._clock.now()
            )
            await uow.commit()
        return len(terms)

    # --- helpers ------------------------------------------------------------------------------

    async def _editable(
        self, uow: UnitOfWork, actor: Member, interaction_id: int, *, discarding: bool = False
    ) -> tuple[Interaction, AuditEntry]:
        interaction = await uow.interactions.get(interaction_id)
        if (
            interaction is None
            or interaction.team_id != actor.team_id
            or interaction.source is not Source.VOICE
        ):
            raise NotFound()
        if interaction.author_id != actor.id and not actor.role.sees_team:
            raise NotFound()
        if interaction.undone_at is not None:
            raise InputRejected("minutes.already_discarded" if discarding else "error.not_found")
        if _status(interaction) is not VoiceStatus.DONE:
            raise NotFound("voice.retry_gone")
        entry = await capture_operation(uow, interaction.id)
        if entry is None:
            raise NotFound()
        return interaction, entry

    async def _load(
        self, uow: UnitOfWork, actor: Member, interaction_id: int, outcome: Outcome | None
    ) -> Minutes:
        interaction = await uow.interactions.get(interaction_id)
        if (
            interaction is None
            or interaction.team_id != actor.team_id
            or interaction.source is not Source.VOICE
        ):
            raise NotFound()
        if interaction.author_id != actor.id and not actor.role.sees_team:
            raise NotFound()
        customer = await uow.customers.get(interaction.customer_id) if interaction.customer_id else None
        while customer is not None and customer.merged_into is not None:
            customer = await uow.customers.get(customer.merged_into)
        contact = await uow.contacts.get(interaction.contact_id) if interaction.contact_id else None
        while contact is not None and contact.merged_into is not None:
            contact = await uow.contacts.get(contact.merged_into)
        # Minutes on records the member may no longer see (handed to a colleague) show nothing of them.
        for record in (customer, contact):
            if record is not None and not can_see(actor, record.owner_id, record.team_id):
                raise NotFound()
        deal = await uow.deals.get(interaction.deal_id) if interaction.deal_id else None
        entry = await capture_operation(uow, interaction.id)
        created = bool(
            entry is not None and customer and customer.id in await created_ids(uow, entry, "customer")
        )
        candidates: list[Customer] = []
        for customer_id in interaction.facts.get("voice", {}).get("candidates") or []:
            found = await uow.customers.get(int(customer_id))
            if (
                found is not None
                and found.archived_at is None
                and found.merged_into is None
                and can_see(actor, found.owner_id, found.team_id)
            ):
                candidates.append(found)
        if outcome is None:
            outcome = Outcome.ASK if customer is None else (Outcome.CREATED if created else Outcome.MATCHED)
        return Minutes(
            outcome=outcome,
            interaction=interaction,
            facts=Facts.from_json(interaction.facts),
            customer=customer,
            contact=contact,
            deal=deal,
            created_customer=created,
            candidates=candidates if customer is None else [],
            commitments=await uow.commitments.for_interaction(interaction.id),
            reminders=[
                r
                for r in await uow.reminders.for_interaction(interaction.id)
                if r.status in (ReminderStatus.PENDING, ReminderStatus.DELIVERED)
            ],
        )

    async def _relink_followers(self, uow: UnitOfWork, interaction: Interaction, link: _Link) -> None:
        """Commitments and reminders of the minutes follow them to their new customer."""
        for commitment in await uow.commitments.for_interaction(interaction.id):
            commitment.customer_id = interaction.customer_id
            commitment.deal_id = interaction.deal_id
            await uow.commitments.update(commitment)
        facts = Facts.from_json(interaction.facts)
        for reminder in await uow.reminders.for_interaction(interaction.id):
            reminder.customer_id = interaction.customer_id
            if reminder.kind is ReminderKind.MEETING:
                reminder.text = _meeting_text(facts, link.customer)
            await uow.reminders.update(reminder)

    def _company_key(self, name: str | None) -> str:
        return self._normalizer.company_key(name) if name else ""


@dataclass(frozen=True, slots=True)
class _Context:
    """What transcribing a note needs, read in one unit of work."""

    path: str | None
    prompt: str | None
    candidates: list[Candidate]


@dataclass(frozen=True, slots=True)
class _Stored:
    """A recording in the blob store, before (or without) its database rows."""

    sha256: str
    path: str
    size: int
    mime: str
    filename: str | None
    duration: float | None

    @property
    def name(self) -> str | None:
        return self.filename


def _status(interaction: Interaction) -> VoiceStatus:
    # A voice interaction without a status was made by some other path and is complete.
    return interaction.voice_status or VoiceStatus.DONE


def move(interaction: Interaction, to: VoiceStatus) -> bool:
    """Moves the note to `to` if the state machine allows it from where it stands; False (and no
    change) otherwise, e.g. a late failure report about minutes a retry has already written."""
    current = _status(interaction)
    if to not in MOVES[current]:
        logger.info("voice note %s stays %s (not %s)", interaction.id, current.value, to.value)
        return False
    interaction.voice_status = to
    return True


async def _still_visible(uow: UnitOfWork, actor: Member, customer_id: int) -> Customer | None:
    try:
        return await visible_customer(uow, actor, customer_id)
    except NotFound:
        return None  # merged or archived while the note was transcribed


def _prompt(
    actor: Member, terms: list[str], customers: list[tuple[Customer, tuple[Contact, ...]]]
) -> str | None:
    """The team's product terms and the rep's recent customers and contacts, most recent last (the
    engine keeps the end of a prompt that is too long), so names come out spelled as stored."""
    names: list[str] = []
    for customer, contacts in reversed(customers):
        names += [c.name for c in contacts[:PROMPT_CONTACTS] if c.name]
        if customer.name:
            names.append(customer.name)
    items = list(dict.fromkeys(item.strip() for item in [*terms, *names] if item and item.strip()))
    if not items:
        return None
    # Whisper continues the prompt's style: a list that ends a sentence makes it punctuate the note
    # (measured on the bench clip: without the full stop it often writes no punctuation at all, and
    # nlu then cannot tell one promise from the next).
    if actor.lang is Lang.ZH:
        return "，".join(items) + "。"
    return ", ".join(items) + "."


def _stt_seconds(transcript: Transcript) -> float | None:
    """The engine's own timing, when it reports one (speech.whisper_stt does; the port does not ask)."""
    measured = getattr(transcript, "stt_seconds", None)
    return round(float(measured), 2) if isinstance(measured, int | float) else None


def _attach(interaction: Interaction, link: _Link) -> None:
    interaction.customer_id = link.customer.id if link.customer else None
    interaction.contact_id = link.contact.id if link.contact else None
    interaction.deal_id = link.deal.id if link.deal else None


def _prior(candidates: list[Candidate], now: datetime) -> int | None:
    """The customer the rep worked on last, if that was within a day: the likeliest one a note that
    names no one is about."""
    if not candidates:
        return None
    latest = max(candidates, key=lambda c: (c.customer.updated_at, c.customer.id)).customer
    return latest.id if now - latest.updated_at <= PRIOR_WINDOW else None


def _for_reminders(facts: Facts, link: _Link) -> Facts:
    """The facts as the reminder texts should name them: the customer and contact as stored."""
    company = link.customer.name if link.customer and link.customer.name else facts.company
    name = link.contact.name if link.contact and link.contact.name else facts.name
    return dataclasses.replace(facts, company=company, name=name)


def _meeting_text(facts: Facts, customer: Customer | None) -> str:
    company = customer.name if customer and customer.name else facts.company
    who = " ".join(part for part in (company, facts.name) if part)
    return who or "meeting"


def _split_terms(text: str) -> list[str]:
    import re

    parts = re.split(r"\s*[,，、;；\n]+\s*", text)
    return list(dict.fromkeys(part.strip()[:50] for part in parts if part.strip()))


def _too_large(limit: int) -> AudioRejected:
    return AudioRejected("voice.rejected.too_large", limit=limit // (1024 * 1024))


_MIME_SUFFIX = {
    "audio/ogg": ".ogg",
    "audio/opus": ".ogg",
    "audio/mpeg": ".mp3",
    "audio/mp4": ".m4a",
    "audio/x-m4a": ".m4a",
    "audio/aac": ".aac",
    "audio/amr": ".amr",
    "audio/wav": ".wav",
    "audio/x-wav": ".wav",
    "audio/webm": ".webm",
    "video/mp4": ".mp4",
}


def _suffix(note: VoiceNote) -> str:
    if note.filename and "." in note.filename:
        suffix = "." + note.filename.rsplit(".", 1)[1].lower()
        if suffix.isascii() and 2 <= len(suffix) <= 6 and suffix[1:].isalnum():
            return suffix
    return _MIME_SUFFIX.get((note.mime or "").lower(), ".bin")


def _mime(suffix: str) -> str:
    reverse = {value: key for key, value in reversed(list(_MIME_SUFFIX.items()))}
    return reverse.get(suffix, "application/octet-stream")


def _probe_bytes(probe: AudioProbe, data: bytes, suffix: str) -> float | None:
    with tempfile.TemporaryDirectory(prefix="chatcrm-voice-") as tmp:
        path = Path(tmp) / f"note{suffix}"
        path.write_bytes(data)
        return probe.duration(path)


__all__ = [
    "MAX_SECONDS",
    "Minutes",
    "Outcome",
    "Step",
    "TranscriptionQueue",
    "VoiceResult",
    "VoiceService",
    "VoiceStatus",
]
