"""Deals on Telegram, through Dispatcher.feed_update with a recording session that also
serves file downloads: a deal from ① to won entirely from chat with real PDF, DOCX, XLSX and screenshot
evidence, gate refusals, a manager's override, a lost deal, and bad input."""

from __future__ import annotations

import itertools
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from aiogram.methods import GetFile, SendMessage, SendPhoto, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import Chat, Document, File, InlineKeyboardMarkup, Message, PhotoSize, Update, User
from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.telegram import make_dispatcher
from chat.app import App
from crm.model import Role
from nlu.extractor import Extractor
from storage import tables as t
from tests.conftest import FakeClock
from tests.support.deals import RecordingNotifier, docx, make_deals_app, pdf, png, xlsx
from tests.support.telegram import DATE, RecordingSession, callback_update, text_update, user

ADMIN = user(100, "Boss")
MANAGER = user(150, "经理")
REP = user(200, "小李")
REP2 = user(250, "小王")
CUSTOMER = user(900, "张伟")
CHAT = "你好，我是华为技术有限公司的采购经理张伟，电话 138 1234 5678。预算大概50万，希望明年3月上线"

_ids = itertools.count(10_000)


class FileSession(RecordingSession):
    """Also answers getFile and serves the file's bytes, like the Bot API's file endpoint."""

    def __init__(self) -> None:
        super().__init__()
        self.files: dict[str, bytes] = {}

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        if isinstance(method, GetFile):
            self.requests.append(method)
            path = f"docs/{method.file_id}"
            return File(file_id=method.file_id, file_unique_id=method.file_id, file_path=path)  # type: ignore[return-value]
        return await super().make_request(bot, method, timeout)

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        yield self.files[url.rsplit("/", 1)[-1]]


@dataclass
class Tg:
    dp: Dispatcher
    bot: Bot
    session: FileSession

    async def feed(self, update: Update) -> None:
        await self.dp.feed_update(self.bot, update)

    def texts(self) -> list[str]:
        return self.session.texts()

    def last(self) -> SendMessage:
        return self.session.sent()[-1]

    def last_text(self) -> str:
        return self.last().text

    def buttons(self) -> dict[str, str]:
        """Label -> callback data of the last message's keyboard."""
        markup = self.last().reply_markup
        assert isinstance(markup, InlineKeyboardMarkup)
        return {b.text: b.callback_data or "" for row in markup.inline_keyboard for b in row}

    async def press(self, sender: User, label_part: str) -> None:
        matches = [data for label, data in self.buttons().items() if label_part in label]
        assert matches, f"no button with {label_part!r} in {list(self.buttons())}"
        await self.feed(callback_update(sender, matches[0]))

    async def say(self, sender: User, text: str, *, reply_to: str | None = None) -> str:
        await self.feed(message_update(sender, text=text, reply_to=reply_to))
        return self.last_text()

    async def send_file(
        self,
        sender: User,
        data: bytes,
        name: str | None,
        *,
        caption: str | None = None,
        reply_to: str | None = None,
        photo: bool = False,
        size: int | None = None,
    ) -> str:
        file_id = f"f{next(_ids)}"
        self.session.files[file_id] = data
        await self.feed(
            message_update(
                sender,
                caption=caption,
                reply_to=reply_to,
                file=(file_id, name, len(data) if size is None else size, photo),
            )
        )
        return self.last_text()


def message_update(
    sender: User,
    *,
    text: str | None = None,
    caption: str | None = None,
    reply_to: str | None = None,
    file: tuple[str, str | None, int, bool] | None = None,
) -> Update:
    replied = None
    if reply_to is not None:
        replied = Message(
            message_id=next(_ids), date=DATE, chat=Chat(id=sender.id, type="private"), text=reply_to
        )
    document = photo = None
    if file is not None:
        file_id, name, size, is_photo = file
        if is_photo:
            photo = [
                PhotoSize(file_id=file_id, file_unique_id=file_id, width=800, height=600, file_size=size)
            ]
        else:
            mime = {"pdf": "application/pdf", "png": "image/png"}.get((name or "").rsplit(".", 1)[-1])
            document = Document(
                file_id=file_id, file_unique_id=file_id, file_name=name, mime_type=mime, file_size=size
            )
    message = Message(
        message_id=next(_ids),
        date=DATE,
        chat=Chat(id=sender.id, type="private"),
        from_user=sender,
        text=text,
        caption=caption,
        reply_to_message=replied,
        document=document,
        photo=photo,
    )
    return Update(update_id=next(_ids), message=message)


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture
def app(
    sqlite_engine: AsyncEngine,
    clock: FakeClock,
    extractor: Extractor,
    tmp_path: Path,
    notifier: RecordingNotifier,
) -> App:
    return make_deals_app(sqlite_engine, clock, extractor, tmp_path, notifier=notifier)


