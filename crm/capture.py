"""Capture: a forwarded or pasted customer chat becomes a lead (customer, contact, deal), deduplicated.

The service runs nlu first, outside any transaction, then writes everything a capture produces in one
unit of work: the interaction (the raw text, always kept), the records, commitments, reminders,
duplicate flags and an audit entry that journals what changed so that /undo can reverse it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from crm import audit
from crm.dedup import Fingerprint, Match, MatchKind, best_fuzzy_match, exact_match
from crm.errors import NotRegistered, StorageConflict, StorageError, StorageUnavailable
from crm.facts import Facts
from crm.inputs import ChatMessage
from crm.journal import Journal
from crm.model import (
    Commitment,
    Contact,
    Customer,
    Deal,
    DuplicateFlag,
    DuplicateKind,
    DuplicateStatus,
    Interaction,
    Member,
    Reminder,
    Source,
)
from crm.ports import Clock, FactExtractor, InputSpool, Normalizer, UnitOfWork, UnitOfWorkFactory
from crm.profile import CoreField, completeness, missing_core
from crm.records import (
    apply_to_contact,
    apply_to_customer,
    can_see,
    contact_keys,
    fingerprint,
    new_contact,
    new_customer,
    open_deal,
    open_first_deal,
    sees_contact,
)
from crm.reminder_plan import store_follow_ups
from crm.text import clean

logger = logging.getLogger(__name__)

CANDIDATE_LIMIT = 200
TYPO_CANDIDATE_LIMIT = 50
CAPTURE_SOURCES = (Source.CHAT, Source.NOTE, Source.VOICE, Source.CARD)
# "提醒我周五给他回电话" refers to whoever the rep captured last, if that was recent enough.
RECENT_CUSTOMER_WINDOW = timedelta(hours=24)


def transcript(messages: Sequence[ChatMessage]) -> str:
    """The conversation as "Sender: text" lines, the rep's own lines as "我: …".

    Messages of a burst can arrive out of order (each is its own update, handled concurrently);
    where the channel numbers them, that number gives the order.
    """
    lines: list[str] = []
    numbered = all(message.order is not None for message in messages)
    ordered = sorted(messages, key=lambda m: m.order or 0) if numbered else list(messages)
    for message in ordered:
        text = message.text.strip()
        if not text:
            continue
        speaker = "我" if message.from_self else message.sender
        lines.append(f"{speaker}: {text}" if speaker else text)
    return "\n".join(lines)


class Outcome(StrEnum):
    CREATED = "created"  # a new lead
    UPDATED = "updated"  # attached to a contact the rep already had (same phone, e-mail or WeChat)
    COLLEAGUE = "colleague"  # the customer belongs to a colleague; the rep sees nothing of it
    NOTED = "noted"  # no one named, but times or to-dos: a note on the rep's latest customer
    NOTHING = "nothing"  # no customer facts found; kept as a note
    REPEATED = "repeated"  # the same messages were captured before


@dataclass(slots=True)
class CaptureResult:
    outcome: Outcome
    facts: Facts
    interaction_id: int | None = None
    customer: Customer | None = None
    contact: Contact | None = None
    deal: Deal | None = None
    completeness_before: int = 0
    completeness_after: int = 0
    missing: list[CoreField] = field(default_factory=list)
    match: Match | None = None
    candidate: Contact | None = None  # the possible duplicate, when the rep may see it
    candidate_company: str | None = None
    flag_id: int | None = None
    flagged_for_review: bool = False
    commitments: list[Commitment] = field(default_factory=list)
    reminders: list[Reminder] = field(default_factory=list)
    removed_characters: int = 0


class CaptureHook(Protocol):
    """What one kind of capture adds inside the capture's unit of work (crm.cards: its photos)."""

    async def before(self, uow: UnitOfWork, interaction: Interaction) -> None:
        """Before the interaction is written: e.g. file rows, `file_id` and extra facts."""
        ...

    async def after(self, uow: UnitOfWork, result: CaptureResult) -> None:
        """After the records are written, before the commit: e.g. contact fields Facts lacks."""
        ...


RetryHandler = Callable[[Member, dict[str, Any]], Awaitable[CaptureResult]]


@dataclass(slots=True)
class _Entry:
    """The audit entry a capture ends with, written after its hook (which may change records too)."""

    action: str
    detail: dict[str, Any]
    journal: Journal | None = None


