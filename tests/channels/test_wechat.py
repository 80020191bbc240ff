"""The WeChat / WeCom callback under pytest-aiohttp with envelopes made by wechatpy, the real handler
and app on SQLite, and the replies caught by a fake WeChat API on 127.0.0.1."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.wechat.runtime import WeChatChannel, WeChatConfig, web_application
from chat.app import App, Ports
from chat.delivery import ChannelNotifier
from crm.inputs import ChatMessage, Newcomer
from crm.model import Channel, Lang, Role
from nlu.extractor import Extractor
from nlu.normalize import Normalizer
from storage.files import FileSpool, LocalBlobStore
from storage.uow import SqlUnitOfWorkFactory
from tests.conftest import FakeClock, Team, make_app
from tests.support import wechat as wx
from tests.support.amr import speak_amr
from tests.support.fake_wechat import APP_ID, CORP_ID, SECRET, FakeWeChat

MODES = ["plaintext", "compatible", "safe", "wecom"]


@pytest.fixture
async def fake() -> AsyncIterator[FakeWeChat]:
    server = FakeWeChat()
    await server.start()
    yield server
    await server.stop()


def config(mode: str, fake: FakeWeChat) -> WeChatConfig:
    wecom = mode == "wecom"
    return WeChatConfig(
        token=wx.TOKEN,
        aes_key=None if mode == "plaintext" else wx.AES_KEY,
        app_id=CORP_ID if wecom else APP_ID,
        secret=SECRET,
        agent_id=wx.AGENT_ID if wecom else None,
        api_url=fake.base_url,
        workers=2,
    )


class Callback:
    """One running channel and a client posting envelopes to it."""

    def __init__(self, channel: WeChatChannel, client: TestClient[Any, Any], envelopes: wx.Envelopes) -> None:
        self.channel, self.client, self.env = channel, client, envelopes

    async def post(self, xml: str, **kw: Any) -> tuple[int, str]:
        query, body = self.env.post(xml, **kw)
        return await self.raw(query, body)

    async def raw(self, query: dict[str, str], body: str | bytes) -> tuple[int, str]:
        data = body.encode() if isinstance(body, str) else body
        response = await self.client.post("/wechat", params=query, data=data)
        return response.status, await response.text()

    async def done(self) -> None:
        await asyncio.wait_for(self.channel.idle(), 60)


Connect = Callable[..., Awaitable[Callback]]


@pytest.fixture
async def connect(aiohttp_client: Any, fake: FakeWeChat) -> AsyncIterator[Connect]:
    channels: list[WeChatChannel] = []

    async def make(app: App, mode: str = "safe", **kw: Any) -> Callback:
        notifier = ChannelNotifier()
        channel = WeChatChannel(app, config(mode, fake), notifier, backoff_seconds=0.01, **kw)
        web_app = web_application()
        channel.mount(web_app)
        channel.start()
        channels.append(channel)
        client = await aiohttp_client(web_app)
        return Callback(channel, client, wx.Envelopes(mode))

    yield make
    for channel in channels:
        await channel.close(5)


async def join(cb: Callback, app: App, team: Team, user: str, role: Role = Role.REP) -> None:
    invite = await app.members.invite(team.admin, role)
    await cb.post(wx.text(user, f"/start {invite.code}"))
    await cb.done()


def interactions(tmp_path: Path) -> list[str]:
    with sqlite3.connect(tmp_path / "chatcrm.db") as conn:
        return [row[0] for row in conn.execute("SELECT content FROM interactions ORDER BY id")]


# --- URL verification -----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
async def test_url_verification_echoes(connect: Connect, app: App, mode: str) -> None:
    cb = await connect(app, mode)
    query, expected = cb.env.url_check("4711-echo")
    response = await cb.client.get("/wechat", params=query)
    assert response.status == 200
    assert await response.text() == expected


@pytest.mark.parametrize("mode", ["safe", "wecom"])
async def test_url_verification_with_a_wrong_token_is_forbidden(
    connect: Connect, app: App, mode: str
) -> None:
    cb = await connect(app, mode)
    query, _ = wx.Envelopes(mode, token="someone-elses-token").url_check()
    response = await cb.client.get("/wechat", params=query)
    assert response.status == 403


# --- messages in every mode -----------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
async def test_join_by_code_and_capture_a_lead(
    connect: Connect, app: App, team: Team, fake: FakeWeChat, mode: str
) -> None:
    cb = await connect(app, mode)
    status, body = await cb.post(wx.text("o-rep-1", "你好"))
    # Acknowledged at once, no passive reply: "success" (Official Account), an empty body (WeCom).
    assert (status, body) == (200, "" if mode == "wecom" else "success")
    await cb.done()
    assert "/start" in fake.texts("o-rep-1")[-1]  # a stranger learns how to join; nothing stored

    await join(cb, app, team, "o-rep-1")
    assert "欢迎加入团队" in fake.texts("o-rep-1")[-1]
    await cb.post(wx.text("o-rep-1", "张伟 13812345678 华为技术有限公司 想要报价，预算50万"))
    await cb.done()
    card = fake.texts("o-rep-1")[-1]
    assert "新线索" in card and "华为技术有限公司" in card and "+86 138 1234 5678" in card
    assert "回复数字选择" in card  # buttons become a numbered menu
    member = await app.identify(wx_newcomer("o-rep-1", mode))
    assert member is not None and member.role is Role.REP
    expected_path = "/cgi-bin/message/send" if mode == "wecom" else "/cgi-bin/message/custom/send"
    assert {s.path for s in fake.sent} == {expected_path}
    if mode == "wecom":
        assert all(s.body["agentid"] == int(wx.AGENT_ID) for s in fake.sent)


def wx_newcomer(user: str, mode: str) -> Any:

    return Newcomer(Channel.WECOM if mode == "wecom" else Channel.WECHAT, user, user, "")


async def test_a_number_picks_a_button_of_the_last_reply(
    connect: Connect, app: App, team: Team, fake: FakeWeChat
) -> None:
    cb = await connect(app)
    await join(cb, app, team, "o-rep-2")
    await cb.post(wx.text("o-rep-2", "李雷 13912345678 想了解CRM"))
    await cb.done()
    assert "1. ＋客户" in fake.texts("o-rep-2")[-1]
    await cb.post(wx.text("o-rep-2", "1"))
    await cb.done()
    assert "请输入新的客户" in fake.texts("o-rep-2")[-1]


# --- refusals -------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
async def test_bad_signature_is_forbidden_and_nothing_is_processed(
    connect: Connect, app: App, fake: FakeWeChat, mode: str
) -> None:
    cb = await connect(app, mode)
    query, body = cb.env.post(wx.text("o-x", "/start"))
    for name in ("signature", "msg_signature"):
        if name in query:
            query[name] = "0" * 40
    assert (await cb.raw(query, body))[0] == 403
    forged = wx.Envelopes(mode, token="not-our-token")
    assert (await cb.raw(*forged.post(wx.text("o-x", "/start"))))[0] == 403
    await cb.done()
    assert fake.sent == [] and cb.channel.handled == 0


async def test_encrypted_for_another_account_is_refused(connect: Connect, app: App, fake: FakeWeChat) -> None:
    cb = await connect(app, "safe")
    other = wx.Envelopes("safe", aes_key="Z" * 43)  # our token, another account's key
    status, _ = await cb.raw(*other.post(wx.text("o-x", "/start")))
    assert status == 400
    assert cb.channel.handled == 0


@pytest.mark.parametrize("mode", ["plaintext", "safe"])
async def test_stale_timestamp_is_forbidden(connect: Connect, app: App, fake: FakeWeChat, mode: str) -> None:
    cb = await connect(app, mode)
    old = int(cb.env.now()) - 3600
    assert (await cb.post(wx.text("o-x", "/start"), timestamp=old))[0] == 403
    query, _ = cb.env.url_check(timestamp=old)
    assert (await cb.client.get("/wechat", params=query)).status == 403
    assert cb.channel.handled == 0


MALFORMED_QUERY = [
    ("timestamp", "²"),  # superscript two: str.isdigit() is True, int() refuses it
    ("timestamp", "١٧٠٠٠٠٠٠٠٠"),  # Arabic-Indic digits, isdigit() too
    ("timestamp", "１２"),  # full-width digits
    ("timestamp", ""),
    ("timestamp", "-5"),
    ("timestamp", "1" * 40),
    ("timestamp", " 1700000000"),
    ("nonce", ""),
    ("nonce", "随机数"),
    ("nonce", "n" * 65),
]


@pytest.mark.parametrize(("name", "value"), MALFORMED_QUERY)
async def test_a_malformed_timestamp_or_nonce_is_a_bad_request(
    connect: Connect, app: App, fake: FakeWeChat, name: str, value: str
) -> None:
    cb = await connect(app, "plaintext")
    query = {"timestamp": str(int(cb.env.now())), "nonce": "4711"}
    query[name] = value
    # Signed over the malformed value as a sender with our token would: only its form is wrong.
    query["signature"] = wx.sign(wx.TOKEN, query["timestamp"], query["nonce"])
    status, _ = await cb.raw({**query, "openid": "o-x"}, wx.text("o-x", "/start"))
    assert status == 400
    response = await cb.client.get("/wechat", params={**query, "echostr": "echo-4711"})
    assert response.status == 400
    await cb.done()
    assert cb.channel.handled == 0 and fake.sent == []


async def test_a_callback_body_is_read_to_its_end_however_it_is_paced(
    connect: Connect, app: App, team: Team, fake: FakeWeChat, tmp_path: Path
) -> None:
    cb = await connect(app, "safe")
    await join(cb, app, team, "o-rep-eof")
    said = "陈总 13822223333 东方仪器有限公司 " + "要一份详细报价，" * 600
    query, body = cb.env.post(wx.text("o-rep-eof", said))
    data = body.encode()

    async def paced() -> AsyncIterator[bytes]:
        # Chunked transfer in small pieces with pauses: the server's reads find one piece at a time.
        for start in range(0, len(data), 1024):
            yield data[start : start + 1024]
            await asyncio.sleep(0.002)

    assert len(data) > 10 * 1024
    response = await cb.client.post("/wechat", params=query, data=paced())
    assert (response.status, await response.text()) == (200, "success")
    await cb.done()
    assert [c for c in interactions(tmp_path) if "东方仪器" in c] == [said.strip()]


@pytest.mark.parametrize("mode", ["plaintext", "safe"])
async def test_replayed_nonce_is_taken_once(
    connect: Connect, app: App, team: Team, fake: FakeWeChat, tmp_path: Path, mode: str
) -> None:
    cb = await connect(app, mode)
    await join(cb, app, team, "o-rep-3")
    query, body = cb.env.post(wx.text("o-rep-3", "王芳 13911112222 星辰科技有限公司 下周要方案"))
    assert await cb.raw(query, body) == (200, "success")
    # In plaintext mode the signature does not cover the body: a replay may carry anything.
    other = body.replace("王芳", "赵六") if mode == "plaintext" else body
    assert await cb.raw(query, other) == (200, "success")
    await cb.done()
    assert [c for c in interactions(tmp_path) if "星辰" in c] == [
        "王芳 13911112222 星辰科技有限公司 下周要方案"
    ]
    assert not any("赵六" in c for c in interactions(tmp_path))


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<xml><ToUserName>gh</ToUserName><FromUserName>o-x</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&lol3;</Content><MsgId>1</MsgId></xml>"""
EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<xml><ToUserName>gh</ToUserName><FromUserName>o-x</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&secret;</Content><MsgId>2</MsgId></xml>"""


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("not xml", "hello"),
        ("truncated", "<xml><FromUserName>o-x</FromUserName>"),
        ("other root", "<root><FromUserName>o-x</FromUserName></root>"),
        ("no sender", "<xml><MsgType>text</MsgType><CreateTime>1</CreateTime></xml>"),
        ("billion laughs", BILLION_LAUGHS),
        (
            "billion laughs as UTF-16",
            BILLION_LAUGHS.replace('version="1.0"', 'version="1.0" encoding="UTF-16"'),
        ),
        ("external entity", EXTERNAL_ENTITY),
        ("oversized", wx.text("o-x", "长" * 200_000)),
    ],
)
@pytest.mark.parametrize("mode", ["plaintext", "safe"])
async def test_bad_xml_is_refused_and_nothing_is_processed(
    connect: Connect, app: App, fake: FakeWeChat, mode: str, name: str, body: str
) -> None:
    cb = await connect(app, mode)
    raw = body.encode("utf-16") if "UTF-16" in body else body.encode()
    if mode == "safe" and name in ("billion laughs", "external entity"):
        # The dangerous XML inside a valid envelope: signed and encrypted by a sender with our keys.
        query, sealed = cb.env.post(body)
        status, _ = await cb.raw(query, sealed)
    else:
        query, _ = cb.env.post(wx.text("o-x", "x"))
        status, _ = await cb.raw(query, raw)
    assert status == 400, name
    await cb.done()
    assert cb.channel.handled == 0 and fake.sent == []


# --- once only ------------------------------------------------------------------------------------


async def test_a_retried_message_is_handled_once(
    connect: Connect, app: App, team: Team, fake: FakeWeChat, tmp_path: Path
) -> None:
    cb = await connect(app)
    await join(cb, app, team, "o-rep-4")
    xml = wx.text("o-rep-4", "周杰 13700001111 蓝天物流有限公司 需要报价", msg_id=777)
    for _ in range(3):  # WeChat's three retries, each freshly signed
        assert await cb.post(xml) == (200, "success")
    await cb.done()
    assert sum("蓝天物流" in c for c in interactions(tmp_path)) == 1
    assert sum("新线索" in t for t in fake.texts("o-rep-4")) == 1


async def test_a_retry_after_a_restart_is_handled_once(
    connect: Connect,
    sqlite_engine: AsyncEngine,
    clock: FakeClock,
    extractor: Extractor,
    team: Team,
    app: App,
    fake: FakeWeChat,
    tmp_path: Path,
) -> None:
    cb = await connect(app)
    await join(cb, app, team, "o-rep-5")
    xml = wx.text("o-rep-5", "钱七 13600002222 海风电子有限公司 要样品", msg_id=4242)
    await cb.post(xml)
    await cb.done()
    await cb.channel.close(5)
    # A new process on the same database file: empty in-memory caches, a new app.
    restarted = await connect(make_app(sqlite_engine, clock, extractor, tmp_path / "spool2"))
    assert await restarted.post(xml) == (200, "success")
    await restarted.done()
    assert restarted.channel.handled == 0  # recognised as taken before, at the callback already
    assert sum("海风电子" in c for c in interactions(tmp_path)) == 1
    assert sum("新线索" in t for t in fake.texts("o-rep-5")) == 1


# --- other message types --------------------------------------------------------------------------


async def test_unknown_types_are_acknowledged(
    connect: Connect, app: App, team: Team, fake: FakeWeChat
) -> None:
    cb = await connect(app)
    await join(cb, app, team, "o-rep-6")
    before = len(fake.sent)
    assert await cb.post(wx.message_xml("o-rep-6", "miniprogrampage", Title="x")) == (200, "success")
    assert await cb.post(wx.event("o-rep-6", "view_miniprogram")) == (200, "success")
    assert await cb.post(wx.event("o-rep-6", "some_future_event")) == (200, "success")
    await cb.done()
    assert len(fake.sent) == before + 1  # "unsupported" for the message; events are silent
    assert "暂不支持" in fake.texts("o-rep-6")[-1]


@pytest.mark.parametrize(("mode", "name"), [("safe", "subscribe"), ("wecom", "enter_agent")])
async def test_greeting_events(
    connect: Connect, app: App, team: Team, fake: FakeWeChat, mode: str, name: str
) -> None:
    cb = await connect(app, mode)
    first = int(cb.env.now())
    await cb.post(wx.event("u-new", name, created=first))
    await cb.done()
    assert "/start" in fake.texts("u-new")[-1] and "/link" in fake.texts("u-new")[-1]
    await join(cb, app, team, "u-new")
    # Events have no MsgId: sender + CreateTime + event is their key, so a later event is a new one.
    await cb.post(wx.event("u-new", name, created=first + 60))
    await cb.done()
    assert "欢迎回来" in fake.texts("u-new")[-1]


async def test_location_is_a_check_in_on_the_current_customer(
    connect: Connect, app: App, team: Team, fake: FakeWeChat, tmp_path: Path
) -> None:
    cb = await connect(app)
    await join(cb, app, team, "o-rep-7")
    await cb.post(wx.text("o-rep-7", "孙八 13500003333 远山机械有限公司 下周见面"))
    await cb.post(
        wx.message_xml(
            "o-rep-7",
            "location",
            Location_X="31.230416",
            Location_Y="121.473701",
            Scale="15",
            Label="上海市黄浦区人民广场",
        )
    )
    await cb.done()
    reply = fake.texts("o-rep-7")[-1]
    assert "已签到：远山机械有限公司" in reply and "人民广场" in reply
    with sqlite3.connect(tmp_path / "chatcrm.db") as conn:
        rows = conn.execute(
            "SELECT i.source, c.name FROM interactions i JOIN customers c ON c.id = i.customer_id "
            "WHERE i.source = 'location'"
        ).fetchall()
    assert rows == [("location", "远山机械有限公司")]


@pytest.fixture
def app_with_files(sqlite_engine: AsyncEngine, clock: FakeClock, extractor: Extractor, tmp_path: Path) -> App:
    """The app with a file store (voice notes are kept there) and no speech engine."""
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


async def test_media_that_cannot_be_fetched_is_reported(
    connect: Connect, app_with_files: App, fake: FakeWeChat
) -> None:
    cb = await connect(app_with_files)
    await cb.post(wx.text("o-boss", "/start"))
    await cb.post(wx.message_xml("o-boss", "voice", MediaId="expired-media", Format="amr"))
    await cb.done()
    assert fake.downloads == ["expired-media"]
    assert "没能从微信取到" in fake.texts("o-boss")[-1]
    await cb.post(wx.message_xml("o-boss", "file", MediaId="expired-file", Title="报价单.pdf"))
    await cb.done()
    assert fake.downloads[-1] == "expired-file"
    assert "没能从微信取到" in fake.texts("o-boss")[-1]


async def test_a_voice_note_is_fetched_and_kept(
    connect: Connect, app_with_files: App, fake: FakeWeChat, tmp_path: Path
) -> None:
    cb = await connect(app_with_files)
    await cb.post(wx.text("o-boss", "/start"))
    fake.media["m-voice"] = (speak_amr("明天上午十点我们再开会。", tmp_path), "audio/amr")
    await cb.post(wx.message_xml("o-boss", "voice", MediaId="m-voice", Format="amr", Recognition="明天开会"))
    await cb.done()
    assert fake.downloads == ["m-voice"]
    stored = list((tmp_path / "files").rglob("*.amr"))
    assert len(stored) == 1 and stored[0].read_bytes() == fake.media["m-voice"][0]
    with sqlite3.connect(tmp_path / "chatcrm.db") as conn:
        assert conn.execute("SELECT source FROM interactions").fetchall() == [("voice",)]


async def test_photos_and_files_go_to_the_apps_file_routes(
    connect: Connect, app_with_files: App, fake: FakeWeChat
) -> None:
    cb = await connect(app_with_files)
    await cb.post(wx.text("o-boss", "/start"))
    await cb.post(wx.text("o-boss", "孙八 13500003333 远山机械有限公司 下周见面"))
    await cb.done()
    fake.media["m-file"] = (
        b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
        "application/pdf",
    )
    await cb.post(wx.message_xml("o-boss", "file", MediaId="m-file", Title="需求确认书.pdf"))
    await cb.post(wx.message_xml("o-boss", "image", MediaId="m-image", PicUrl="http://127.0.0.1/x"))
    await cb.done()
    offer, photo = fake.texts("o-boss")[-2:]
    # The PDF is deal evidence for the customer just captured, confirmed by a number.
    assert "需求确认书.pdf" in offer and "远山机械有限公司" in offer and "1. ✅" in offer
    assert "名片" in photo  # a photo without a deal goes on to the business-card route
    assert fake.downloads[0] == "m-file"


# --- the member's language -----------------------------------------------------------------------


async def test_a_member_speaks_the_language_of_their_first_clear_message(
    connect: Connect, app: App, team: Team, fake: FakeWeChat
) -> None:
    cb = await connect(app)
    await join(cb, app, team, "o-rep-en")  # "/start CODE": no language in it, nor in the callback
    assert "欢迎" in fake.texts("o-rep-en")[-1]
    for said in ("👍", "OK"):  # nothing to tell the language by: still undecided
        await cb.post(wx.text("o-rep-en", said))
        await cb.done()
    await cb.post(wx.text("o-rep-en", "Wang Fang +86 139 1111 2222 Acme Ltd wants a demo"))
    await cb.done()
    assert "New lead saved" in fake.texts("o-rep-en")[-1]
    # Settled by the first clear message: a Chinese one later does not switch back.
    await cb.post(wx.text("o-rep-en", "李雷 13912345678 蓝海科技有限公司 想了解报价"))
    await cb.done()
    assert "New lead saved" in fake.texts("o-rep-en")[-1]
    member = await app.identify(wx_newcomer("o-rep-en", "safe"))
    assert member is not None and member.lang is Lang.EN and not member.lang_auto


async def test_a_language_chosen_with_lang_stays_whatever_the_member_writes(
    connect: Connect, app: App, team: Team, fake: FakeWeChat
) -> None:
    cb = await connect(app)
    await join(cb, app, team, "o-rep-zh")
    await cb.post(wx.text("o-rep-zh", "/lang zh"))
    await cb.post(wx.text("o-rep-zh", "Wang Fang +86 139 1111 2222 Acme Ltd wants a demo"))
    await cb.done()
    assert "新线索已保存" in fake.texts("o-rep-zh")[-1]
    member = await app.identify(wx_newcomer("o-rep-zh", "safe"))
    assert member is not None and member.lang is Lang.ZH and not member.lang_auto


# --- one member on two channels -------------------------------------------------------------------


async def test_link_a_telegram_member_to_wechat(
    connect: Connect, app: App, team: Team, fake: FakeWeChat
) -> None:
    await app.capture.chat(team.rep, [_msg("吴九 13400004444 金桥贸易有限公司 想要报价")])
    reply = await app.command(team.rep, "link", "")
    code = reply.text.split("：", 1)[1].split("（", 1)[0].strip()
    cb = await connect(app)
    await cb.post(wx.text("o-rep-9", f"/link {code.lower()}"))
    await cb.done()
    assert "已关联" in fake.texts("o-rep-9")[-1]
    await cb.post(wx.text("o-rep-9", "/find 金桥"))
    await cb.done()
    assert "金桥贸易有限公司" in fake.texts("o-rep-9")[-1]  # the same customers on both channels
    identities = await app.members.identities(team.rep.id)
    assert {i.channel for i in identities} == {Channel.TELEGRAM, Channel.WECHAT}
    # a code works once
    await cb.post(wx.text("o-other", f"/link {code}"))
    await cb.done()
    assert "无效" in fake.texts("o-other")[-1]


def _msg(text: str) -> Any:

    return ChatMessage(text=text)