@pytest.fixture
async def tg(app: App) -> Tg:
    dp, _ = make_dispatcher(app, burst_seconds=0.05)
    session = FileSession()
    tg = Tg(dp, Bot("42:TEST-TOKEN", session=session), session)
    await tg.feed(text_update(ADMIN, "/start"))
    for who, role in ((MANAGER, Role.MANAGER), (REP, Role.REP), (REP2, Role.REP)):
        admin = await app.identify(_newcomer(ADMIN))
        assert admin is not None
        invite = await app.members.invite(admin, role)
        await tg.feed(text_update(who, f"/start {invite.code}"))
    session.clear()
    return tg


def _newcomer(who: User) -> Any:
    from handlers.telegram.common import newcomer

    return newcomer(who, None)


async def count(engine: AsyncEngine, table: Table) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


async def new_deal(tg: Tg) -> str:
    """The rep forwards the customer's chat; returns the deal card's text (it carries #D1)."""
    await tg.feed(text_update(REP, CHAT, forward_from=CUSTOMER))
    assert "新线索" in tg.texts()[-1]
    card = await tg.say(REP, "/deal 华为")
    assert card.startswith("📁 #D1 华为技术有限公司")
    return card


async def test_a_rep_takes_a_deal_from_lead_to_won_entirely_from_chat(
    tg: Tg, sqlite_engine: AsyncEngine
) -> None:
    card = await new_deal(tg)
    assert "阶段：① 线索激活 · 已 0 天" in card
    assert "✅ 预算（50万）" in card and "✅ 时间计划" in card
    assert "▶ 推进到 ② 需求锁定" in tg.buttons()

    assert "✅ #D1 已推进：① 线索激活 → ② 需求锁定" in await tg.say(REP, "推进到需求锁定")

    refusal = await tg.say(REP, "推进到方案匹配")
    assert refusal.splitlines() == [
        "⛔ #D1 华为技术有限公司 不能推进到「③ 方案匹配」，还缺 1 项：",
        "1. 客户签字的需求确认书 — 把文件或截图发给我，说明写「#D1 需求确认」，或回复本消息发送",
    ]
    assert "⚠️ 强制推进" not in tg.buttons()  # reps cannot override

    # ② -> ③: the signed confirmation as a PDF, sent in reply to the refusal.
    offer = await tg.send_file(REP, pdf("需求确认书", "甲方签字：张伟"), "scan_0012.pdf", reply_to=refusal)
    assert "📎 收到「scan_0012.pdf」（PDF" in offer and "商机：#D1 华为技术有限公司" in offer
    assert "这是「客户签字的需求确认书」吗？" in offer
    await tg.press(REP, "✅ 是：客户签字的需求确认书")
    assert "✅ 已记为 #D1 的「客户签字的需求确认书」" in tg.last_text()
    assert "🎯 证据已齐，可以推进到「③ 方案匹配」了。" in tg.last_text()
    await tg.press(REP, "▶ 推进到 ③ 方案匹配")
    assert "② 需求锁定 → ③ 方案匹配" in tg.last_text()

    # ③ -> ④: our proposal (DOCX) and the customer's confirmation (a screenshot naming the deal).
    offer = await tg.send_file(REP, docx("解决方案", "客户痛点与功能对照表"), "华为_v2.docx", caption="#D1")
    assert "这是「对应客户痛点的方案」吗？" in offer
    await tg.press(REP, "✅ 是")
    offer = await tg.send_file(REP, png(), None, caption="华为 方案确认 微信截图", photo=True)
    assert "这是「客户对方案的确认」吗？" in offer
    await tg.press(REP, "✅ 是")
    assert "✅ #D1 已推进：③ 方案匹配 → ④ 决策链穿透" in await tg.say(REP, "推进到决策链穿透")

    # ④ -> ⑤: the decision chain, said in chat and set with a button.
    refusal = await tg.say(REP, "推进到临门一脚")
    assert refusal.splitlines()[0] == "⛔ #D1 华为技术有限公司 不能推进到「⑤ 临门一脚」，还缺 3 项："
    assert refusal.splitlines()[2].startswith("2. 技术负责人 — 回复本消息说明谁是技术")
    assert "👥 已添加联系人 李工，角色：技术" in await tg.say(REP, "李工是技术负责人")
    assert "👥 已添加联系人 王总，角色：财务" in await tg.say(REP, "王总是财务负责人", reply_to=refusal)
    await tg.press(REP, "👥 决策链")
    await tg.press(REP, "张伟")
    await tg.press(REP, "采购")
    assert "👥 张伟 的角色：采购" in tg.last_text()
    assert "决策链 3/3" in tg.last_text()
    assert "④ 决策链穿透 → ⑤ 临门一脚" in await tg.say(REP, "推进到临门一脚")

    # ⑤ -> won: the contract draft (XLSX) and the rep's word that there are no objections.
    offer = await tg.send_file(
        REP, xlsx(("条款", "内容"), ("合同金额", 500000), title="合同草稿"), "报价.xlsx", caption="#D1"
    )
    assert "这是「已发送的合同草稿」吗？" in offer
    await tg.press(REP, "✅ 是")
    refusal = await tg.say(REP, "推进到赢单")
    assert "1. 客户无实质性异议" in refusal
    await tg.press(REP, "✅ 确认：客户无实质性异议")
    assert "🎯 证据已齐，可以推进到「🏆 赢单」了。" in tg.last_text()
    assert "🏆 #D1 赢单！恭喜！" in await tg.say(REP, "推进到赢单")

    assert "#D1 已赢单，不能再推进或修改阶段。" in await tg.say(REP, "#D1 推进到方案匹配")
    assert "还没有进行中的商机" in await tg.say(REP, "推进到方案匹配")
    async with sqlite_engine.connect() as conn:
        deal = (await conn.execute(select(t.deals))).mappings().one()
        changes = (await conn.execute(select(t.deal_stage_changes.c.to_stage))).scalars().all()
        evidence = (await conn.execute(select(t.deal_evidence.c.requirement, t.deal_evidence.c.kind))).all()
    assert deal["status"] == "won" and deal["closed_at"] is not None
    assert changes == ["requirements", "solution", "decision_chain", "closing", "won"]
    assert sorted(evidence) == sorted(
        [
            ("requirement_confirmation", "file"),
            ("proposal", "file"),
            ("solution_confirmation", "file"),
            ("contract_draft", "file"),
            ("no_objections", "declaration"),
        ]
    )
    assert await count(sqlite_engine, t.files) == 4


