"""/find answers with the person searched for next to their customer, and finds people who have no
customer yet; what a member may not see stays out (real SQLite file)."""

from __future__ import annotations

from chat.app import App
from crm.inputs import ChatMessage
from tests.conftest import Team

HANHAI = [
    ChatMessage(
        "您好，我是上海瀚海智能科技有限公司的采购经理李明，电话 139 1234 5678", sender="李明", key="a:1"
    ),
    ChatMessage("我们想了解一下你们的CRM，预算20万左右", sender="李明", key="a:2"),
]


async def test_find_a_person_shows_them_next_to_their_customer(app: App, team: Team) -> None:
    await app.capture.chat(team.rep, HANHAI)
    await app.capture.chat(
        team.rep, [ChatMessage("上海瀚海智能科技有限公司 王芳 13600001111 财务", key="b:1")]
    )

    by_person = await app.command(team.rep, "find", "李明")
    lines = by_person.text.splitlines()
    assert lines[0] == "找到 1 个客户："
    assert lines[1].startswith("• 上海瀚海智能科技有限公司")
    assert "李明" in lines[1] and "采购经理" in lines[1] and "+86 139 1234 5678" in lines[1]
    assert "王芳" not in by_person.text  # only the person who matched
    (button,) = by_person.all_buttons()
    assert button.label == "上海瀚海智能科技有限公司"

    by_phone = await app.command(team.rep, "find", "13600001111")
    assert "王芳" in by_phone.text and "李明" not in by_phone.text

    # Searching the company lists the customer alone: no person matched.
    by_company = await app.command(team.rep, "find", "瀚海")
    assert by_company.text.splitlines()[1] == "• 上海瀚海智能科技有限公司"


async def test_find_a_person_without_a_customer(app: App, team: Team) -> None:
    await app.capture.chat(team.rep, [ChatMessage("赵磊 13700002222 想约下周见面", key="c:1")])
    reply = await app.command(team.rep, "find", "赵磊")
    assert "赵磊" in reply.text and "+86 137 0000 2222" in reply.text
    assert "没有找到" not in reply.text


async def test_find_shows_nobody_a_member_may_not_see(app: App, team: Team) -> None:
    await app.capture.chat(team.rep, HANHAI)
    await app.capture.chat(team.rep, [ChatMessage("赵磊 13700002222 想约下周见面", key="c:1")])
    for query in ("李明", "赵磊", "139 1234"):
        reply = await app.command(team.rep2, "find", query)
        assert reply.text.startswith("没有找到"), (query, reply.text)
    manager = await app.command(team.manager, "find", "李明")
    assert "李明" in manager.text and "上海瀚海智能科技有限公司" in manager.text
