"""The card flow's test kit: the application with the real default card reader (PP-OCR; one OCR run per
distinct photo for the whole session), a blob store on disk, generated card photos and pictures that are no card."""

from __future__ import annotations

import hashlib
import io
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image
from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.card_adapter import CardReaderAdapter, card_reader
from chat.app import App, Ports
from crm.ports import OcrPage
from nlu.extractor import Extractor
from nlu.normalize import Normalizer
from storage import tables as t
from storage.files import FileSpool, LocalBlobStore
from storage.uow import SqlUnitOfWorkFactory
from tests.conftest import FakeClock
from tests.support.cardgen import Card, generate_card

MAX_MB = 2  # small, so that an oversize photo is cheap to make

# Seeds of tests/support/cardgen.py: a simplified-Chinese card with mobile, landline, e-mail and website;
# an English one with a WeChat id; a bilingual one whose back is in English (and has a QQ number).
ZH_CARD = 2
EN_CARD = 5
BILINGUAL_CARD = 12
# A simplified-Chinese card that prints its address without a label (the reader marks it doubtful).
UNLABELLED_ADDRESS_CARD = 14


@cache
def card(seed: int) -> Card:
    return generate_card(seed)


@cache
def photo(seed: int, side: int = 0) -> bytes:
    """A card side as a phone would send it: JPEG."""
    return card(seed).encoded("JPEG", 90)[side]


def picture(kind: str, size: tuple[int, int] = (1400, 900)) -> bytes:
    """Pictures that are no card: "white" (blank), "noise" (a photo of nothing readable)."""
    width, height = size
    if kind == "white":
        pixels = np.full((height, width, 3), 255, np.uint8)
    else:
        pixels = np.random.default_rng(7).integers(0, 256, (height, width, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


class MemoReader:
    """The real reader (the default engine), remembering each photo's page: the tests show the same photos in
    several flows. Records every photo it was asked to read."""

    _pages: dict[str, OcrPage] = {}  # noqa: RUF012 - shared across the session on purpose
    _adapter: CardReaderAdapter | None = None

    def __init__(self) -> None:
        self.calls: list[str] = []
        if MemoReader._adapter is None:
            MemoReader._adapter = card_reader(MAX_MB, workers=1)

    def read(self, image: bytes) -> OcrPage:
        digest = hashlib.sha256(image).hexdigest()
        self.calls.append(digest)
        if digest not in self._pages:
            assert self._adapter is not None
            self._pages[digest] = self._adapter.read(image)  # ImageRejected is not remembered
        return self._pages[digest]


def card_app(
    engine: AsyncEngine, clock: FakeClock, extractor: Extractor, root: Path
) -> tuple[App, MemoReader]:
    reader = MemoReader()
    app = App(
        Ports(
            uow=SqlUnitOfWorkFactory(engine),
            clock=clock,
            extractor=extractor,
            normalizer=Normalizer(),
            spool=FileSpool(root / "spool"),
            blobs=LocalBlobStore(root / "files"),
            cards=reader,
        ),
        max_file_mb=MAX_MB,
    )
    return app, reader


async def count(engine: AsyncEngine, table: Table) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


async def nothing_stored(engine: AsyncEngine, root: Path) -> bool:
    """No interaction, contact, customer or file row, and no file in the blob store."""
    tables = (t.interactions, t.contacts, t.customers, t.files)
    counts = [await count(engine, table) for table in tables]
    blobs = list((root / "files").rglob("*")) if (root / "files").exists() else []
    return counts == [0, 0, 0, 0] and not [p for p in blobs if p.is_file()]