async def test_a_manager_overrides_a_gate_with_a_reason(tg: Tg, sqlite_engine: AsyncEngine) -> None:
    await new_deal(tg)
    await tg.say(REP, "推进到需求锁定")
    refusal = await tg.say(MANAGER, "#D1 推进到方案匹配")
    assert "经理可以点「强制推进」并写明原因" in refusal
    await tg.press(MANAGER, "⚠️ 强制推进")
    assert "请写明强制推进 #D1 的原因" in tg.last_text()
    done = await tg.say(MANAGER, "客户已口头确认，签字版下周补")
    assert "② 需求锁定 → ③ 方案匹配" in done and "经理强制推进，缺少：客户签字的需求确认书" in done
    async with sqlite_engine.connect() as conn:
        audit = (
            (await conn.execute(select(t.audit).where(t.audit.c.action == "deal.override"))).mappings().one()
        )
    assert audit["detail"]["reason"] == "客户已口头确认，签字版下周补"


async def test_a_deal_is_lost_with_a_reason(tg: Tg, sqlite_engine: AsyncEngine) -> None:
    card = await new_deal(tg)
    await tg.press(REP, "✖ 丢单")
    assert "#D1 丢单的原因是什么？" in tg.last_text()
    lost = await tg.say(REP, "预算被砍，项目取消")
    assert "✖ #D1 已记为丢单。" in lost and "✖ 已丢单：预算被砍，项目取消" in lost
    assert "#D1 已丢单" in await tg.say(REP, "推进到需求锁定", reply_to=card)


