"""The application with somewhere to go for every kind of file (voice notes, business cards, deal
evidence), for tests of what the Telegram side does before any engine runs."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.documents import DocumentText
from bot.speech_adapter import WhisperSpeech
from chat.app import App, Ports
from nlu.extractor import Extractor
from nlu.normalize import Normalizer
from storage.files import FileSpool, LocalBlobStore
from storage.uow import SqlUnitOfWorkFactory
from tests.conftest import FakeClock
from tests.support.card_flow import MemoReader
from tests.support.voice import MODEL, ScriptedSpeech


def every_file_app(engine: AsyncEngine, clock: FakeClock, extractor: Extractor, root: Path) -> App:
    """Real storage, probes and document reader; scripted speech and a memo card reader, which the
    downloads these tests exercise never reach."""
    return App(
        Ports(
            uow=SqlUnitOfWorkFactory(engine),
            clock=clock,
            extractor=extractor,
            normalizer=Normalizer(),
            spool=FileSpool(root / "spool"),
            blobs=LocalBlobStore(root / "files"),
            speech=ScriptedSpeech(),
            audio=WhisperSpeech(MODEL, max_bytes=20 * 1024 * 1024),
            cards=MemoReader(),
            documents=DocumentText(),
        )
    )
