"""Deals through the funnel: evidence from chat, decision-chain roles, gated stage changes, won and lost.

Every change is made in one unit of work with its stage-history row and an audit entry. Perception
(document text) and file writes happen before the transaction opens. A gate that refuses raises
GateRefused with exactly what is missing, so the reply can say how to add each item from chat.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from crm import audit, files
from crm import evidence as ev
from crm.errors import InputRejected, NotAllowed, NotFound, StageGateRefused
from crm.facts import DecisionRole, Facts, PersonMention
from crm.health import DealSnapshot, Health, Scorer, satisfied
from crm.inputs import Upload
from crm.journal import Journal
from crm.model import (
    Contact,
    Customer,
    Deal,
    DealEvidence,
    DealStatus,
    EvidenceKind,
    EvidenceStatus,
    Interaction,
    Member,
    Reminder,
    Role,
    Source,
    StageChange,
    StoredFile,
)
from crm.ports import (
    BlobStore,
    Clock,
    DocumentReader,
    FactExtractor,
    Normalizer,
    UnitOfWork,
    UnitOfWorkFactory,
)
from crm.records import apply_to_customer, can_see, contact_keys, open_deal
from crm.reminder_plan import store_follow_ups
from crm.stages import (
    LOST,
    SETTINGS_KEY,
    WON,
    FieldName,
    Funnel,
    Problem,
    ReqKind,
    Requirement,
    StageConfigError,
    StageRef,
    parse,
    team_funnel,
)
from crm.text import clean, one_line

logger = logging.getLogger(__name__)

FUNNEL_CACHE_TTL = timedelta(seconds=60)

EVIDENCE_TYPES = frozenset(
    {
        files.FileType.PDF,
        files.FileType.DOCX,
        files.FileType.XLSX,
        files.FileType.JPEG,
        files.FileType.PNG,
        files.FileType.WEBP,
        files.FileType.EMAIL,
        files.FileType.TEXT,
    }
)
_READABLE = frozenset(
    {files.FileType.PDF, files.FileType.DOCX, files.FileType.XLSX, files.FileType.EMAIL, files.FileType.TEXT}
)
CONTENT_LIMIT = 20_000  # characters of a document read for keywords
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
CHOICE_LIMIT = 8
NAMED_DEAL_SCAN = 5_000
HISTORY_SHOWN = 3
RECENT_CUSTOMER_WINDOW = timedelta(hours=24)
_HONORIFICS = ("总", "经理", "总监", "主任", "工", "老师", "董", "处长", "科长", "部长", "主管")


class GateRefused(StageGateRefused):
    """A deal lacks what its target stage requires; `missing` says exactly what."""

    def __init__(self, deal: Deal, target: str, funnel: Funnel, missing: Sequence[Requirement]) -> None:
        super().__init__("deal.gate.refused", count=len(missing), stage=StageRef(funnel, target))
        self.deal = deal
        self.target = target
        self.funnel = funnel
        self.missing = tuple(missing)


def _closed(deal: Deal) -> InputRejected:
    return InputRejected(f"deal.closed.{deal.status.value}", deal=ev.tag(deal.id))


@dataclass(slots=True)
class DealView:
    """Everything a deal card shows."""

    deal: Deal
    customer: Customer | None
    contacts: list[Contact]
    funnel: Funnel
    snapshot: DealSnapshot
    health: Health
    owner: Member | None
    evidence: list[tuple[DealEvidence, StoredFile | None]]
    history: list[StageChange]

    @property
    def next_stage(self) -> str:
        return self.funnel.after(self.deal.stage)

    @property
    def name(self) -> str:
        return (
            self.deal.title
            or (self.customer.name if self.customer and self.customer.name else "")
            or ev.tag(self.deal.id)
        )


@dataclass(slots=True)
class AdvanceResult:
    view: DealView
    from_stage: str
    to_stage: str  # a stage key, "won" or "lost"
    overridden: tuple[Requirement, ...] = ()
    backwards: bool = False


@dataclass(slots=True)
class EvidenceOffer:
    """Pending evidence: what it is, which deal (or the choices), the guessed requirement and the
    other requirements to pick from. `duplicate` is set when this deal already holds the same file."""

    evidence: DealEvidence | None
    funnel: Funnel
    deal: Deal | None = None
    deal_name: str | None = None
    file: StoredFile | None = None
    guess: Requirement | None = None
    choices: tuple[Requirement, ...] = ()
    candidates: list[tuple[Deal, str | None]] = field(default_factory=list)
    duplicate: DealEvidence | None = None
    new_file: bool = True


@dataclass(slots=True)
class NoteOutcome:
    """A text a member sent about one deal: what it changed, and evidence it may be."""

    view: DealView
    budget: int | None = None
    timeline: str | None = None
    roles: list[tuple[str, DecisionRole]] = field(default_factory=list)
    offer: EvidenceOffer | None = None
    reminders: list[Reminder] = field(default_factory=list)


@dataclass(slots=True)
class RoleOutcome:
    contact: Contact
    role: DecisionRole
    created: bool
    view: DealView | None


@dataclass(slots=True)
class Resolved:
    """Which deal a member means: one, or the choices when it is not clear."""

    deal_id: int | None
    candidates: list[tuple[Deal, str | None]] = field(default_factory=list)


class DealService:
    """Deals a member may see: cards, evidence, roles, stage changes and the team's funnel."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        extractor: FactExtractor,
        normalizer: Normalizer,
        *,
        blobs: BlobStore | None = None,
        documents: DocumentReader | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._extractor = extractor
        self._normalizer = normalizer
        self._blobs = blobs
        self._documents = documents
        self.max_bytes = max_bytes
        # Document parsing is CPU-bound and blocking: one at a time, in a worker thread.
        self._reading = asyncio.Semaphore(1)
        # Team funnels for the evidence pre-check every capture makes; loading stages here clears its
        # entry, another process's load is seen within FUNNEL_CACHE_TTL.
        self._funnel_cache: dict[int, tuple[datetime, Funnel]] = {}

    # --- the funnel -------------------------------------------------------------------------------

    async def funnel(self, team_id: int) -> Funnel:
        async with self._uow(read_only=True) as uow:
            return await self._funnel(uow, team_id)

    async def _funnel(self, uow: UnitOfWork, team_id: int) -> Funnel:
        team = await uow.teams.get(team_id)
        return team_funnel(team.settings if team else {})

    async def stages(self, team_id: int) -> tuple[Funnel, bool]:
        """The team's funnel, and whether it is the team's own (else the default)."""
        async with self._uow(read_only=True) as uow:
            team = await uow.teams.get(team_id)
        return team_funnel(team.settings if team else {}), bool(team and team.settings.get(SETTINGS_KEY))

    async def _recent_funnel(self, team_id: int) -> Funnel:
        now = self._clock.now()
        cached = self._funnel_cache.get(team_id)
        if cached is not None and now - cached[0] < FUNNEL_CACHE_TTL:
            return cached[1]
        funnel = await self.funnel(team_id)
        self._funnel_cache[team_id] = (now, funnel)
        return funnel

    async def load_stages(self, actor: Member | None, team_id: int, source: str) -> Funnel:
        """Validates a stage configuration and makes it the team's; raises StageConfigError with every
        problem (including open deals left in a stage the file drops) and changes nothing then."""
        if actor is not None and actor.role is not Role.ADMIN:
            raise NotAllowed("stages.admin_only")
        funnel = parse(source)
        now = self._clock.now()
        self._funnel_cache.pop(team_id, None)
        async with self._uow() as uow:
            team = await uow.teams.get(team_id)
            if team is None:
                raise NotFound("stages.no_team", team=team_id)
            counts = await uow.deal_queries.stage_counts(team_id, None)
            orphaned = [
                Problem("stages.problem.open_deals", {"key": key, "count": count})
                for key, count in sorted(counts.items())
                if count and funnel.stage(key) is None
            ]
            if orphaned:
                raise StageConfigError(orphaned)
            team.settings = {**team.settings, SETTINGS_KEY: source}
            await uow.teams.update(team)
            await audit.record_for(
                uow,
                team_id,
                actor.id if actor else None,
                "stages.loaded",
                ("team", team_id),
                {"stages": [s.key for s in funnel.stages], "stall_days": funnel.stall_days},
                now,
            )
            await uow.commit()
        logger.info("team %s loaded a funnel of %d stages", team_id, len(funnel.stages))
        return funnel

    # --- reading -------------------------------------------------------------------------------

    async def view(self, actor: Member, deal_id: int) -> DealView:
        async with self._uow(read_only=True) as uow:
            deal = await self._visible_deal(uow, actor, deal_id)
            return await self._view(uow, deal, await self._funnel(uow, actor.team_id))

    async def _view(self, uow: UnitOfWork, deal: Deal, funnel: Funnel) -> DealView:
        now = self._clock.now()
        snapshot = await uow.deal_queries.snapshot(deal.id, now, funnel.evidence_keys())
        assert snapshot is not None
        confirmed = await uow.evidence.for_deal(deal.id, [EvidenceStatus.CONFIRMED])
        evidence: list[tuple[DealEvidence, StoredFile | None]] = []
        for item in confirmed:
            stored = await uow.files.get(item.file_id) if item.file_id else None
            evidence.append((item, stored))
        history = await uow.stage_changes.for_deal(deal.id)
        return DealView(
            deal=deal,
            customer=await uow.customers.get(deal.customer_id),
            contacts=await uow.contacts.for_customer(deal.customer_id),
            funnel=funnel,
            snapshot=snapshot,
            health=Scorer(funnel, now).assess(snapshot),
            owner=await uow.members.get(deal.owner_id),
            evidence=evidence,
            history=history[-HISTORY_SHOWN:],
        )

    async def listing(
        self, actor: Member, text: str = "", limit: int = 15
    ) -> list[tuple[DealSnapshot, Health]]:
        """Open deals the member may see, most recently changed first (matching `text` if given)."""
        query = one_line(text, 100) if text.strip() else None
        now = self._clock.now()
        async with self._uow(read_only=True) as uow:
            funnel = await self._funnel(uow, actor.team_id)
            deals = await uow.deal_queries.open_deals(actor.team_id, _owner(actor), limit, query)
            scorer = Scorer(funnel, now)
            found: list[tuple[DealSnapshot, Health]] = []
            for deal, _ in deals:
                snapshot = await uow.deal_queries.snapshot(deal.id, now, funnel.evidence_keys())
                if snapshot is not None:
                    found.append((snapshot, scorer.assess(snapshot)))
        return found

    async def counts(self, actor: Member) -> tuple[Funnel, dict[str, int]]:
        async with self._uow(read_only=True) as uow:
            funnel = await self._funnel(uow, actor.team_id)
            return funnel, await uow.deal_queries.stage_counts(actor.team_id, _owner(actor))

    async def resolve(self, actor: Member, text: str | None, reply_to: str | None = None) -> Resolved:
        """The deal meant by a "#D12" tag (in the text or the replied-to card), by a name in the text,
        or the member's only open deal; otherwise the member's recent open deals to choose from."""
        tagged = ev.deal_tag(text) or ev.deal_tag(reply_to)
        if tagged is not None:
            async with self._uow(read_only=True) as uow:
                await self._visible_deal(uow, actor, tagged)
            return Resolved(tagged)
        async with self._uow(read_only=True) as uow:
            if text and text.strip():
                named = await self._named(uow, actor, text)
                if len(named) == 1:
                    return Resolved(named[0])
            recent = await uow.deal_queries.open_deals(actor.team_id, _owner(actor), CHOICE_LIMIT)
        if len(recent) == 1:
            return Resolved(recent[0][0].id)
        return Resolved(None, recent)

    async def find(self, actor: Member, text: str) -> Resolved:
        """/deal NAME: one deal, or the matches."""
        tagged = ev.deal_tag(text)
        if tagged is not None:
            async with self._uow(read_only=True) as uow:
                await self._visible_deal(uow, actor, tagged)
            return Resolved(tagged)
        query = one_line(text, 100)
        async with self._uow(read_only=True) as uow:
            matches = await uow.deal_queries.open_deals(actor.team_id, _owner(actor), CHOICE_LIMIT, query)
            if not matches and query.isdigit():
                await self._visible_deal(uow, actor, int(query))
                return Resolved(int(query))
        if not matches:
            raise NotFound("deal.not_found.query", query=query)
        exact = [d for d, name in matches if query.lower() in ((d.title or "").lower(), (name or "").lower())]
        if len(matches) == 1 or len(exact) == 1:
            return Resolved((exact or [matches[0][0]])[0].id)
        return Resolved(None, matches)

    async def _named(self, uow: UnitOfWork, actor: Member, text: str) -> list[int]:
        deals = await uow.deal_queries.open_deals(actor.team_id, _owner(actor), NAMED_DEAL_SCAN)
        return ev.named_deals(text, [(d.id, (d.title, name)) for d, name in deals])

    async def names_a_deal(self, actor: Member, text: str | None) -> bool:
        if not text or not text.strip():
            return False
        async with self._uow(read_only=True) as uow:
            return bool(await self._named(uow, actor, text))

    # --- stage changes ----------------------------------------------------------------------------

    async def advance(
        self, actor: Member, deal_id: int, target: str | None = None, *, override: str | None = None
    ) -> AdvanceResult:
        """Moves a deal to `target` (default: the next stage, or won after the last). Forward moves need
        the exit criteria of every stage passed; a manager may pass the gate with a reason (`override`),
        which is recorded with what was missing. Moving back needs nothing."""
        reason = one_line(override, 300) if override is not None else None
        if reason is not None and not actor.role.sees_team:
            raise NotAllowed("deal.override.not_allowed")
        now = self._clock.now()
        async with self._uow() as uow:
            deal = await self._visible_deal(uow, actor, deal_id)
            if deal.status is not DealStatus.OPEN:
                raise _closed(deal)
            funnel = await self._funnel(uow, actor.team_id)
            goal = target or funnel.after(deal.stage)
            if goal != WON and funnel.stage(goal) is None:
                raise InputRejected("deal.unknown_stage", stage=goal)
            if goal == deal.stage:
                raise InputRejected("deal.already_in", stage=StageRef(funnel, goal))
            snapshot = await uow.deal_queries.snapshot(deal.id, now, funnel.evidence_keys())
            assert snapshot is not None
            needed = funnel.needed(deal.stage, goal)
            gaps = tuple(r for r in needed if not _met(r, snapshot))
            if gaps and reason is None:
                raise GateRefused(deal, goal, funnel, gaps)
            before = deal.stage
            backwards = funnel.index(goal) < funnel.index(deal.stage)
            change = StageChange(
                id=0,
                team_id=deal.team_id,
                deal_id=deal.id,
                to_stage=goal,
                to_status=DealStatus.WON if goal == WON else DealStatus.OPEN,
                created_at=now,
                actor_id=actor.id,
                from_stage=before,
                from_status=deal.status,
                override_reason=reason if gaps else None,
                missing=[r.key for r in gaps],
            )
            changes = Journal()
            changes.track(deal)
            if goal == WON:
                deal.status = DealStatus.WON
                deal.closed_at = now
            else:
                deal.stage = goal
                deal.stage_entered_at = now
            deal.updated_at = now
            await uow.deals.update(deal)
            await uow.stage_changes.add(change)
            action = "deal.won" if goal == WON else "deal.stage"
            detail: dict[str, Any] = {"from": before, "to": goal}
            if gaps:
                action = "deal.override"
                detail.update(reason=reason, missing=change.missing, won=goal == WON)
            await audit.record_for(
                uow, deal.team_id, actor.id, action, ("deal", deal.id), detail, now, changes
            )
            view = await self._view(uow, deal, funnel)
            await uow.commit()
        return AdvanceResult(view, before, goal, gaps, backwards)

    async def lose(self, actor: Member, deal_id: int, reason: str) -> AdvanceResult:
        """Closes a deal as lost; the reason is required and kept."""
        why = one_line(reason, 300)
        now = self._clock.now()
        async with self._uow() as uow:
            deal = await self._visible_deal(uow, actor, deal_id)
            if deal.status is not DealStatus.OPEN:
                raise _closed(deal)
            funnel = await self._funnel(uow, actor.team_id)
            before = deal.stage
            changes = Journal()
            changes.track(deal)
            deal.status = DealStatus.LOST
            deal.lost_reason = why
            deal.closed_at = now
            deal.updated_at = now
            await uow.deals.update(deal)
            await uow.stage_changes.add(
                StageChange(
                    id=0,
                    team_id=deal.team_id,
                    deal_id=deal.id,
                    to_stage=LOST,
                    to_status=DealStatus.LOST,
                    created_at=now,
                    actor_id=actor.id,
                    from_stage=before,
                    from_status=DealStatus.OPEN,
                    lost_reason=why,
                )
            )
            await audit.record_for(
                uow, deal.team_id, actor.id, "deal.lost", ("deal", deal.id), {"reason": why}, now, changes
            )
            view = await self._view(uow, deal, funnel)
            await uow.commit()
        return AdvanceResult(view, before, LOST)

    async def check_open(self, actor: Member, deal_id: int) -> Deal:
        """The deal, if the member may see it and it is still open (before asking for a reason)."""
        async with self._uow(read_only=True) as uow:
            deal = await self._visible_deal(uow, actor, deal_id)
        if deal.status is not DealStatus.OPEN:
            raise _closed(deal)
        return deal

    # --- evidence -------------------------------------------------------------------------------

    async def wants_file(self, actor: Member, upload: Upload) -> bool:
        """The routing rule for files: documents are always evidence; a photo is evidence when it replies
        to a deal card, or its caption tags or names a deal or names a requirement. Any other photo is
        left for others (business cards)."""
        if not upload.is_photo:
            return True
        if ev.deal_tag(upload.reply_to) is not None or ev.deal_tag(upload.caption) is not None:
            return True
        if not upload.caption or not upload.caption.strip():
            return False
        funnel = await self.funnel(actor.team_id)
        return ev.names_requirement(funnel, upload.caption) or await self.names_a_deal(actor, upload.caption)

    async def receive_file(self, actor: Member, upload: Upload) -> EvidenceOffer:
        """A file as evidence: checked, stored once by hash, read for keywords, and offered for
        confirmation against the deal and requirement it most likely belongs to."""
        limit = min(self.max_bytes, upload.max_bytes or self.max_bytes)
        if upload.size is not None and upload.size > limit:
            raise _too_large(upload.size, limit)
        deal_id = ev.deal_tag(upload.caption) or ev.deal_tag(upload.reply_to)
        if deal_id is not None:
            async with self._uow(read_only=True) as uow:
                await self._visible_deal(uow, actor, deal_id)
        data = await upload.fetch()
        if len(data) > limit:
            raise _too_large(len(data), limit)
        blob = await files.prepare(data, upload.name, EVIDENCE_TYPES)
        content = await self._read(blob)
        if self._blobs is None:
            raise InputRejected("file.no_storage")
        path = await files.put(self._blobs, blob)
        now = self._clock.now()
        async with self._uow() as uow:
            funnel = await self._funnel(uow, actor.team_id)
            deal: Deal | None = None
            candidates: list[tuple[Deal, str | None]] = []
            if deal_id is not None:
                deal = await self._visible_deal(uow, actor, deal_id)
            else:
                named = await self._named(uow, actor, upload.caption or "") if upload.caption else []
                if len(named) == 1:
                    deal = await self._visible_deal(uow, actor, named[0])
                else:
                    recent = await uow.deal_queries.open_deals(actor.team_id, _owner(actor), CHOICE_LIMIT)
                    candidates = [c for c in recent if not named or c[0].id in named] or recent
                    if len(candidates) == 1 and not named:
                        deal, candidates = candidates[0][0], []
            stored, created = await files.record(uow, actor.team_id, blob, path, now)
            if deal is not None:
                duplicate = await uow.evidence.confirmed_file(deal.id, stored.id)
                if duplicate is not None:
                    return await self._already_evidence(
                        uow, funnel, deal, stored, duplicate, new_file=created
                    )
            missing = await self._missing_keys(uow, deal, funnel, now)
            guessed = ev.guess(
                funnel, caption=upload.caption, name=blob.name, content=content, prefer=missing
            )
            interaction = await uow.interactions.add(
                Interaction(
                    id=0,
                    team_id=actor.team_id,
                    author_id=actor.id,
                    source=Source.DOCUMENT,
                    content=(upload.caption or blob.name or blob.type.label)[:2000],
                    facts={"file": blob.name, "type": blob.type.value, "keywords": list(guessed.keywords)},
                    created_at=now,
                    customer_id=deal.customer_id if deal else None,
                    deal_id=deal.id if deal else None,
                    file_id=stored.id,
                    external_key=upload.key,
                )
            )
            pending = await uow.evidence.add(
                DealEvidence(
                    id=0,
                    team_id=actor.team_id,
                    author_id=actor.id,
                    kind=EvidenceKind.FILE,
                    status=EvidenceStatus.PENDING,
                    created_at=now,
                    deal_id=deal.id if deal else None,
                    guess=guessed.requirement.key if guessed.requirement else None,
                    file_id=stored.id,
                    interaction_id=interaction.id,
                    note=(upload.caption or "")[:1000] or None,
                    keywords=list(guessed.keywords),
                )
            )
            offer = EvidenceOffer(
                evidence=pending,
                funnel=funnel,
                deal=deal,
                deal_name=await self._deal_name(uow, deal) if deal else None,
                file=stored,
                guess=guessed.requirement,
                choices=_choices(funnel, guessed.requirement, missing),
                candidates=candidates if deal is None else [],
                new_file=created,
            )
            await uow.commit()
        return offer

    async def _read(self, blob: files.Blob) -> str:
        if self._documents is None or blob.type not in _READABLE:
            return ""
        reader = self._documents
        async with self._reading:
            try:
                return await asyncio.to_thread(reader.text, blob.data, blob.type.value, CONTENT_LIMIT)
            except ValueError:
                # A document the parser cannot read is still evidence; only its keywords are lost.
                logger.info("could not read a %s for keywords", blob.type.label)
                return ""

    async def evidence_for_deal(self, actor: Member, evidence_id: int, deal_id: int) -> EvidenceOffer:
        """Pending evidence whose deal the member just chose: now guess the requirement for that deal."""
        now = self._clock.now()
        async with self._uow() as uow:
            item = await self._pending(uow, actor, evidence_id)
            deal = await self._visible_deal(uow, actor, deal_id)
            funnel = await self._funnel(uow, actor.team_id)
            stored = await uow.files.get(item.file_id) if item.file_id else None
            if stored is not None:
                duplicate = await uow.evidence.confirmed_file(deal.id, stored.id)
                if duplicate is not None:
                    item.status = EvidenceStatus.DISCARDED
                    await uow.evidence.update(item)
                    await uow.commit()
                    return await self._already_evidence(uow, funnel, deal, stored, duplicate, new_file=False)
            missing = await self._missing_keys(uow, deal, funnel, now)
            guessed = ev.guess(
                funnel,
                caption=item.note,
                name=stored.original_name if stored else None,
                content=" ".join(item.keywords),
                prefer=missing,
            )
            item.deal_id = deal.id
            item.guess = guessed.requirement.key if guessed.requirement else item.guess
            await uow.evidence.update(item)
            if item.interaction_id is not None:
                interaction = await uow.interactions.get(item.interaction_id)
                if interaction is not None:
                    interaction.deal_id, interaction.customer_id = deal.id, deal.customer_id
                    await uow.interactions.update(interaction)
            guess = funnel.requirements.get(item.guess) if item.guess else None
            offer = EvidenceOffer(
                evidence=item,
                funnel=funnel,
                deal=deal,
                deal_name=await self._deal_name(uow, deal),
                file=stored,
                guess=guess,
                choices=_choices(funnel, guess, missing),
            )
            await uow.commit()
        return offer

    async def confirm_evidence(self, actor: Member, evidence_id: int, requirement: str) -> DealView:
        """The member confirmed pending evidence as `requirement` ("" keeps it without one)."""
        now = self._clock.now()
        async with self._uow() as uow:
            item = await self._pending(uow, actor, evidence_id)
            if item.deal_id is None:
                raise InputRejected("evidence.choose_deal")
            deal = await self._visible_deal(uow, actor, item.deal_id)
            funnel = await self._funnel(uow, actor.team_id)
            if requirement and requirement not in funnel.requirements:
                raise InputRejected("evidence.unknown_requirement", requirement=requirement)
            item.requirement = requirement or None
            item.status = EvidenceStatus.CONFIRMED
            item.confirmed_at = now
            item.confirmed_by = actor.id
            await uow.evidence.update(item)
            await self._touch(uow, deal, now)
            await audit.record_for(
                uow,
                deal.team_id,
                actor.id,
                "evidence.confirmed",
                ("deal", deal.id),
                {"evidence": item.id, "requirement": item.requirement, "file": item.file_id},
                now,
            )
            view = await self._view(uow, deal, funnel)
            await uow.commit()
        return view

    async def discard_evidence(self, actor: Member, evidence_id: int) -> None:
        async with self._uow() as uow:
            item = await self._pending(uow, actor, evidence_id)
            item.status = EvidenceStatus.DISCARDED
            await uow.evidence.update(item)
            await uow.commit()

    async def declare(self, actor: Member, deal_id: int, requirement: str) -> DealView:
        """The member's word for a requirement that allows it (e.g. "no substantive objections")."""
        now = self._clock.now()
        async with self._uow() as uow:
            deal = await self._visible_deal(uow, actor, deal_id)
            if deal.status is not DealStatus.OPEN:
                raise _closed(deal)
            funnel = await self._funnel(uow, actor.team_id)
            req = funnel.requirements.get(requirement)
            if req is None or not req.declare:
                raise InputRejected("evidence.not_declarable", requirement=requirement)
            item = await self._confirmed(uow, actor, deal, req.key, EvidenceKind.DECLARATION, now)
            await audit.record_for(
                uow,
                deal.team_id,
                actor.id,
                "evidence.declared",
                ("deal", deal.id),
                {"evidence": item.id, "requirement": req.key},
                now,
            )
            view = await self._view(uow, deal, funnel)
            await uow.commit()
        return view

    async def evidence_from_capture(self, actor: Member, interaction_id: int, requirement: str) -> DealView:
        """A captured chat (forwarded to the assistant) kept as evidence of its deal's requirement."""
        now = self._clock.now()
        async with self._uow() as uow:
            interaction = await uow.interactions.get(interaction_id)
            if (
                interaction is None
                or interaction.deal_id is None
                or interaction.team_id != actor.team_id
                or interaction.undone_at is not None
            ):
                raise NotFound("deal.not_found", ref=f"#{interaction_id}")
            deal = await self._visible_deal(uow, actor, interaction.deal_id)
            funnel = await self._funnel(uow, actor.team_id)
            if requirement not in funnel.requirements:
                raise InputRejected("evidence.unknown_requirement", requirement=requirement)
            item = await self._confirmed(
                uow,
                actor,
                deal,
                requirement,
                EvidenceKind.TEXT,
                now,
                interaction_id=interaction.id,
                note=interaction.content[:1000],
            )
            await audit.record_for(
                uow,
                deal.team_id,
                actor.id,
                "evidence.confirmed",
                ("deal", deal.id),
                {"evidence": item.id, "requirement": requirement, "interaction": interaction.id},
                now,
            )
            view = await self._view(uow, deal, funnel)
            await uow.commit()
        return view

    async def capture_offer(self, actor: Member, deal_id: int, text: str) -> Requirement | None:
        """The evidence requirement a captured chat on an open deal most likely proves, if any."""
        # Most captures name no evidence at all: answer those without opening a unit of work.
        if not ev.names_requirement(await self._recent_funnel(actor.team_id), text):
            return None
        async with self._uow(read_only=True) as uow:
            funnel = await self._funnel(uow, actor.team_id)
            deal = await uow.deals.get(deal_id)
            if (
                deal is None
                or deal.status is not DealStatus.OPEN
                or not can_see(actor, deal.owner_id, deal.team_id)
            ):
                return None
            missing = await self._missing_keys(uow, deal, funnel, self._clock.now())
        guessed = ev.guess(funnel, caption=text, name=None, content=None, prefer=missing)
        requirement = guessed.requirement
        if requirement is None:
            return None
        # A chat is offered as evidence its deal's current stage still lacks, or for a later stage only
        # when it says so specifically ("确认方案", "no objection"): a new lead's chat that mentions
        # "方案" in passing is no matched solution, and offering it would be noise.
        due_now = {r.key for r in funnel.exit_requirements(deal.stage)} & set(missing)
        if requirement.key in due_now or any(_specific(keyword) for keyword in guessed.keywords):
            return requirement
        return None

    # --- notes on a deal, roles and fields --------------------------------------------------------

    async def note(self, actor: Member, deal_id: int, raw: str, key: str | None = None) -> NoteOutcome:
        """Text a member sent in reply to a deal card (a pasted chat or e-mail, a remark): kept on the
        deal; budget, timeline, roles and promises in it are applied; evidence words offer it as
        evidence."""
        text = clean(raw).text
        now = self._clock.now()
        async with self._uow(read_only=True) as uow:
            deal = await self._visible_deal(uow, actor, deal_id)
        local = actor.local(now)
        facts = self._extractor.chat(text, local)
        people = [p for p in self._extractor.minutes(text, local).people if p.role is not None]
        async with self._uow() as uow:
            deal = await self._visible_deal(uow, actor, deal_id)
            funnel = await self._funnel(uow, actor.team_id)
            customer = await uow.customers.get(deal.customer_id)
            changes = Journal()
            if customer is not None and (facts.budget_cny is not None or facts.timeline or facts.needs):
                changes.track(customer)
                scoped = Facts(
                    budget_cny=facts.budget_cny,
                    budget_min_cny=facts.budget_min_cny,
                    timeline=facts.timeline,
                    timeline_by=facts.timeline_by,
                    needs=facts.needs,
                )
                if apply_to_customer(customer, scoped):
                    customer.updated_at = now
                    await uow.customers.update(customer, self._company_key(customer.name))
            roles: list[tuple[str, DecisionRole]] = []
            for person in people:
                contact, _ = await self._assign_role(uow, actor, deal.customer_id, person, now)
                assert person.role is not None
                roles.append((contact.name or person.name, person.role))
            interaction = await uow.interactions.add(
                Interaction(
                    id=0,
                    team_id=actor.team_id,
                    author_id=actor.id,
                    source=Source.CHAT,
                    content=text,
                    facts=facts.to_json(),
                    created_at=now,
                    customer_id=deal.customer_id,
                    deal_id=deal.id,
                    external_key=key,
                )
            )
            _, reminders = await store_follow_ups(uow, actor, facts, interaction, now)
            offer: EvidenceOffer | None = None
            if deal.status is DealStatus.OPEN:
                missing = await self._missing_keys(uow, deal, funnel, now)
                guessed = ev.guess(funnel, caption=text, name=None, content=None, prefer=missing)
                if guessed.requirement is not None:
                    pending = await uow.evidence.add(
                        DealEvidence(
                            id=0,
                            team_id=actor.team_id,
                            author_id=actor.id,
                            kind=EvidenceKind.TEXT,
                            status=EvidenceStatus.PENDING,
                            created_at=now,
                            deal_id=deal.id,
                            guess=guessed.requirement.key,
                            interaction_id=interaction.id,
                            note=text[:1000],
                            keywords=list(guessed.keywords),
                        )
                    )
                    offer = EvidenceOffer(
                        evidence=pending,
                        funnel=funnel,
                        deal=deal,
                        deal_name=await self._deal_name(uow, deal),
                        guess=guessed.requirement,
                        choices=_choices(funnel, guessed.requirement, missing),
                    )
            await audit.record_for(
                uow,
                deal.team_id,
                actor.id,
                "deal.note",
                ("deal", deal.id),
                {"interaction": interaction.id},
                now,
                changes,
            )
            view = await self._view(uow, deal, funnel)
            await uow.commit()
        return NoteOutcome(
            view=view,
            budget=facts.budget_cny,
            timeline=facts.timeline,
            roles=roles,
            offer=offer,
            reminders=reminders,
        )

    async def role_statement(self, actor: Member, text: str, deal_id: int | None) -> RoleOutcome | None:
        """ "王总是财务负责人" / "Li is their CTO": sets the role of that contact of the deal's customer
        (or of the one customer whose contact has that name, or of the customer captured last), adding
        the contact when there is none. None when the text states no role."""
        now = self._clock.now()
        people = [p for p in self._extractor.minutes(text, actor.local(now)).people if p.role is not None]
        if len(people) != 1:
            return None
        person = people[0]
        async with self._uow() as uow:
            deal: Deal | None = None
            customer_id: int | None = None
            if deal_id is not None:
                deal = await self._visible_deal(uow, actor, deal_id)
                customer_id = deal.customer_id
            else:
                customer_id = await self._customer_of_person(uow, actor, person.name)
            if customer_id is None:
                raise InputRejected("role.which_customer", name=person.name)
            contact, created = await self._assign_role(uow, actor, customer_id, person, now)
            if deal is None:
                deal = await open_deal(uow, customer_id)
            view = await self._view(uow, deal, await self._funnel(uow, actor.team_id)) if deal else None
            await uow.commit()
        assert person.role is not None
        return RoleOutcome(contact=contact, role=person.role, created=created, view=view)

    async def _customer_of_person(self, uow: UnitOfWork, actor: Member, name: str) -> int | None:
        """The customer whose contact goes by `name` (one only), or the customer the member captured
        last within a day."""
        matches = await uow.customers.search(actor.team_id, _owner(actor), name[:1], 50)
        hits: set[int] = set()
        for customer in matches:
            for contact in await uow.contacts.for_customer(customer.id):
                if _same_person(self._normalizer, contact.name, name):
                    hits.add(customer.id)
        if len(hits) == 1:
            return hits.pop()
        if hits:
            return None
        recent = await uow.deal_queries.open_deals(actor.team_id, _owner(actor), 2)
        last = await uow.interactions.last_by_author(
            actor.id, (Source.CHAT, Source.NOTE, Source.VOICE, Source.CARD)
        )
        if (
            last is not None
            and last.customer_id is not None
            and self._clock.now() - last.created_at < RECENT_CUSTOMER_WINDOW
        ):
            latest = await uow.customers.get(last.customer_id)
            if latest is not None and can_see(actor, latest.owner_id, latest.team_id):
                return latest.id
        if len(recent) == 1:
            return recent[0][0].customer_id
        return None

    async def _assign_role(
        self, uow: UnitOfWork, actor: Member, customer_id: int, person: PersonMention, now: datetime
    ) -> tuple[Contact, bool]:
        assert person.role is not None
        customer = await uow.customers.get(customer_id)
        company = customer.name if customer else None
        contacts = await uow.contacts.for_customer(customer_id)
        same = [c for c in contacts if _same_person(self._normalizer, c.name, person.name)]
        changes = Journal()
        if len(same) == 1:
            contact = same[0]
            changes.track(contact)
            before = contact.decision_role
            contact.decision_role = person.role
            contact.title = contact.title or person.title
            contact.updated_at = now
            await uow.contacts.update(contact, contact_keys(self._normalizer, contact, company))
            created = False
        else:
            contact = Contact(
                id=0,
                team_id=actor.team_id,
                owner_id=customer.owner_id if customer else actor.id,
                customer_id=customer_id,
                name=person.name,
                created_at=now,
                updated_at=now,
                title=person.title,
                decision_role=person.role,
            )
            await uow.contacts.add(contact, contact_keys(self._normalizer, contact, company))
            changes.created(contact)
            before, created = None, True
        await audit.record_for(
            uow,
            actor.team_id,
            actor.id,
            "contact.role",
            ("contact", contact.id),
            {"before": before.value if before else None, "after": person.role.value, "created": created},
            now,
            changes,
        )
        return contact, created

    async def contact(self, actor: Member, contact_id: int) -> Contact:
        async with self._uow(read_only=True) as uow:
            contact, _ = await self._visible_contact(uow, actor, contact_id)
        return contact

    async def _visible_contact(
        self, uow: UnitOfWork, actor: Member, contact_id: int
    ) -> tuple[Contact, Customer]:
        contact = await uow.contacts.get(contact_id)
        if (
            contact is None
            or contact.merged_into is not None
            or contact.archived_at is not None
            or contact.customer_id is None
        ):
            raise NotFound("deal.contact_not_found")
        customer = await uow.customers.get(contact.customer_id)
        if customer is None or not can_see(actor, customer.owner_id, customer.team_id):
            raise NotFound("deal.contact_not_found")
        return contact, customer

    async def pinged(self, actor: Member, deal_id: int, delivered: bool) -> None:
        async with self._uow() as uow:
            await audit.record_for(
                uow,
                actor.team_id,
                actor.id,
                "deal.pinged",
                ("deal", deal_id),
                {"delivered": delivered},
                self._clock.now(),
            )
            await uow.commit()

    async def set_role(
        self, actor: Member, contact_id: int, role: DecisionRole | None
    ) -> tuple[Contact, DealView | None]:
        """A contact's role set with a button (None clears it)."""
        now = self._clock.now()
        async with self._uow() as uow:
            contact, customer = await self._visible_contact(uow, actor, contact_id)
            changes = Journal()
            changes.track(contact)
            before = contact.decision_role
            contact.decision_role = role
            contact.updated_at = now
            await uow.contacts.update(contact, contact_keys(self._normalizer, contact, customer.name))
            await audit.record_for(
                uow,
                actor.team_id,
                actor.id,
                "contact.role",
                ("contact", contact.id),
                {"before": before.value if before else None, "after": role.value if role else None},
                now,
                changes,
            )
            deal = await open_deal(uow, customer.id)
            view = await self._view(uow, deal, await self._funnel(uow, actor.team_id)) if deal else None
            await uow.commit()
        return contact, view

    async def set_field(self, actor: Member, deal_id: int, name: FieldName, raw: str) -> DealView:
        """Budget or timeline typed by the member for the deal's customer."""
        value = one_line(raw, 200)
        now = self._clock.now()
        timeline_by = None
        amount: int | None = None
        if name is FieldName.BUDGET:
            amount = self._normalizer.money(value)
            if amount is None:
                raise InputRejected("edit.bad_budget", value=value)
        else:
            facts = self._extractor.chat(value, actor.local(now))
            timeline_by = facts.timeline_by
        async with self._uow() as uow:
            deal = await self._visible_deal(uow, actor, deal_id)
            customer = await uow.customers.get(deal.customer_id)
            if customer is None:
                raise NotFound("deal.not_found", ref=ev.tag(deal_id))
            changes = Journal()
            changes.track(customer, deal)
            if amount is not None:
                customer.budget_cny, customer.budget_min_cny = amount, None
                if deal.amount_cny is None:
                    deal.amount_cny = amount
                    deal.updated_at = now
                    await uow.deals.update(deal)
            else:
                customer.timeline, customer.timeline_by = value, timeline_by
            customer.updated_at = now
            await uow.customers.update(customer, self._company_key(customer.name))
            await audit.record_for(
                uow,
                deal.team_id,
                actor.id,
                "deal.field",
                ("deal", deal.id),
                {"field": name.value},
                now,
                changes,
            )
            view = await self._view(uow, deal, await self._funnel(uow, actor.team_id))
            await uow.commit()
        return view

    # --- helpers ------------------------------------------------------------------------------

    async def _visible_deal(self, uow: UnitOfWork, actor: Member, deal_id: int) -> Deal:
        deal = await uow.deals.get(deal_id)
        if deal is None or deal.archived_at is not None or not can_see(actor, deal.owner_id, deal.team_id):
            raise NotFound("deal.not_found", ref=ev.tag(deal_id))
        return deal

    async def _pending(self, uow: UnitOfWork, actor: Member, evidence_id: int) -> DealEvidence:
        item = await uow.evidence.get(evidence_id)
        if item is None or item.team_id != actor.team_id or item.author_id != actor.id:
            raise NotFound("error.stale_button")
        if item.status is not EvidenceStatus.PENDING:
            raise InputRejected("evidence.already_decided")
        return item

    async def _missing_keys(
        self, uow: UnitOfWork, deal: Deal | None, funnel: Funnel, now: datetime
    ) -> list[str]:
        """Evidence requirements the deal still lacks, from its current stage on (the likeliest)."""
        if deal is None:
            return []
        snapshot = await uow.deal_queries.snapshot(deal.id, now, funnel.evidence_keys())
        if snapshot is None:
            return []
        ahead = funnel.needed(deal.stage, WON)
        return [r.key for r in ahead if r.kind is ReqKind.EVIDENCE and not _met(r, snapshot)]

    async def _confirmed(
        self,
        uow: UnitOfWork,
        actor: Member,
        deal: Deal,
        requirement: str,
        kind: EvidenceKind,
        now: datetime,
        *,
        interaction_id: int | None = None,
        note: str | None = None,
    ) -> DealEvidence:
        """Evidence the member gives and confirms in one step (a declaration, a captured chat)."""
        return await uow.evidence.add(
            DealEvidence(
                id=0,
                team_id=deal.team_id,
                author_id=actor.id,
                kind=kind,
                status=EvidenceStatus.CONFIRMED,
                created_at=now,
                deal_id=deal.id,
                requirement=requirement,
                interaction_id=interaction_id,
                note=note,
                confirmed_at=now,
                confirmed_by=actor.id,
            )
        )

    async def _already_evidence(
        self,
        uow: UnitOfWork,
        funnel: Funnel,
        deal: Deal,
        stored: StoredFile,
        duplicate: DealEvidence,
        *,
        new_file: bool,
    ) -> EvidenceOffer:
        """The answer to a file already confirmed as evidence on the deal: nothing is offered again."""
        return EvidenceOffer(
            evidence=None,
            funnel=funnel,
            deal=deal,
            deal_name=await self._deal_name(uow, deal),
            file=stored,
            duplicate=duplicate,
            new_file=new_file,
        )

    async def _deal_name(self, uow: UnitOfWork, deal: Deal) -> str:
        if deal.title:
            return deal.title
        customer = await uow.customers.get(deal.customer_id)
        return customer.name if customer and customer.name else ev.tag(deal.id)

    async def _touch(self, uow: UnitOfWork, deal: Deal, now: datetime) -> None:
        deal.updated_at = now
        await uow.deals.update(deal)

    def _company_key(self, name: str | None) -> str:
        return self._normalizer.company_key(name) if name else ""


