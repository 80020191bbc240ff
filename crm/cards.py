"""Business-card photos become contacts.

A photo (or the front and back sent together) is checked first (its size, that it is a picture), then
read by OCR in a worker thread (at most `ocr_workers` at once: tesseract keeps a core busy) and parsed
into one contact. A blank, unreadable or non-card photo is refused with retake tips and nothing is
stored. A card is captured like a chat (dedup on phone, e-mail and WeChat, the journal for
/undo, idempotency on the channel's key, the spool when the database fails) with its photos kept
once by hash and linked to the interaction: `file_id` is the front, `facts["files"]` lists every side.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from crm import files
from crm.capture import CaptureResult, CaptureService, Outcome
from crm.customers import CustomerService, EditableField
from crm.errors import ChatCrmError, ImageRejected, InputRejected, NotFound
from crm.facts import CardFacts, Facts, Region
from crm.inputs import CardPhoto
from crm.model import Interaction, Member, Source
from crm.ports import (
    BlobStore,
    CardReader,
    Clock,
    FactExtractor,
    Normalizer,
    OcrPage,
    UnitOfWork,
    UnitOfWorkFactory,
)
from crm.records import contact_keys

logger = logging.getLogger(__name__)

CARD_TYPES = frozenset({files.FileType.JPEG, files.FileType.PNG, files.FileType.WEBP})
MAX_PHOTOS = 10  # a Telegram album holds at most ten
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
# The correction each card field takes; fax, website and QQ stay on the card and are not edited.
FIX_FIELDS: dict[str, EditableField] = {
    "name": EditableField.CONTACT,
    "title": EditableField.TITLE,
    "company": EditableField.CUSTOMER,
    "mobile": EditableField.PHONE,
    "phones": EditableField.PHONE,
    "emails": EditableField.EMAIL,
    "wechat_id": EditableField.WECHAT,
    "address": EditableField.ADDRESS,
}
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


# --- results ---------------------------------------------------------------------------------


@dataclass(slots=True)
class CardCapture:
    """A card stored as a capture: the lead it made or updated, what the card said, how many sides."""

    capture: CaptureResult
    card: CardFacts
    sides: int = 1
    edited: frozenset[EditableField] = frozenset()


CardOutcome = CardCapture | ChatCrmError


@dataclass(frozen=True, slots=True)
class _Side:
    photo: CardPhoto
    data: bytes
    page: OcrPage


def card_json(card: CardFacts) -> dict[str, Any]:
    """The card as kept in its interaction's facts (the raw text is the interaction's content)."""
    data = card.to_json()
    data.pop("raw_text", None)
    return data


def card_from_json(data: dict[str, Any], raw_text: str = "") -> CardFacts:
    region = data.get("region")
    return CardFacts(
        name=data.get("name"),
        title=data.get("title"),
        company=data.get("company"),
        phones=tuple(data.get("phones") or ()),
        mobile=data.get("mobile"),
        fax=data.get("fax"),
        emails=tuple(data.get("emails") or ()),
        website=data.get("website"),
        address=data.get("address"),
        wechat_id=data.get("wechat_id"),
        qq=data.get("qq"),
        region=Region(**region) if region else None,
        raw_text=data.get("raw_text") or raw_text,
        confidence={str(k): float(v) for k, v in (data.get("confidence") or {}).items()},
    )


def card_values(card: CardFacts, card_field: str) -> tuple[str, ...]:
    """What the card read for one field (phones and e-mails may be several)."""
    value = getattr(card, card_field, None)
    if isinstance(value, tuple):
        return tuple(str(v) for v in value)
    return (str(value),) if value else ()


def is_card(card: CardFacts) -> bool:
    """Whether the text names a person or a way to reach one: a company name alone (a sign, a brochure)
    is no card."""
    reach = card.all_phones() or card.emails or card.wechat_id or card.qq
    return bool(card.name or reach) and card.as_facts().identifies_someone()


def _personal(card: CardFacts) -> set[str]:
    """What belongs to one person only: landlines and 400 numbers are shared by a whole company."""
    found = {email.lower() for email in card.emails}
    found |= {value for value in (card.mobile, card.wechat_id, card.qq) if value}
    return found


def _close(first: str, second: str) -> bool:
    """The same number read twice with at most one digit misread."""
    a, b = re.sub(r"\D", "", first), re.sub(r"\D", "", second)
    return len(a) == len(b) >= 7 and sum(x != y for x, y in zip(a, b, strict=True)) <= 1


def same_card(first: CardFacts, second: CardFacts) -> bool:
    """Whether two photos sent together are the two sides of one card (rather than two people's)."""
    mine, theirs = _personal(first), _personal(second)
    if mine & theirs:
        return True
    if first.mobile and second.mobile and _close(first.mobile, second.mobile):
        return True
    if mine and theirs:
        return False
    if first.name and second.name and first.name != second.name:
        # Names in one script that differ are two people; 张伟 and Zhang Wei may be one.
        return bool(_CJK.search(first.name)) != bool(_CJK.search(second.name))
    return True


# --- the service -------------------------------------------------------------------------------


class CardService:
    """Card photos to contacts, captured like chats, and corrections of what OCR doubted."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        capture: CaptureService,
        customers: CustomerService,
        extractor: FactExtractor,
        normalizer: Normalizer,
        *,
        reader: CardReader | None,
        blobs: BlobStore | None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        ocr_workers: int = 1,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._capture = capture
        self._customers = customers
        self._extractor = extractor
        self._normalizer = normalizer
        self._reader = reader
        self._blobs = blobs
        self.max_bytes = max_bytes
        self._ocr_slots = asyncio.Semaphore(max(1, ocr_workers))
        capture.register_retry("card", self._retry)

    async def capture(self, actor: Member, photos: Sequence[CardPhoto]) -> list[CardOutcome]:
        """Photos sent together: one contact for a card's front and back, one per card otherwise.

        Raises the refusal when nothing could be stored; with several cards, a refused one is
        returned among the others.
        """
        if self._reader is None:
            raise InputRejected("card.unavailable")
        photos = list(photos)[:MAX_PHOTOS]
        if not photos:
            raise ImageRejected("card.rejected.not_image")
        keys = [photo.key for photo in photos if photo.key]
        if keys and await self._seen(keys):
            # A repeated delivery: no second OCR run (the capture would refuse it again anyway).
            return [CardCapture(CaptureResult(outcome=Outcome.REPEATED, facts=Facts()), CardFacts())]
        read = await asyncio.gather(*(self._read(photo) for photo in photos), return_exceptions=True)
        sides: list[_Side] = []
        refused: list[ChatCrmError] = []
        for outcome in read:
            if isinstance(outcome, ChatCrmError):
                refused.append(outcome)
            elif isinstance(outcome, BaseException):
                raise outcome
            else:
                sides.append(outcome)
        if not sides:
            raise refused[0]
        groups = await asyncio.to_thread(self._group, sides)
        results: list[CardOutcome] = []
        for group, card in groups:
            try:
                results.append(await self._store(actor, group, card))
            except ImageRejected as exc:
                results.append(exc)
        if len(photos) > 2:
            # Several cards: say which photos could not be read. A pair's unreadable side is its
            # blank back, not worth a word.
            results += refused
        if all(isinstance(result, ChatCrmError) for result in results):
            first = results[0]
            assert isinstance(first, ChatCrmError)
            raise first
        return results

    async def _seen(self, keys: list[str]) -> bool:
        async with self._uow(read_only=True) as uow:
            return await uow.processed.seen(keys) == set(keys)

    async def _read(self, photo: CardPhoto) -> _Side:
        limit = min(self.max_bytes, photo.max_bytes or self.max_bytes)
        if photo.size is not None and photo.size > limit:
            raise _too_large(limit)
        data = await photo.fetch()
        if len(data) > limit:
            raise _too_large(limit)
        kind = files.sniff(data, photo.name)
        if kind is None or not kind.is_image:
            raise ImageRejected("card.rejected.not_image")
        assert self._reader is not None
        reader = self._reader
        async with self._ocr_slots:
            page = await asyncio.to_thread(reader.read, data)
        return _Side(photo, data, page)

    def _group(self, sides: list[_Side]) -> list[tuple[list[_Side], CardFacts]]:
        """Consecutive photos that are one card's two sides go together (blocking: run in a thread)."""
        if len(sides) == 1:
            return [(sides, self._extractor.card([sides[0].page]))]
        alone = [self._extractor.card([side.page]) for side in sides]
        groups: list[list[int]] = []
        for index, card in enumerate(alone):
            if groups and len(groups[-1]) == 1 and same_card(alone[groups[-1][0]], card):
                groups[-1].append(index)
            else:
                groups.append([index])
        return [
            (
                [sides[i] for i in group],
                alone[group[0]] if len(group) == 1 else self._extractor.card([sides[i].page for i in group]),
            )
            for group in groups
        ]

    async def _store(self, actor: Member, sides: list[_Side], card: CardFacts) -> CardCapture:
        if not is_card(card):
            raise ImageRejected("card.rejected.no_card")
        kept: list[tuple[files.Blob, str]] = []
        if self._blobs is not None:
            for side in sides:
                blob = await files.prepare(side.data, side.photo.name, CARD_TYPES)
                kept.append((blob, await files.put(self._blobs, blob)))
        else:
            logger.warning("no file store configured: card photos are not kept")
        keys = [side.photo.key for side in sides if side.photo.key]
        return await self._record(actor, card, keys, kept, len(sides))

    async def _record(
        self,
        actor: Member,
        card: CardFacts,
        keys: list[str],
        kept: list[tuple[files.Blob, str]],
        sides: int,
    ) -> CardCapture:
        spool = {
            "kind": "card",
            "member_id": actor.id,
            "keys": keys,
            "card": card.to_json(),
            "files": [{"path": path, "name": blob.name} for blob, path in kept],
            "sides": sides,
        }
        hook = _PhotoHook(card, kept, self._normalizer, self._clock.now())
        result = await self._capture.capture(
            actor, Source.CARD, card.raw_text, card.as_facts(), keys, spool=spool, hook=hook
        )
        logger.info("card captured for member %s: %s, %d side(s)", actor.id, result.outcome.value, sides)
        return CardCapture(result, card, sides)

    async def _retry(self, actor: Member, payload: dict[str, Any]) -> CaptureResult:
        """A card kept while the database was down: its photos are in the blob store already."""
        kept: list[tuple[files.Blob, str]] = []
        if self._blobs is not None:
            for item in payload.get("files") or []:
                data = await asyncio.to_thread(self._blobs.open_path(str(item["path"])).read_bytes)
                kept.append((await files.prepare(data, item.get("name"), CARD_TYPES), str(item["path"])))
        card = card_from_json(payload["card"])
        keys = [str(key) for key in payload.get("keys") or []]
        captured = await self._record(actor, card, keys, kept, int(payload.get("sides") or 1))
        return captured.capture

    # --- corrections ----------------------------------------------------------------------------

    async def state(
        self, actor: Member, interaction_id: int
    ) -> tuple[CardFacts, frozenset[EditableField], int]:
        """What a card capture read, which fields the member corrected since, and how many sides."""
        # Only a capture whose records the member may see (not one that matched a colleague's contact).
        await self._customers.lead(actor, interaction_id)
        async with self._uow(read_only=True) as uow:
            interaction = await uow.interactions.get(interaction_id)
            if (
                interaction is None
                or interaction.team_id != actor.team_id
                or (interaction.author_id != actor.id and not actor.role.sees_team)
                or "card" not in interaction.facts
            ):
                raise NotFound()
            entries = await uow.audit.for_target("interaction", interaction_id)
        known = {f.value for f in EditableField}
        edited = frozenset(
            EditableField(str(entry.detail["field"]))
            for entry in entries
            if entry.action == "field.edited" and entry.detail.get("field") in known
        )
        sides = len(interaction.facts.get("files") or []) or 1
        return card_from_json(interaction.facts["card"], interaction.content), edited, sides

    async def fix(self, actor: Member, interaction_id: int, card_field: str, raw: str) -> CardCapture:
        """The member's value replaces what the card read for `card_field` (a phone or e-mail read
        wrong is removed, not kept beside the right one)."""
        editable = FIX_FIELDS.get(card_field)
        if editable is None:
            raise NotFound("error.stale_button")
        card, _, _ = await self.state(actor, interaction_id)
        replace = card_values(card, card_field)
        result = await self._customers.edit(
            actor, interaction_id, editable, raw, replace=replace[0] if replace else None
        )
        card, edited, sides = await self.state(actor, interaction_id)
        return CardCapture(result, card, sides, edited)


def _too_large(limit: int) -> ImageRejected:
    return ImageRejected("card.rejected.too_large", limit=max(1, round(limit / 1024 / 1024)))


@dataclass(slots=True)
class _PhotoHook:
    """Inside the capture's unit of work: the photos' file rows, and what the card says that Facts
    does not carry (QQ)."""

    card: CardFacts
    kept: list[tuple[files.Blob, str]]
    normalizer: Normalizer
    now: datetime
    file_ids: list[int] = field(default_factory=list)

    async def before(self, uow: UnitOfWork, interaction: Interaction) -> None:
        for blob, path in self.kept:
            stored, _ = await files.record(uow, interaction.team_id, blob, path, self.now)
            self.file_ids.append(stored.id)
        interaction.file_id = self.file_ids[0] if self.file_ids else None
        interaction.facts = {**interaction.facts, "card": card_json(self.card), "files": self.file_ids}

    async def after(self, uow: UnitOfWork, result: CaptureResult) -> None:
        contact = result.contact
        if contact is None or not self.card.qq or contact.qq:
            return
        if result.outcome not in (Outcome.CREATED, Outcome.UPDATED):
            return
        contact.qq = self.card.qq
        company = result.customer.name if result.customer else None
        await uow.contacts.update(contact, contact_keys(self.normalizer, contact, company))
