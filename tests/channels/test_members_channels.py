"""Taking access away, as operators and former members meet it: the admin's /members and /invites on
Telegram (inline buttons), a deactivated rep on Telegram (messages, buttons on old messages, /start
with a new invite) and on WeChat (text, a number from an old menu, a photo), and what the assistant
sends on its own (reminders claimed before the deactivation, the digest) going to nobody who left."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from aiogram import Bot, Dispatcher
from aiogram.types import InlineKeyboardMarkup, Update
from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.telegram import make_dispatcher
from chat.app import App
from chat.delivery import ChannelNotifier, deliver
from chat.views import Reply
from crm.inputs import ChatMessage, Newcomer
from crm.model import Channel, Role
from crm.roster import Operator
from handlers.telegram.callbacks import ButtonCB
from handlers.telegram.notify import TelegramNotifier
from handlers.wechat.inbound import Inbound
from handlers.wechat.messages import WeChatHandler
from handlers.wechat.ports import Media
from reminders.digest import DigestJob
from reminders.scheduler import ReminderScheduler
from storage import tables as t
from tests.conftest import FakeClock, Team
from tests.support.telegram import RecordingSession, callback_update, make_bot, text_update, user

ADMIN = user(100, "Boss")
MANAGER = user(150, "经理")
REP = user(200, "小李")
CUSTOMER = user(900, "张伟")


@dataclass
class Tg:
    dp: Dispatcher
    bot: Bot
    session: RecordingSession

    async def feed(self, update: Update) -> None:
        await self.dp.feed_update(self.bot, update)

    def last_text(self) -> str:
        return self.session.texts()[-1]

    def buttons(self) -> list[tuple[str, ButtonCB]]:
        markup = self.session.sent()[-1].reply_markup
        assert isinstance(markup, InlineKeyboardMarkup)
        return [
            (b.text, ButtonCB.unpack(b.callback_data or "")) for row in markup.inline_keyboard for b in row
        ]

    async def press(self, sender: object, label_part: str) -> None:
        found = [cb for text, cb in self.buttons() if label_part in text]
        assert found, (label_part, [text for text, _ in self.buttons()])
        await self.feed(callback_update(sender, found[0].pack()))  # type: ignore[arg-type]


@pytest.fixture
def tg(app: App) -> Tg:
    dp, _ = make_dispatcher(app, burst_seconds=0.05)
    bot, session = make_bot()
    return Tg(dp, bot, session)


async def count(engine: AsyncEngine, table: Table) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


async def join(tg: Tg) -> None:
    await tg.feed(text_update(ADMIN, "/start"))
    for who, role in ((MANAGER, "manager"), (REP, "rep")):
        await tg.feed(text_update(ADMIN, f"/invite {role}"))
        await tg.feed(text_update(who, f"/start {tg.last_text().rsplit('=', 1)[1]}"))
        assert "欢迎加入团队" in tg.last_text()


async def test_the_admin_deactivates_a_rep_in_chat_and_the_rep_is_out_everywhere(
    tg: Tg, app: App, sqlite_engine: AsyncEngine
) -> None:
    await join(tg)
    await tg.feed(
        text_update(
            REP, "你好，我是华为技术有限公司的采购经理张伟，电话 138 1234 5678", forward_from=CUSTOMER
        )
    )
    lead_buttons = tg.buttons()  # the lead card the rep keeps in their chat
    confirm = next(cb for text, cb in lead_buttons if cb.act == "ok")

    await tg.feed(text_update(ADMIN, "/members"))
    roster = tg.last_text()
    assert "团队成员（3）" in roster and "小李 · 销售" in roster and "1 个客户" in roster
    await tg.press(ADMIN, "小李")
    assert "👤 小李 · 销售" in tg.last_text()
    await tg.press(ADMIN, "停用")
    assert "停用 小李？" in tg.last_text()
    assert [text for text, _ in tg.buttons()] == ["交给 经理（默认）", "交给 Boss", "取消"]
    await tg.press(ADMIN, "经理")
    assert (
        "已停用 小李" in tg.last_text() and "已转交给 经理：1 个客户、1 个联系人、1 个商机" in tg.last_text()
    )

    before = await count(sqlite_engine, t.interactions)
    tg.session.clear()
    await tg.feed(text_update(REP, "李雷 13912345678 要一份报价"))
    assert "邀请链接" in tg.last_text()  # a stranger's answer; nothing captured
    await tg.feed(callback_update(REP, confirm.pack()))  # a button on an old message
    (refused,) = tg.session.answered_callbacks()
    assert refused.show_alert and "不在任何团队" in (refused.text or "")
    await tg.feed(text_update(REP, "/find 华为"))
    assert "华为" not in tg.last_text()
    assert await count(sqlite_engine, t.interactions) == before
    async with sqlite_engine.connect() as conn:
        confirmed = (await conn.execute(select(t.customers.c.confirmed))).scalar_one()
    assert confirmed is False  # the old button changed nothing

    # /start, alone or with a fresh invite, says access was removed and stores nothing.
    await tg.feed(text_update(ADMIN, "/invite rep"))
    code = tg.last_text().rsplit("=", 1)[1]
    await tg.feed(text_update(REP, f"/start {code}"))
    assert "访问权限已被停用" in tg.last_text()
    assert await count(sqlite_engine, t.members) == 3 and await count(sqlite_engine, t.identities) == 3

    # The admin gives access back from the member's card.
    await tg.feed(text_update(ADMIN, "/members"))
    assert "小李 · 销售（已停用）" in tg.last_text()
    await tg.press(ADMIN, "小李")
    await tg.press(ADMIN, "重新启用")
    assert "已重新启用 小李" in tg.last_text()
    await tg.feed(text_update(REP, "/help"))
    assert "/find" in tg.last_text()


async def test_roles_and_invites_by_button(tg: Tg, app: App) -> None:
    await join(tg)
    await tg.feed(text_update(ADMIN, "/members"))
    await tg.press(ADMIN, "经理")
    assert [text for text, _ in tg.buttons()][:3] == ["停用", "设为销售", "设为管理员"]
    await tg.press(ADMIN, "设为管理员")
    assert tg.last_text() == "经理 现在是管理员。"

    # A manager sees only reps' invites and may open only reps.
    await tg.feed(text_update(ADMIN, "/invite rep"))
    await tg.feed(text_update(ADMIN, "/invites"))
    assert "未使用的邀请（1）" in tg.last_text()
    code = tg.last_text().splitlines()[1].split(" · ")[0].split(". ", 1)[1]
    await tg.press(ADMIN, "撤销")
    assert tg.last_text() == f"已撤销邀请 {code}：任何人都不能再用它加入。"
    await tg.feed(text_update(user(300, "新人"), f"/start {code}"))
    assert tg.last_text().startswith("邀请链接无效")
    await tg.feed(text_update(ADMIN, "/invites"))
    assert tg.last_text() == "没有未使用的邀请。"

    # A rep who presses a forged admin button gets a refusal, not the roster.
    await tg.feed(callback_update(REP, ButtonCB(act="mx", target=1, arg="").pack()))
    assert tg.last_text() == "只有管理员和经理可以管理团队成员。"


async def test_a_manager_cannot_take_the_admin_out(tg: Tg, app: App) -> None:
    await join(tg)
    await tg.feed(text_update(MANAGER, "/members"))
    labels = [text for text, _ in tg.buttons()]
    assert labels == ["3. 小李"]  # only reps can be opened by a manager
    await tg.feed(text_update(MANAGER, "/members 李"))  # a large team narrows the list by name
    assert tg.last_text().splitlines()[:2] == ["团队成员（1）：", "3. 小李 · 销售"]
    admin = await app.members.identify(Channel.TELEGRAM, str(ADMIN.id))
    assert admin is not None
    await tg.feed(callback_update(MANAGER, ButtonCB(act="mx", target=admin.id, arg="").pack()))
    assert tg.last_text().startswith("经理只能管理本团队的销售")
    assert await app.members.identify(Channel.TELEGRAM, str(ADMIN.id)) is not None


class RecordingWeChat:
    """handlers.wechat.ports.WeChatApi that keeps what would have been sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.downloads: list[str] = []

    async def send_text(self, user: str, text: str) -> None:
        self.sent.append((user, text))

    async def send_image(self, user: str, data: bytes, filename: str, mime: str) -> None:
        self.sent.append((user, f"[image {filename}]"))

    @property
    def sends_files(self) -> bool:
        return True

    async def send_file(self, user: str, data: bytes, filename: str, mime: str) -> None:
        self.sent.append((user, f"[file {filename}]"))

    async def download(self, media_id: str, max_bytes: int) -> Media:
        self.downloads.append(media_id)
        return Media(b"\x89PNG\r\n\x1a\n", "image/png")


