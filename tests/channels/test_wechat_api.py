"""The async WeChat / WeCom API client against the fake API on 127.0.0.1: tokens cached until expiry
and refreshed on 40001 / 42001, retries when busy, media up and down, and the notifier."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.wechat.api import Credentials, WeChatClient
from chat.app import App
from chat.views import Act, Attachment, Button, Reply, rows
from crm.errors import DeliveryFailed
from crm.model import Channel, Identity
from handlers.textchat import TextConversation
from handlers.wechat import render
from handlers.wechat.notify import WeChatNotifier
from handlers.wechat.ports import MediaTooLarge, MediaUnavailable
from tests.conftest import Team
from tests.support.fake_wechat import APP_ID, CORP_ID, SECRET, FakeWeChat

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Ticker:
    """A monotonic clock for the token cache that only moves when told to."""

    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds


@pytest.fixture
async def fake() -> AsyncIterator[FakeWeChat]:
    server = FakeWeChat()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def ticker() -> Ticker:
    return Ticker()


@pytest.fixture
async def client(fake: FakeWeChat, ticker: Ticker) -> AsyncIterator[WeChatClient]:
    api = WeChatClient(Credentials(APP_ID, SECRET), fake.base_url, backoff_seconds=0.01, monotonic=ticker)
    yield api
    await api.close()


@pytest.fixture
async def wecom(fake: FakeWeChat) -> AsyncIterator[WeChatClient]:
    api = WeChatClient(Credentials(CORP_ID, SECRET, agent_id="1000002"), fake.base_url, backoff_seconds=0.01)
    yield api
    await api.close()


async def test_the_token_is_fetched_once_and_again_near_expiry(
    client: WeChatClient, fake: FakeWeChat, ticker: Ticker
) -> None:
    for n in range(3):
        await client.send_text("o-1", f"hello {n}")
    assert fake.tokens_issued == ["tok-1"]
    ticker.seconds += 7200 - 300 + 1  # within the refresh margin before WeChat's 7200 s
    await client.send_text("o-1", "later")
    assert len(fake.tokens_issued) == 2
    assert fake.sent[-1].token == fake.tokens_issued[-1]
    assert fake.texts("o-1") == ["hello 0", "hello 1", "hello 2", "later"]


@pytest.mark.parametrize("code", [40001, 42001, 40014])
async def test_a_refused_token_is_replaced_and_the_call_repeated(
    client: WeChatClient, fake: FakeWeChat, code: int
) -> None:
    await client.send_text("o-1", "first")
    fake.refused_tokens[fake.tokens_issued[-1]] = code  # e.g. another process refreshed it
    await client.send_text("o-1", "second")
    assert len(fake.tokens_issued) == 2
    assert fake.texts("o-1") == ["first", "second"]


@pytest.mark.parametrize("busy", [[45009], [-1, 45009], [500], [503, 45011, 502]])
async def test_busy_and_rate_limited_answers_are_retried(
    client: WeChatClient, fake: FakeWeChat, busy: list[int]
) -> None:
    await client.token()
    fake.busy.extend(busy)
    await client.send_text("o-1", "eventually")
    assert fake.texts("o-1") == ["eventually"]
    assert fake.busy == []


async def test_a_lasting_refusal_becomes_delivery_failed(client: WeChatClient, fake: FakeWeChat) -> None:
    await client.token()
    fake.busy.extend([45009] * 10)
    with pytest.raises(DeliveryFailed):
        await client.send_text("o-1", "never")
    assert fake.texts() == []


async def test_wrong_secret_is_delivery_failed(fake: FakeWeChat) -> None:
    api = WeChatClient(Credentials(APP_ID, "wrong"), fake.base_url, backoff_seconds=0.01)
    try:
        with pytest.raises(DeliveryFailed):
            await api.send_text("o-1", "x")
    finally:
        await api.close()


async def test_wecom_sends_application_messages_with_the_agent_id(
    wecom: WeChatClient, fake: FakeWeChat
) -> None:
    await wecom.send_text("zhangsan", "你好")
    await wecom.send_markdown("zhangsan", "**本周**")
    await wecom.send_news("zhangsan", "标题", "描述", "https://example.com/a")
    assert [s.path for s in fake.sent] == ["/cgi-bin/message/send"] * 3
    assert [s.body["msgtype"] for s in fake.sent] == ["text", "markdown", "news"]
    assert all(s.body["agentid"] == 1000002 for s in fake.sent)
    assert fake.sent[2].body["news"]["articles"][0]["url"] == "https://example.com/a"


async def test_image_is_uploaded_then_sent(client: WeChatClient, fake: FakeWeChat) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    await client.send_image("o-1", png, "funnel.png", "image/png")
    (media_id,) = fake.uploads
    assert fake.uploads[media_id] == (png, "image/png")
    assert fake.sent[-1].body == {"touser": "o-1", "msgtype": "image", "image": {"media_id": media_id}}


async def test_wecom_uploads_a_file_as_type_file_then_sends_a_file_message(
    wecom: WeChatClient, fake: FakeWeChat
) -> None:
    data = b"PK\x03\x04" + b"\1" * 64
    await wecom.send_file("zhangsan", data, "导出.xlsx", XLSX)
    (media_id,) = fake.uploads
    assert fake.uploads[media_id] == (data, XLSX)
    assert fake.upload_kinds[media_id] == ("file", "导出.xlsx")
    assert fake.sent[-1].body == {
        "touser": "zhangsan",
        "msgtype": "file",
        "file": {"media_id": media_id},
        "agentid": 1000002,
    }
    assert fake.files("zhangsan") == [(data, "导出.xlsx")]


async def test_an_official_account_sends_no_file(client: WeChatClient, fake: FakeWeChat) -> None:
    assert not client.sends_files
    with pytest.raises(DeliveryFailed):
        await client.send_file("o-1", b"PK\x03\x04", "export.xlsx", XLSX)
    assert fake.uploads == {} and fake.sent == []  # refused before any call


@pytest.mark.parametrize(
    ("mode", "attachment", "sent"),
    [
        # A picture is an image on both.
        ("official", Attachment(b"\x89PNG\r\n\x1a\n", "f.png", "image/png", "no file"), ["image", "text"]),
        ("wecom", Attachment(b"\x89PNG\r\n\x1a\n", "f.png", "image/png", "no file"), ["image", "text"]),
        # A workbook is a file message on WeCom; on an Official Account its `instead` joins the text.
        ("wecom", Attachment(b"PK\x03\x04", "a.xlsx", XLSX, "no file"), ["file", "text"]),
        ("official", Attachment(b"PK\x03\x04", "a.xlsx", XLSX, "no file"), ["text"]),
    ],
)
async def test_a_replys_attachment_goes_as_the_channel_can(
    client: WeChatClient,
    wecom: WeChatClient,
    fake: FakeWeChat,
    mode: str,
    attachment: Attachment,
    sent: list[str],
) -> None:
    api = wecom if mode == "wecom" else client
    await render.send(api, "u-1", "📤 已导出", attachment)
    assert [s.kind for s in fake.sent] == sent
    text = fake.texts("u-1")[-1]
    assert text.startswith("📤 已导出")
    assert ("no file" in text) is (sent == ["text"])


async def test_media_download(client: WeChatClient, fake: FakeWeChat) -> None:
    fake.media["m-1"] = (b"#!AMR\n" + b"\x3c" * 100, "audio/amr")
    media = await client.download("m-1", max_bytes=1000)
    assert media.data.startswith(b"#!AMR") and media.mime == "audio/amr" and media.filename == "m-1"
    with pytest.raises(MediaTooLarge):
        await client.download("m-1", max_bytes=50)
    with pytest.raises(MediaUnavailable):
        await client.download("expired-media", max_bytes=1000)


async def test_notifier_renders_buttons_as_a_numbered_menu(
    app: App, team: Team, client: WeChatClient, fake: FakeWeChat
) -> None:
    notifier = WeChatNotifier(TextConversation(app, "/start {code}", Channel.WECHAT), client)
    identity = Identity(Channel.WECHAT, "o-rep", team.rep.id, "o-rep")
    chart = Attachment(b"\x89PNG\r\n\x1a\n", "chart.png", "image/png")
    reply = Reply("⏰ 提醒：给张总回电话", rows(Button("完成", Act.REMINDER_DONE, 1)), attachment=chart)
    await notifier.send(identity, reply)
    assert [s.body["msgtype"] for s in fake.sent] == ["image", "text"]
    assert "1. 完成" in fake.texts("o-rep")[-1]
    fake.busy.extend([40003] * 5)  # invalid openid: not retried
    with pytest.raises(DeliveryFailed):
        await notifier.send(identity, Reply("x"))