async def find_duplicate(
    uow: UnitOfWork, team_id: int, probe: Fingerprint
) -> tuple[Match | None, dict[int, Contact]]:
    """The existing contact `probe` most likely duplicates, and every candidate looked at.

    Exact identifiers and the selective name/company keys first; the coarse typo key only when those
    found nothing, so that a lookup stays a few index probes at a million contacts.
    """
    seen: dict[int, Contact] = {}
    phases = [
        (probe.exact_keys() + probe.blocking_keys(), CANDIDATE_LIMIT),
        (probe.typo_keys(), TYPO_CANDIDATE_LIMIT),
    ]
    for keys, limit in phases:
        if not keys:
            continue
        candidates = await uow.contacts.candidates(team_id, keys, limit)
        if not candidates:
            continue
        prints = [(contact.id, Fingerprint.from_keys(stored)) for contact, stored in candidates]
        seen.update((contact.id, contact) for contact, _ in candidates)
        match = exact_match(probe, prints) or best_fuzzy_match(probe, prints)
        if match is not None:
            return match, seen
    return None, seen


class CaptureService:
    """Turns what a rep sends into CRM records."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        extractor: FactExtractor,
        normalizer: Normalizer,
        spool: InputSpool,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._extractor = extractor
        self._normalizer = normalizer
        self._spool = spool
        self._retries: dict[str, RetryHandler] = {}

    def register_retry(self, kind: str, handler: RetryHandler) -> None:
        """How a kind of capture kept in the spool (payload "kind") is run again."""
        if kind in self._retries or kind == "chat":
            raise ValueError(f"retry kind registered twice: {kind}")
        self._retries[kind] = handler

    async def capture(
        self,
        actor: Member,
        source: Source,
        content: str,
        facts: Facts,
        keys: list[str],
        *,
        spool: dict[str, Any],
        hook: CaptureHook | None = None,
    ) -> CaptureResult:
        """Facts already extracted (a card's) captured like a chat: dedup, records, journal,
        idempotency on `keys`. When the database fails, `spool` is kept for a retry button."""
        try:
            return await self._store(actor, content, facts, keys, self._clock.now(), source, hook)
        except StorageConflict:
            # Two deliveries of the same update raced; the one that committed did the work.
            logger.info("capture for member %s raced with a duplicate delivery", actor.id)
            return CaptureResult(outcome=Outcome.REPEATED, facts=facts)
        except StorageError as exc:
            logger.exception("capture not saved for member %s", actor.id)
            raise StorageUnavailable(self._spool.put(spool)) from exc

    async def chat(self, actor: Member, messages: Sequence[ChatMessage]) -> CaptureResult:
        """A forwarded burst of messages or a pasted chat becomes (or updates) a lead."""
        cleaned = clean(transcript(messages))
        now = self._clock.now()
        facts = self._extractor.chat(cleaned.text, actor.local(now))
        keys = [m.key for m in messages if m.key]
        spool = {
            "kind": "chat",
            "member_id": actor.id,
            "messages": [
                {"text": m.text, "sender": m.sender, "from_self": m.from_self, "key": m.key, "order": m.order}
                for m in messages
            ],
        }
        result = await self.capture(actor, Source.CHAT, cleaned.text, facts, keys, spool=spool)
        result.removed_characters = cleaned.removed
        return result

    async def retry(self, actor: Member, token: str) -> CaptureResult | None:
        """Runs a capture kept while the database was down; None when there is nothing to retry."""
        payload = self._spool.get(token)
        if payload is None or payload.get("member_id") != actor.id:
            return None
        kind = payload.get("kind")
        if kind == "chat":
            result = await self.chat(actor, [ChatMessage(**message) for message in payload["messages"]])
        elif isinstance(kind, str) and kind in self._retries:
            result = await self._retries[kind](actor, payload)
        else:
            return None
        self._spool.delete(token)
        return result

    async def _store(
        self,
        actor: Member,
        text: str,
        facts: Facts,
        keys: list[str],
        now: datetime,
        source: Source,
        hook: CaptureHook | None = None,
    ) -> CaptureResult:
        async with self._uow() as uow:
            # Read again here: Telegram's burst collector resolved the member seconds ago, and their
            # access may have been taken away (and their records handed over) since.
            member = await uow.members.get(actor.id)
            if member is None or not member.active:
                raise NotRegistered()
            if keys and await uow.processed.seen(keys) == set(keys):
                return CaptureResult(outcome=Outcome.REPEATED, facts=facts)
            result, entry = await self._record(uow, actor, text, facts, keys, now, source, hook)
            if hook is not None:
                await hook.after(uow, result)
            await audit.record(
                uow,
                actor,
                entry.action,
                ("interaction", result.interaction_id),
                entry.detail,
                now,
                entry.journal,
            )
            await uow.processed.add(keys)
            await uow.commit()
        return result

    async def _record(
        self,
        uow: UnitOfWork,
        actor: Member,
        text: str,
        facts: Facts,
        keys: list[str],
        now: datetime,
        source: Source,
        hook: CaptureHook | None = None,
    ) -> tuple[CaptureResult, _Entry]:
        interaction = Interaction(
            id=0,
            team_id=actor.team_id,
            author_id=actor.id,
            source=source,
            content=text,
            facts=facts.to_json(),
            created_at=now,
            external_key=keys[0] if keys else None,
        )
        if hook is not None:
            await hook.before(uow, interaction)
        if facts.is_empty():
            interaction.source = Source.NOTE
            await uow.interactions.add(interaction)
            result = CaptureResult(outcome=Outcome.NOTHING, facts=facts, interaction_id=interaction.id)
            return result, _Entry("capture", {"interaction": interaction.id}, Journal())
        # "提醒我明天给王总发报价" names someone only in passing: an ask to be reminded with no details
        # of a new person is a note on the customer the rep is working on, not a new lead.
        if not facts.identifies_someone() or (facts.reminders and not facts.has_contact_details()):
            return await self._note(uow, actor, interaction, facts, now)

        probe = fingerprint(self._normalizer, name=facts.name, company=facts.company, facts=facts)
        match, by_id = await find_duplicate(uow, actor.team_id, probe)

        if match is not None and match.kind is MatchKind.EXACT:
            existing = by_id[match.contact_id]
            owner = await uow.customers.get(existing.customer_id) if existing.customer_id else None
            # The rule /find applies: a colleague's contact (or a contact of a colleague's customer) is
            # theirs; the rep learns only that it is taken.
            if not sees_contact(actor, existing, owner):
                return await self._colleague(
                    uow, actor, interaction, facts, existing.customer_id, existing.id
                )
            return await self._attach(uow, actor, interaction, facts, existing, owner, match, now)

        customer: Customer | None = None
        if facts.company:
            company_key = self._normalizer.company_key(facts.company)
            same_company = await uow.customers.by_name_key(actor.team_id, company_key) if company_key else []
            if same_company:
                mine = [c for c in same_company if can_see(actor, c.owner_id, c.team_id)]
                if not mine:
                    return await self._colleague(uow, actor, interaction, facts, same_company[0].id, None)
                customer = mine[0]
        return await self._create(uow, actor, interaction, facts, customer, match, by_id, now)

    async def _create(
        self,
        uow: UnitOfWork,
        actor: Member,
        interaction: Interaction,
        facts: Facts,
        customer: Customer | None,
        match: Match | None,
        candidates: dict[int, Contact],
        now: datetime,
    ) -> tuple[CaptureResult, _Entry]:
        journal = Journal()
        before = 0
        deal: Deal | None = None
        if customer is None:
            customer = new_customer(actor, facts, now)
            await uow.customers.add(customer, self._company_key(customer.name))
            journal.created(customer)
            deal = await open_first_deal(uow, actor, customer, facts, now)
            journal.created(deal)
        else:
            before = completeness(customer, None)
            journal.track(customer)
            apply_to_customer(customer, facts)
            customer.updated_at = now
            await uow.customers.update(customer, self._company_key(customer.name))
            deal = await open_deal(uow, customer.id)

        contact = new_contact(actor, customer.id, facts, now)
        await uow.contacts.add(contact, contact_keys(self._normalizer, contact, customer.name))
        journal.created(contact)

        result = CaptureResult(
            outcome=Outcome.CREATED,
            facts=facts,
            customer=customer,
            contact=contact,
            deal=deal,
            completeness_before=before,
            completeness_after=completeness(customer, contact),
            missing=missing_core(customer, contact),
        )
        if match is not None:
            await self._flag(uow, actor, result, match, candidates[match.contact_id], now)
        return result, await self._finish(uow, actor, interaction, result, journal, now)

    async def _attach(
        self,
        uow: UnitOfWork,
        actor: Member,
        interaction: Interaction,
        facts: Facts,
        contact: Contact,
        customer: Customer | None,
        match: Match,
        now: datetime,
    ) -> tuple[CaptureResult, _Entry]:
        journal = Journal()
        journal.track(contact)
        before = completeness(customer, contact)
        if apply_to_contact(contact, facts):
            contact.updated_at = now
        if customer is None and facts.company:
            customer = new_customer(actor, facts, now)
            customer.owner_id = contact.owner_id
            await uow.customers.add(customer, self._company_key(customer.name))
            journal.created(customer)
            contact.customer_id = customer.id
        elif customer is not None:
            journal.track(customer)
            apply_to_customer(customer, facts)
            customer.updated_at = now
            await uow.customers.update(customer, self._company_key(customer.name))
        await uow.contacts.update(
            contact, contact_keys(self._normalizer, contact, customer.name if customer else None)
        )
        deal = None
        if customer is not None:
            deal = await open_deal(uow, customer.id)
        result = CaptureResult(
            outcome=Outcome.UPDATED,
            facts=facts,
            customer=customer,
            contact=contact,
            deal=deal,
            completeness_before=before,
            completeness_after=completeness(customer, contact),
            missing=missing_core(customer, contact),
            match=match,
        )
        return result, await self._finish(uow, actor, interaction, result, journal, now)

    async def _note(
        self, uow: UnitOfWork, actor: Member, interaction: Interaction, facts: Facts, now: datetime
    ) -> tuple[CaptureResult, _Entry]:
        """Text that names no one but carries times, to-dos or deal facts: a note on the customer the
        rep captured last (within a day), with its reminders."""
        interaction.source = Source.NOTE
        journal = Journal()
        customer: Customer | None = None
        contact: Contact | None = None
        last = await uow.interactions.last_by_author(actor.id, CAPTURE_SOURCES)
        if (
            last is not None
            and last.customer_id is not None
            and now - last.created_at <= RECENT_CUSTOMER_WINDOW
        ):
            customer = await uow.customers.get(last.customer_id)
            if customer is not None and (
                customer.merged_into is not None
                or customer.archived_at is not None
                or not can_see(actor, customer.owner_id, customer.team_id)
            ):
                customer = None
            if customer is not None and last.contact_id is not None:
                contact = await uow.contacts.get(last.contact_id)
                if contact is not None and not sees_contact(actor, contact, customer):
                    contact = None
        before = completeness(customer, contact)
        if customer is not None:
            journal.track(customer)
            if apply_to_customer(customer, facts):
                customer.updated_at = now
                await uow.customers.update(customer, self._company_key(customer.name))
        deal = None
        if customer is not None:
            deal = await open_deal(uow, customer.id)
        result = CaptureResult(
            outcome=Outcome.NOTED,
            facts=facts,
            customer=customer,
            contact=contact,
            deal=deal,
            completeness_before=before,
            completeness_after=completeness(customer, contact),
        )
        return result, await self._finish(uow, actor, interaction, result, journal, now)

    async def _colleague(
        self,
        uow: UnitOfWork,
        actor: Member,
        interaction: Interaction,
        facts: Facts,
        customer_id: int | None,
        contact_id: int | None,
    ) -> tuple[CaptureResult, _Entry]:
        # The conversation joins the owner's history (nothing is lost, and the owner sees it); the rep
        # is told only that a colleague owns the customer, and no button of theirs reaches it
        # (CustomerService checks every record a capture leads to).
        interaction.customer_id = customer_id
        interaction.contact_id = contact_id
        await uow.interactions.add(interaction)
        result = CaptureResult(outcome=Outcome.COLLEAGUE, facts=facts, interaction_id=interaction.id)
        return result, _Entry("capture.colleague", {"interaction": interaction.id})

    async def _flag(
        self,
        uow: UnitOfWork,
        actor: Member,
        result: CaptureResult,
        match: Match,
        candidate: Contact,
        now: datetime,
    ) -> None:
        assert result.contact is not None
        visible = can_see(actor, candidate.owner_id, candidate.team_id)
        # A merge is only offered to someone who may see both records; otherwise a manager reviews it.
        kind = DuplicateKind.PROPOSED if match.kind is MatchKind.PROPOSE and visible else DuplicateKind.REVIEW
        flag = await uow.duplicates.add(
            DuplicateFlag(
                id=0,
                team_id=actor.team_id,
                kind=kind,
                contact_id=result.contact.id,
                candidate_id=candidate.id,
                score=match.score,
                status=DuplicateStatus.OPEN,
                created_at=now,
            )
        )
        result.flag_id = flag.id
        result.match = match
        if kind is DuplicateKind.PROPOSED:
            result.candidate = candidate
            if candidate.customer_id is not None:
                owner = await uow.customers.get(candidate.customer_id)
                result.candidate_company = owner.name if owner else None
        else:
            result.flagged_for_review = True

    async def _finish(
        self,
        uow: UnitOfWork,
        actor: Member,
        interaction: Interaction,
        result: CaptureResult,
        journal: Journal,
        now: datetime,
    ) -> _Entry:
        """Stores the interaction and what follows from it (commitments, reminders); the audit entry
        with the journal comes last, once everything the capture changes is changed."""
        customer, contact, deal = result.customer, result.contact, result.deal
        interaction.customer_id = customer.id if customer else None
        interaction.contact_id = contact.id if contact else None
        interaction.deal_id = deal.id if deal else None
        await uow.interactions.add(interaction)
        result.interaction_id = interaction.id
        result.commitments, result.reminders = await store_follow_ups(
            uow, actor, result.facts, interaction, now
        )
        detail: dict[str, Any] = {"interaction": interaction.id}
        if result.flag_id is not None:
            detail["flag"] = result.flag_id
        return _Entry("capture", detail, journal)

    def _company_key(self, name: str | None) -> str:
        return self._normalizer.company_key(name) if name else ""
