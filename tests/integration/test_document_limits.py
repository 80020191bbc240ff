"""Document parsing runs in a child process under a time and a memory limit: a document that hangs
a parser is refused with a clear answer, one that eats memory costs only its keywords, and neither
blocks the bot."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.documents import DocumentText
from bot.telegram import make_dispatcher
from chat.app import App, Ports
from crm.errors import InputRejected
from nlu.extractor import Extractor
from nlu.normalize import Normalizer
from storage import tables as t
from storage.files import FileSpool, LocalBlobStore
from storage.uow import SqlUnitOfWorkFactory
from tests.conftest import FakeClock
from tests.support.deals import pdf, pdf_bomb
from tests.support.telegram import make_bot, media_update, text_update, user

PDF = "application/pdf"
# Tens of seconds of pure-Python parsing and hundreds of MB on any machine, from a ~40 KB file.
BOMB_MB = 24
ADMIN = user(1, "老板")


def test_a_parse_that_overruns_its_time_is_killed_and_refused() -> None:
    reader = DocumentText(seconds=2)
    with pytest.raises(InputRejected) as refused:
        reader.text(pdf_bomb(BOMB_MB), PDF, 4000)
    assert refused.value.key == "file.read_timeout" and refused.value.params == {"seconds": 2}
    # the reader is not left broken: the next document reads as usual
    assert "合同" in reader.text(pdf("合同编号 2026-01"), PDF, 4000)


def test_a_parse_that_exhausts_its_memory_limit_is_only_unreadable() -> None:
    reader = DocumentText(seconds=600, memory=300 * 1024 * 1024)
    with pytest.raises(ValueError, match=r"MemoryError|status"):
        reader.text(pdf_bomb(BOMB_MB), PDF, 4000)


@pytest.fixture
def app(sqlite_engine: AsyncEngine, clock: FakeClock, extractor: Extractor, tmp_path: Path) -> App:
    return App(
        Ports(
            uow=SqlUnitOfWorkFactory(sqlite_engine),
            clock=clock,
            extractor=extractor,
            normalizer=Normalizer(),
            spool=FileSpool(tmp_path / "spool"),
            blobs=LocalBlobStore(tmp_path / "files"),
            documents=DocumentText(seconds=2),
        )
    )


async def test_the_member_is_told_in_their_language_and_nothing_is_kept(
    app: App, sqlite_engine: AsyncEngine, tmp_path: Path
) -> None:
    dp, _ = make_dispatcher(app, burst_seconds=0.05)
    bot, session = make_bot()
    session.files["F"] = pdf_bomb(BOMB_MB)
    await dp.feed_update(bot, text_update(ADMIN, "/start"))
    for command in ("/help", "/lang en"):
        await dp.feed_update(bot, text_update(ADMIN, command))
        update = media_update(
            ADMIN, "document", "F", len(session.files["F"]), file_name="合同.pdf", mime_type=PDF
        )
        await dp.feed_update(bot, update)
    texts = session.texts()
    assert "2 秒内没能读完" in texts[2] and "PDF" in texts[2]
    assert "could not be read within 2 seconds" in texts[-1]
    async with sqlite_engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(t.files))).scalar_one() == 0
    assert not any((tmp_path / "files").rglob("*.pdf"))
