"""/link on Telegram: a member who started on WeChat links their Telegram account with a code, and a
stranger's code from nobody is refused. Through Dispatcher.feed_update with a recording session."""

from __future__ import annotations

from bot.telegram import make_dispatcher
from chat.app import App
from crm.inputs import Newcomer
from crm.model import Channel
from tests.support.telegram import make_bot, text_update, user


async def test_a_wechat_member_links_telegram(app: App) -> None:
    founded = await app.members.start(Newcomer(Channel.WECHAT, "o-boss", "o-boss", ""), None)
    assert founded.member is not None
    code_reply = await app.command(founded.member, "link", "")
    code = code_reply.text.split("：", 1)[1].split("（", 1)[0].strip()

    dp, _ = make_dispatcher(app, burst_seconds=0.05)
    bot, session = make_bot()
    boss_on_telegram = user(500, "Boss")
    await dp.feed_update(bot, text_update(boss_on_telegram, "/link WRONG123"))
    assert "关联码无效" in session.texts()[-1]
    await dp.feed_update(bot, text_update(boss_on_telegram, f"/link {code}"))
    assert "已关联" in session.texts()[-1]
    await dp.feed_update(bot, text_update(boss_on_telegram, "/link"))  # now a member: a new code
    assert "关联码：" in session.texts()[-1]
    member = await app.members.identify(Channel.TELEGRAM, "500")
    assert member is not None and member.id == founded.member.id
