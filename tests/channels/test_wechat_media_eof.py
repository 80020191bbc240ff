"""Media downloads from WeChat read to the end of the body, however many TCP reads it takes, and refused
whole past the size cap: the fake API on 127.0.0.1 sends bodies in small paced chunks, as a real
server on a real network does (a single read returns only what has arrived so far)."""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.wechat.api import Credentials, WeChatClient
from chat.app import App, Ports
from crm.model import Channel
from handlers.wechat.inbound import Inbound
from handlers.wechat.messages import WeChatHandler
from handlers.wechat.ports import MediaTooLarge
from nlu.extractor import Extractor
from nlu.normalize import Normalizer
from storage.files import FileSpool, LocalBlobStore
from storage.uow import SqlUnitOfWorkFactory
from tests.conftest import FakeClock
from tests.support.fake_wechat import APP_ID, SECRET, FakeWeChat

MIB = 1024 * 1024
CAP = 20 * MIB  # WeChatConfig.max_file_bytes, from MAX_FILE_MB's default
CHUNK = 64 * 1024
PAUSE = 0.002  # seconds between chunks: each read of the client finds at most a few chunks buffered


@pytest.fixture
async def fake() -> AsyncIterator[FakeWeChat]:
    server = FakeWeChat(chunk_bytes=CHUNK, chunk_pause=PAUSE)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def client(fake: FakeWeChat) -> AsyncIterator[WeChatClient]:
    api = WeChatClient(Credentials(APP_ID, SECRET), fake.base_url, backoff_seconds=0.01)
    yield api
    await api.close()


def noise(size: int, seed: int) -> bytes:
    """Bytes that differ all along, so that a lost or repeated chunk changes the digest."""
    return random.Random(seed).randbytes(size)


@pytest.mark.parametrize("declare_length", [True, False], ids=["content-length", "chunked"])
@pytest.mark.parametrize("size", [1 * MIB, 5 * MIB, 19 * MIB, CAP], ids=["1MiB", "5MiB", "19MiB", "cap"])
async def test_a_paced_download_arrives_whole(
    client: WeChatClient, fake: FakeWeChat, size: int, declare_length: bool
) -> None:
    fake.declare_length = declare_length
    sent = noise(size, size)
    fake.media["m-1"] = (sent, "audio/amr")
    media = await client.download("m-1", max_bytes=CAP)
    assert len(media.data) == len(sent)
    assert hashlib.sha256(media.data).hexdigest() == hashlib.sha256(sent).hexdigest()
    assert media.mime == "audio/amr" and media.filename == "m-1"


@pytest.mark.parametrize("declare_length", [True, False], ids=["content-length", "chunked"])
@pytest.mark.parametrize("size", [CAP + 1, 21 * MIB], ids=["cap+1", "21MiB"])
async def test_a_body_over_the_cap_is_refused_not_cut_short(
    client: WeChatClient, fake: FakeWeChat, size: int, declare_length: bool
) -> None:
    # Without a Content-Length only the bytes counted while reading can tell that it is too large.
    fake.declare_length = declare_length
    fake.media["big"] = (noise(size, size), "audio/amr")
    with pytest.raises(MediaTooLarge) as refused:
        await client.download("big", max_bytes=CAP)
    assert refused.value.limit_bytes == CAP


@pytest.fixture
def app_with_files(sqlite_engine: AsyncEngine, clock: FakeClock, extractor: Extractor, tmp_path: Path) -> App:
    """The app with a file store (voice notes and documents are kept there) and no speech engine."""
    return App(
        Ports(
            uow=SqlUnitOfWorkFactory(sqlite_engine),
            clock=clock,
            extractor=extractor,
            normalizer=Normalizer(),
            spool=FileSpool(tmp_path / "spool"),
            blobs=LocalBlobStore(tmp_path / "files"),
        )
    )


class Sender:
    """Messages of one WeChat user, handed to the handler as the inbox's runner hands them."""

    def __init__(self, handler: WeChatHandler, user: str) -> None:
        self.handler, self.user = handler, user
        self._ids = iter(range(1, 1000))

    async def send(
        self, kind: str, text: str = "", media_id: str | None = None, filename: str | None = None
    ) -> None:
        message = Inbound(
            Channel.WECHAT,
            kind,
            self.user,
            int(time.time()),
            str(next(self._ids)),
            text=text,
            media_id=media_id,
            media_format="amr" if kind == "voice" else None,
            filename=filename,
        )
        await self.handler.handle(message)


@pytest.mark.parametrize("kind", ["voice", "file"])
async def test_the_member_is_told_in_their_language_that_the_media_is_too_large(
    app_with_files: App, client: WeChatClient, fake: FakeWeChat, tmp_path: Path, kind: str
) -> None:
    handler = WeChatHandler(app_with_files, client, max_file_bytes=CAP)
    boss = Sender(handler, "o-boss")
    await boss.send("text", text="/start")  # founds the team, in Chinese (no language code on WeChat)
    fake.declare_length = False
    fake.media["big"] = (noise(21 * MIB, 21), "audio/amr" if kind == "voice" else "application/pdf")
    filename = None if kind == "voice" else "报价单.pdf"
    await boss.send(kind, media_id="big", filename=filename)
    assert fake.downloads == ["big"]
    assert "文件太大（上限 20 MB）" in fake.texts("o-boss")[-1]
    await boss.send("text", text="/lang en")
    await boss.send(kind, media_id="big", filename=filename)
    assert fake.downloads == ["big", "big"]
    assert "The file is too large (limit 20 MB)" in fake.texts("o-boss")[-1]
    assert not list((tmp_path / "files").rglob("*.*"))  # nothing of the refused media was kept
