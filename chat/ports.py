"""What the conversation needs from outside: a way to reach a member, the funnel chart, and the
domain's own ports (crm/ports.py), all in `Ports`.

Notifier and ChartRenderer carry replies and pictures, which the domain never sees: handlers/
implement Notifier per channel, bot/ the chart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from chat.views import Reply
from crm.model import Identity
from crm.ports import (
    AudioProbe,
    BlobStore,
    CardReader,
    Clock,
    DocumentReader,
    FactExtractor,
    InputSpool,
    Normalizer,
    PlaceResolver,
    SpeechToText,
    UnitOfWorkFactory,
    WorkCalendar,
)


class Notifier(Protocol):
    """Delivers a reply to a member on one of their channels (a reminder, a digest).

    Raises crm.errors.DeliveryFailed when the channel refuses (blocked bot, unknown user, network).
    """

    async def send(self, identity: Identity, reply: Reply) -> None: ...


class ChartRenderer(Protocol):
    """Blocking rendering of the funnel chart as a PNG (run in a worker thread)."""

    def funnel(self, title: str, bars: Sequence[tuple[str, int]]) -> bytes: ...


@dataclass(frozen=True, slots=True)
class Ports:
    """Everything the application needs from outside the domain. Perception and delivery are
    optional: a process without them (the CLI, some tests) simply lacks those features."""

    uow: UnitOfWorkFactory
    clock: Clock
    extractor: FactExtractor
    normalizer: Normalizer
    spool: InputSpool
    blobs: BlobStore | None = None
    notifier: Notifier | None = None
    speech: SpeechToText | None = None
    cards: CardReader | None = None
    audio: AudioProbe | None = None  # quick checks of voice notes before they are queued
    documents: DocumentReader | None = None  # text of evidence documents, for their keywords
    charts: ChartRenderer | None = None  # the funnel chart of /pipeline and the digest
    calendar: WorkCalendar | None = None  # workdays of the morning digest (Monday-Friday without)
    places: PlaceResolver | None = None  # where a lead is, for routing (without: every region is unclear)