def _owner(actor: Member) -> int | None:
    return None if actor.role.sees_team else actor.id


def _met(requirement: Requirement, snapshot: DealSnapshot) -> bool:
    return satisfied(requirement, snapshot)


def _choices(funnel: Funnel, guess: Requirement | None, missing: Sequence[str]) -> tuple[Requirement, ...]:
    """Other evidence requirements to offer besides the guess: the deal's missing ones first."""
    keys = [k for k in missing if k != (guess.key if guess else None)]
    keys += [r.key for r in funnel.evidence_requirements() if r.key not in keys and r is not guess]
    return tuple(funnel.requirements[k] for k in keys[:4])


def _too_large(size: int, limit: int) -> InputRejected:
    return InputRejected("file.too_large", size=f"{size / 1_048_576:.1f}", limit=f"{limit / 1_048_576:.0f}")


def _same_person(normalizer: Normalizer, stored: str | None, said: str) -> bool:
    """ "王强" is "王强"; "王总" is a 王 with an honorific, so it is the one 王 among the contacts."""
    if not stored:
        return False
    if normalizer.person_key(stored) == normalizer.person_key(said):
        return True
    if said.isascii() and " " not in said.strip():
        # "Li is their CTO": an English given or family name alone.
        return said.strip().lower() in stored.lower().split()
    for honorific in _HONORIFICS:
        if said.endswith(honorific) and len(said) - len(honorific) == 1:
            return stored.startswith(said[0]) and not stored.endswith(honorific)
    return False


__all__ = [
    "AdvanceResult",
    "DealService",
    "DealView",
    "EvidenceOffer",
    "GateRefused",
    "NoteOutcome",
    "Resolved",
    "RoleOutcome",
    "Upload",
]


def _specific(keyword: str) -> bool:
    """A keyword that names a piece of evidence on its own: a phrase, not a word like 方案 or contract."""
    return " " in keyword.strip() or (len(keyword) >= 4 and not keyword.isascii())
