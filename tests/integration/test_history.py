"""A customer's history (/history) and the operators' audit trail, on real SQLite files and the CI
PostgreSQL: who changed which field from what to what, which capture or import it came from, merges and
their undo, newest first and page by page, and only for those who may see the customer."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from chat.app import App
from chat.history.view import HistoryAct
from chat.views import Act, Reply
from crm import audit
from crm.customers import EditableField
from crm.errors import NotFound
from crm.history import RecordRef
from crm.inputs import ChatMessage
from crm.journal import Journal
from crm.model import FollowUp, Lang
from crm.stages import FieldName
from nlu.extractor import Extractor
from tests.conftest import FakeClock, Team, make_app
from tests.support.team import join_team


@pytest.fixture
async def both(
    any_engine: AsyncEngine, clock: FakeClock, extractor: Extractor, tmp_path: Path
) -> tuple[App, Team]:
    """The application and a team on SQLite and on PostgreSQL."""
    app = make_app(any_engine, clock, extractor, tmp_path / "spool")
    return app, await join_team(app)


def blocks(reply: Reply) -> list[str]:
    """The operations of a history page, one text block each (the head line first)."""
    return [block for block in reply.text.split("\n\n")[1:] if block.startswith("🕒")]


def button(reply: Reply, act: object) -> tuple[int, str] | None:
    found = next((b for b in reply.all_buttons() if b.act == act), None)
    return (found.target, found.arg) if found else None


async def test_who_changed_what_from_what_to_what_newest_first(
    both: tuple[App, Team], clock: FakeClock
) -> None:
    app, team = both
    lead = await app.capture.chat(
        team.rep, [ChatMessage("我是华为技术有限公司的采购经理张伟，电话 138 1234 5678", key="k1")]
    )
    assert lead.interaction_id and lead.customer and lead.deal
    clock.advance(hours=1)
    await app.customers.edit(team.rep, lead.interaction_id, EditableField.BUDGET, "50万")
    clock.advance(hours=1)
    await app.customers.set_follow_up(team.manager, lead.interaction_id, FollowUp.INTERESTED)
    clock.advance(hours=1)
    await app.deals.set_field(team.manager, lead.deal.id, FieldName.BUDGET, "80万")

    reply = await app.command(team.rep, "history", "华为")

    assert reply.text.startswith("📜「华为技术有限公司」的变更记录（最新在前）")
    newest, follow_up, edit, capture = blocks(reply)
    assert "经理" in newest and "客户 · 预算：50万 → 80万" in newest
    assert "经理 · 📌 跟进状态" in follow_up and "客户 · 跟进状态：（空） → 有意向" in follow_up
    assert "小李 · ✏️ 修改（聊天）" in edit and "客户 · 预算：（空） → 50万" in edit
    # The capture: which chat it came from, and what it created.
    assert "小李 · 采集（聊天）「我是华为技术有限公司的采购经理张伟，电话" in capture
    assert (
        "➕ 新建客户" in capture
        and "➕ 新建联系人「张伟」" in capture
        and "➕ 新建商机「华为技术有限公司」" in capture
    )
    assert button(reply, HistoryAct.OLDER) is None and button(reply, HistoryAct.NEWER) is None

    # In English, for an English-speaking manager, with times in their timezone.
    manager = await app.members.set_lang(team.manager, Lang.EN)
    english = await app.command(manager, "history", f"#C{lead.customer.id}")
    assert english.text.startswith("📜 History of “华为技术有限公司” (newest first)")
    assert "customer · Budget: (empty) → ¥500,000" in english.text
    assert "capture (chat) “我是华为技术有限公司的采购经理张伟，电话" in english.text


async def test_merges_show_with_their_undo(both: tuple[App, Team], clock: FakeClock) -> None:
    app, team = both
    first = await app.capture.chat(team.rep, [ChatMessage("星辰科技有限公司 张伟 13812345678", key="a")])
    second = await app.capture.chat(
        team.rep, [ChatMessage("星辰智能科技有限公司 张伟 13900002222，预算50万", key="b")]
    )
    assert first.customer and second.flag_id
    clock.advance(minutes=5)
    await app.press(team.rep, Act.MERGE, second.flag_id, "")

    reply = await app.command(team.rep, "history", f"#C{first.customer.id}")
    merge = blocks(reply)[0]
    assert "小李 · 🔀 合并" in merge
    assert f"🔀 「张伟」(#{second.contact.id if second.contact else 0}) 并入「张伟」" in merge
    assert "联系人「张伟」 · 电话：+86 138 1234 5678 → +86 138 1234 5678、+86 139 0000 2222" in merge
    assert "客户 · 预算：（空） → 50万" in merge  # the merged customer's budget filled the survivor's
    assert "条往来记录" in merge  # the merged contact's capture moved with it
    undo = button(reply, Act.UNDO_MERGE)
    assert undo is not None

    clock.advance(minutes=5)
    await app.press(team.rep, Act.UNDO_MERGE, *undo)
    reply = await app.command(team.rep, "history", f"#C{first.customer.id}")
    undone, merge = blocks(reply)[:2]
    assert "↩ 撤销合并" in undone and "客户 · 预算：50万 → （空）" in undone
    assert "（此合并已撤销）" in merge
    assert button(reply, Act.UNDO_MERGE) is None  # nothing left to undo


async def test_pages_cover_every_operation_once(both: tuple[App, Team], clock: FakeClock) -> None:
    app, team = both
    lead = await app.capture.chat(team.rep, [ChatMessage("远航物流有限公司 王芳 13700001111", key="p")])
    assert lead.interaction_id
    for n in range(1, 15):
        clock.advance(minutes=1)
        await app.customers.edit(team.rep, lead.interaction_id, EditableField.TITLE, f"职务{n}")

    first = await app.command(team.rep, "history", "远航物流")
    seen = [blocks(first)]
    older = button(first, HistoryAct.OLDER)
    pages = [first]
    while older is not None:
        page = await app.press(team.rep, HistoryAct.OLDER, *older)
        assert page.replace  # paging edits the message in place
        pages.append(page)
        seen.append(blocks(page))
        older = button(page, HistoryAct.OLDER)
    assert [len(s) for s in seen] == [6, 6, 3]  # 14 edits and the capture
    titles = [line for page in seen for block in page for line in block.splitlines() if "职务：" in line]
    assert [t.rsplit("→ ", 1)[1] for t in titles] == [f"职务{n}" for n in range(14, 0, -1)]
    assert "已是最早的记录" in pages[-1].text

    # Back to newer pages from the last one: the same blocks again.
    newer = button(pages[-1], HistoryAct.NEWER)
    assert newer is not None
    back = await app.press(team.rep, HistoryAct.NEWER, *newer)
    assert blocks(back) == seen[1]


async def test_only_those_who_see_the_customer_see_its_history(both: tuple[App, Team]) -> None:
    app, team = both
    lead = await app.capture.chat(team.rep, [ChatMessage("蓝海贸易有限公司 李雷 13600001111", key="v")])
    assert lead.customer
    with pytest.raises(NotFound):
        await app.command(team.rep2, "history", f"#C{lead.customer.id}")
    with pytest.raises(NotFound):
        await app.press(team.rep2, HistoryAct.OPEN, lead.customer.id, "")
    with pytest.raises(NotFound):
        await app.command(team.rep2, "history", "蓝海")  # nor by name: a colleague's customer is not found
    assert blocks(await app.command(team.manager, "history", "蓝海贸易"))


async def test_an_import_shows_as_its_source(both: tuple[App, Team], clock: FakeClock) -> None:
    """A spreadsheet import is one audited operation with source "import": its changes show with the
    file they came from."""
    app, team = both
    lead = await app.capture.chat(team.rep, [ChatMessage("青山建材有限公司 周杰 13500001111", key="i")])
    assert lead.customer
    clock.advance(days=1)
    async with app.ports.uow() as uow:
        customer = await uow.customers.get(lead.customer.id)
        assert customer is not None
        journal = Journal()
        journal.track(customer)
        customer.budget_cny = 300_000
        await uow.customers.update(customer, "青山建材")
        detail = {"source": "import", "file": "客户名单.xlsx", "row": 7}
        await audit.record(
            uow, team.manager, "import", ("customer", customer.id), detail, clock.now(), journal
        )
        await uow.commit()

    newest = blocks(await app.command(team.rep, "history", "青山建材"))[0]
    assert "经理 · 📥 表格导入「客户名单.xlsx」 · 第 7 行" in newest
    assert "客户 · 预算：（空） → 30万" in newest


async def test_several_matches_are_offered_as_buttons(both: tuple[App, Team]) -> None:
    app, team = both
    for key, text in (
        ("m1", "华东电气有限公司 张三 13100001111"),
        ("m2", "华东机械有限公司 李四 13100002222"),
    ):
        await app.capture.chat(team.rep, [ChatMessage(text, key=key)])
    reply = await app.command(team.rep, "history", "华东")
    assert reply.text == "找到多个客户，要看哪一个的记录？"
    targets = [b.target for b in reply.all_buttons() if b.act is HistoryAct.OPEN]
    assert len(targets) == 2
    page = await app.press(team.rep, HistoryAct.OPEN, targets[0], "")
    assert page.text.startswith("📜「华东")
    assert (await app.command(team.rep, "history", "")).text.startswith("用法：/history")


async def test_the_operators_audit_of_a_team(both: tuple[App, Team], clock: FakeClock) -> None:
    app, team = both
    start = clock.now()
    lead = await app.capture.chat(team.rep, [ChatMessage("金桥软件有限公司 赵敏 13300001111", key="o")])
    other = await app.capture.chat(team.rep2, [ChatMessage("银河网络有限公司 钱多 13300002222", key="q")])
    assert lead.interaction_id and lead.customer and lead.contact and other.customer
    clock.advance(days=2)
    await app.customers.edit(team.manager, lead.interaction_id, EditableField.PHONE, "13300003333")

    everything = await app.history.audit(team.admin.team_id)
    assert [op.entry.action for op in everything][:3] == ["field.edited", "capture", "capture"]
    edit = everything[0].as_dict()
    assert edit["actor"] == "经理" and edit["origin"] == {
        "kind": "interaction",
        "source": "chat",
        "interaction": lead.interaction_id,
    }
    assert {
        "record": f"contact:{lead.contact.id}",
        "field": "phones",
        "created": False,
        "before": ["+8613300001111"],
        "after": ["+8613300003333", "+8613300001111"],
    } in edit["changes"]

    mine = await app.history.audit(team.admin.team_id, record=RecordRef("customer", lead.customer.id))
    assert {op.entry.target_id for op in mine} == {lead.interaction_id}
    by_rep2 = await app.history.audit(team.admin.team_id, member_id=team.rep2.id)
    assert [op.entry.action for op in by_rep2 if op.entry.action.startswith("capture")] == ["capture"]
    recent = await app.history.audit(team.admin.team_id, since=start + timedelta(days=1))
    assert [op.entry.action for op in recent] == ["field.edited"]
    contact_only = await app.history.audit(team.admin.team_id, record=RecordRef("contact", lead.contact.id))
    assert [op.entry.action for op in contact_only] == ["field.edited", "capture"]


async def test_an_undone_capture_shows_what_it_took_back(both: tuple[App, Team], clock: FakeClock) -> None:
    app, team = both
    first = await app.capture.chat(team.rep, [ChatMessage("星河电子有限公司 陈晨 13812340000", key="u1")])
    assert first.customer
    clock.advance(hours=1)
    await app.capture.chat(team.rep, [ChatMessage("陈晨 13812340000：预算80万，下个月签", key="u2")])
    clock.advance(hours=1)
    await app.command(team.rep, "undo", "")

    undone, update, _ = blocks(await app.command(team.rep, "history", "星河电子"))
    assert "小李 · ↩ 撤销采集（聊天）" in undone and "客户 · 预算：80万 → （空）" in undone
    assert "小李 · 采集（聊天）「陈晨 13812340000：预算80万，下个月签」" in update
    assert "客户 · 预算：（空） → 80万" in update
