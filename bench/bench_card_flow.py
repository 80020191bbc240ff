"""Card photo -> contact card, end to end in process: OCR (the default engine, PP-OCR) + parse + dedup +
store + render.

`python -m bench card_flow` sends ~20 generated cards (half clean, half photographed badly; bilingual
ones as front and back) through App.photos on an SQLite file and prints the median and p90 time per
card, and the share OCR takes. Then two reps send cards at the same time, with one and with two
OCR runs allowed at once (CHATCRM_OCR_WORKERS, each run sized to its share of the cores): the latency
each rep sees, and the throughput.
CARD_FLOW_CARDS overrides the number of cards.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

from bot.card_adapter import CardReaderAdapter, card_reader
from chat.app import App, Ports
from crm.clock import SystemClock
from crm.errors import ImageRejected
from crm.inputs import CardPhoto, Newcomer, Photos
from crm.model import Channel, Member, Role
from crm.ports import OcrPage
from nlu.extractor import Extractor
from nlu.normalize import Normalizer
from storage.db import create_engine, sqlite_url
from storage.files import FileSpool, LocalBlobStore
from storage.tables import metadata
from storage.uow import SqlUnitOfWorkFactory
from tests.support.cardgen import Card, generate_card, perturbed_card

TARGET_SECONDS = 2.0


class TimedReader:
    """The real reader, timing each OCR run."""

    def __init__(self, reader: CardReaderAdapter) -> None:
        self.reader = reader
        self.seconds: list[float] = []

    def read(self, image: bytes) -> OcrPage:
        started = time.perf_counter()
        try:
            return self.reader.read(image)
        finally:
            self.seconds.append(time.perf_counter() - started)


def _cards(count: int) -> list[Card]:
    clean = [generate_card(seed) for seed in range(500, 500 + count // 2)]
    bad = [perturbed_card(seed) for seed in range(700, 700 + count - count // 2)]
    return clean + bad


def _photos(card: Card, key: str) -> Photos:
    return Photos(
        tuple(CardPhoto.of(data, key=f"{key}:{side}") for side, data in enumerate(card.encoded("JPEG", 90)))
    )


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _app(root: Path, reader: TimedReader, workers: int) -> tuple[App, list[Member]]:
    await asyncio.to_thread(root.mkdir, parents=True, exist_ok=True)
    engine = create_engine(sqlite_url(root / "bench.db"))
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    extractor = Extractor()
    extractor.warm_up()
    app = App(
        Ports(
            uow=SqlUnitOfWorkFactory(engine),
            clock=SystemClock(),
            extractor=extractor,
            normalizer=Normalizer(),
            spool=FileSpool(root / "spool"),
            blobs=LocalBlobStore(root / "files"),
            cards=reader,
        ),
        ocr_workers=workers,
    )
    admin = (await app.members.start(Newcomer(Channel.CONSOLE, "a", "a", "Admin", "zh"), None)).member
    assert admin is not None
    invite = await app.members.invite(admin, Role.REP)
    rep = (await app.members.start(Newcomer(Channel.CONSOLE, "r", "r", "Rep", "zh"), invite.code)).member
    assert rep is not None
    return app, [admin, rep]


async def _sequential(root: Path, ocr: CardReaderAdapter, cards: list[Card]) -> None:
    reader = TimedReader(ocr)
    app, [rep, _] = await _app(root, reader, 1)
    await app.photos(rep, _photos(generate_card(1), "warm"))  # the OCR models, the parser's caches
    reader.seconds.clear()
    seconds: list[float] = []
    refused = 0
    for index, card in enumerate(cards):
        started = time.perf_counter()
        refused += await _reply_or_refusal(app, rep, _photos(card, f"s{index}"))
        seconds.append(time.perf_counter() - started)
    ocr_share = sum(reader.seconds) / sum(seconds)
    sides = sum(len(card.images) for card in cards)
    print(f"cards: {len(cards)} ({sides} photos; {refused} refused as unreadable or no card)")
    print(
        f"photo -> contact card: median {statistics.median(seconds):.2f} s, "
        f"p90 {_quantile(seconds, 0.9):.2f} s, max {max(seconds):.2f} s (target about {TARGET_SECONDS:.0f} s)"
    )
    print(
        f"OCR per photo: median {statistics.median(reader.seconds):.2f} s; OCR is {ocr_share:.0%} of the "
        "time, parse + dedup + store + render the rest"
    )


async def _reply_or_refusal(app: App, rep: Member, photos: Photos) -> int:
    """Sends the photos; 1 when they were refused (unreadable, no card), else 0."""
    try:
        await app.photos(rep, photos)
    except ImageRejected:
        return 1
    return 0


async def _two_reps(root: Path, ocr: CardReaderAdapter, cards: list[Card], workers: int) -> None:
    reader = TimedReader(ocr)
    app, reps = await _app(root, reader, workers)
    latencies: list[float] = []

    async def rep_sends(member: Member, share: list[Card], tag: str) -> None:
        for index, card in enumerate(share):
            started = time.perf_counter()
            await _reply_or_refusal(app, member, _photos(card, f"{tag}{workers}:{index}"))
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(rep_sends(reps[0], cards[0::2], "a"), rep_sends(reps[1], cards[1::2], "b"))
    wall = time.perf_counter() - started
    print(
        f"two reps at once, {workers} OCR worker(s): latency median {statistics.median(latencies):.2f} s, "
        f"p90 {_quantile(latencies, 0.9):.2f} s; {len(cards) / wall:.2f} cards/s"
    )


def _reader(workers: int) -> CardReaderAdapter:
    reader = card_reader(20, workers=workers)
    if reader is None:
        raise SystemExit("the card reader cannot run here")
    return reader


async def _run(count: int) -> None:
    cards = _cards(count)
    with tempfile.TemporaryDirectory(prefix="bench-card-flow-") as tmp:
        root = Path(tmp)
        await _sequential(root / "seq", _reader(1), cards)
        for workers in (1, 2):
            await _two_reps(root / f"two{workers}", _reader(workers), cards, workers)


def main() -> None:
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    asyncio.run(_run(int(os.environ.get("CARD_FLOW_CARDS", "20"))))


if __name__ == "__main__":
    main()