async def test_bad_input_gets_a_clear_answer_and_writes_nothing(tg: Tg, sqlite_engine: AsyncEngine) -> None:
    card = await new_deal(tg)
    reply = await tg.send_file(REP, b"MZ\x90\x00" + b"\x00" * 100, "setup.exe", caption="#D1 合同")
    assert (
        "「setup.exe」这种文件我不能作为证据保存。支持：PDF, Word, Excel, JPEG, PNG, WebP, E-mail, Text"
        in reply
    )
    downloads = len([r for r in tg.session.requests if isinstance(r, GetFile)])
    reply = await tg.send_file(REP, pdf("合同"), "合同.pdf", caption="#D1", size=25 * 1024 * 1024)
    assert "文件太大（25.0 MB），上限是 20 MB" in reply
    assert len([r for r in tg.session.requests if isinstance(r, GetFile)]) == downloads  # never downloaded
    reply = await tg.send_file(REP2, pdf("合同"), "合同.pdf", caption="#D1 合同草稿")
    assert "找不到商机 #D1，或你无权查看。" in reply
    reply = await tg.send_file(REP, png(), None, photo=True, caption="看看")
    assert "#D1" not in reply  # a plain photo is not claimed as evidence
    assert await count(sqlite_engine, t.deal_evidence) == 0

    # A stage file with errors from the admin: every problem listed, nothing changed.
    bad = b'stall_days = 0\n[[stage]]\nkey = "intro"\nzh = "x"\nen = "X"\nrequires = ["nda"]\n'
    reply = await tg.send_file(ADMIN, bad, "stages.toml", caption="/stages")
    assert reply.splitlines()[0] == "❌ 阶段配置有 3 个问题，什么都没有修改："
    assert "第一个阶段的 key 必须是「lead」" in reply and "「nda」没有定义" in reply
    reply = await tg.send_file(REP, bad, "stages.toml", caption="/stages")
    assert "只有管理员可以修改销售阶段" in reply
    assert "① 线索激活 (lead)：预算、时间计划" in await tg.say(ADMIN, "/stages")

    # A forwarded customer chat is a capture even when it reads like a command.
    interactions = await count(sqlite_engine, t.interactions)
    await tg.feed(text_update(REP, "方案我们内部看过了，推进到方案匹配吧", forward_from=CUSTOMER))
    assert "已推进" not in tg.texts()[-1] and "不能推进" not in tg.texts()[-1]
    assert await count(sqlite_engine, t.interactions) == interactions + 1
    async with sqlite_engine.connect() as conn:
        assert (await conn.execute(select(t.deals.c.stage).where(t.deals.c.id == 1))).scalar_one() == "lead"
    assert card.startswith("📁 #D1")


async def test_the_pipeline_and_the_digest_in_chat(tg: Tg, app: App) -> None:
    await new_deal(tg)
    await tg.say(MANAGER, "/pipeline")
    photos = [r for r in tg.session.requests if isinstance(r, SendPhoto)]
    assert len(photos) == 1
    assert "📊 销售漏斗（团队）" in tg.last_text() and "① 线索激活  1" in tg.last_text()
    digest = await tg.say(MANAGER, "/digest")
    assert "☀️ 销售早报" in digest and "🎯 最接近成交" in digest
    assert any("📂 #D1" in label for label in tg.buttons())
    assert "今天没有待跟进的事项" in await tg.say(REP2, "/digest")
    deals = await tg.say(REP, "/deals")
    assert "📋 进行中的商机（1）" in deals and "#D1 华为技术有限公司 · ① 线索激活" in deals