def wechat(kind: str, sender: str, **fields: str) -> Inbound:
    return Inbound(Channel.WECHAT, kind, sender, created=1_700_000_000, msg_id=str(len(fields)), **fields)  # type: ignore[arg-type]


async def test_a_deactivated_member_on_wechat_gets_nothing(
    app: App, team: Team, sqlite_engine: AsyncEngine
) -> None:
    api = RecordingWeChat()
    handler = WeChatHandler(app, api, max_file_bytes=1_000_000)
    link = await app.links.issue(team.rep)
    await handler.handle(wechat("text", "o-rep", text=f"/link {link.code}"))
    await handler.handle(wechat("text", "o-rep", text="华为技术有限公司 张伟 13812345678 想要报价"))
    assert "新线索" in api.sent[-1][1] and "1." in api.sent[-1][1]  # a numbered menu to pick from

    await app.roster.deactivate(Operator.of(team.admin), team.rep.id)
    before = await count(sqlite_engine, t.interactions)
    api.sent.clear()
    await handler.handle(wechat("text", "o-rep", text="1"))  # a number from the old menu
    await handler.handle(wechat("text", "o-rep", text="李雷 13912345678 要报价"))
    await handler.handle(wechat("image", "o-rep", media_id="m1"))
    await handler.handle(wechat("text", "o-rep", text="/start"))
    assert await count(sqlite_engine, t.interactions) == before
    assert api.downloads == []  # the photo was not even fetched
    assert all("新线索" not in text for _, text in api.sent)
    assert "访问权限已被停用" in api.sent[-1][1]


async def test_nothing_the_assistant_sends_reaches_a_member_who_left(
    tg: Tg, app: App, clock: FakeClock
) -> None:
    await join(tg)
    rep = await app.members.identify(Channel.TELEGRAM, str(REP.id))
    manager = await app.members.identify(Channel.TELEGRAM, str(MANAGER.id))
    assert rep is not None and manager is not None
    await app.capture.chat(rep, [ChatMessage("华为技术有限公司 张伟 13812345678 预算50万", key="k1")])
    await app.text(rep, "提醒我明天上午十点给张伟回电话")
    await app.text(rep, "提醒我明天上午十一点发报价")
    notifier = ChannelNotifier(reachable=app.members.is_active)
    notifier.register(Channel.TELEGRAM, TelegramNotifier(tg.bot))
    clock.advance(days=1, hours=1)  # Tuesday 11:00 in Shanghai: both are due

    # A reminder claimed for delivery a moment before the rep was deactivated goes nowhere...
    (claimed, second) = await app.reminders.claim(clock.now(), timedelta(seconds=120), 10)
    await app.roster.deactivate(Operator.of(manager), rep.id)
    tg.session.clear()
    sent = await deliver(notifier, claimed.identities, Reply(claimed.reminder.text), what="reminder")
    assert sent is None and tg.session.sent() == []

    # ...and once the lease runs out, the scheduler delivers both reminders to the manager who took over.
    clock.advance(minutes=5)
    assert await ReminderScheduler(app.reminders, notifier, clock).tick() == 2
    assert {m.chat_id for m in tg.session.sent()} == {MANAGER.id}
    assert second.reminder.id != claimed.reminder.id

    # The morning digest goes to the admin, not to the manager who left meanwhile.
    admin = await app.members.identify(Channel.TELEGRAM, str(ADMIN.id))
    assert admin is not None
    await app.roster.deactivate(Operator.of(admin), manager.id)
    tg.session.clear()
    digests = DigestJob(app.digests, app.members, notifier, app.features.charts, clock)
    assert await digests.run_due(clock.now()) == 1
    assert {m.chat_id for m in tg.session.sent() if m.chat_id != ADMIN.id} == set()
    assert any(m.chat_id == ADMIN.id for m in tg.session.requests if hasattr(m, "chat_id"))


async def test_the_notifier_refuses_a_deactivated_member(app: App, team: Team) -> None:
    class Sink:
        def __init__(self) -> None:
            self.sent: list[str] = []

        async def send(self, identity: object, reply: Reply) -> None:
            self.sent.append(reply.text)

    sink = Sink()
    notifier = ChannelNotifier(reachable=app.members.is_active)
    notifier.register(Channel.TELEGRAM, sink)
    (identity,) = await app.members.identities(team.rep.id)
    await notifier.send(identity, Reply("before"))
    await app.roster.deactivate(Operator.of(team.admin), team.rep.id)
    assert await deliver(notifier, [identity], Reply("after"), what="ping") is None
    assert sink.sent == ["before"]
    assert await app.members.start(Newcomer(Channel.TELEGRAM, "3", "3", "小李"), None)


def test_roles_are_shown_in_both_languages() -> None:
    from chat.members.view import role_name
    from crm.model import Lang

    assert [role_name(Lang.ZH, r) for r in Role] == ["销售", "经理", "管理员"]
    assert [role_name(Lang.EN, r) for r in Role] == ["rep", "manager", "admin"]
