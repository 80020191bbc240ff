"""Capture end to end through the application object on a real SQLite file."""

from __future__ import annotations

import pytest
from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from chat.app import App
from chat.views import Act
from crm.capture import Outcome
from crm.errors import InputRejected, NotAllowed, NotFound, StorageUnavailable
from crm.inputs import ChatMessage
from crm.model import Channel, DuplicateStatus, FollowUp, ReminderKind, Source
from crm.profile import CoreField
from storage import tables as t
from tests.conftest import FakeClock, Team

CHAT = [
    ChatMessage("你好，我是华为技术有限公司的采购经理张伟，电话 138 1234 5678", sender="张伟", key="tg:1:1"),
    ChatMessage("我们预算大概30到50万，希望下个月上线", sender="张伟", key="tg:1:2"),
    ChatMessage("好的，我们下周三下午3点来拜访您", from_self=True, key="tg:1:3"),
    ChatMessage("我们承诺周五前给您报价", from_self=True, key="tg:1:4"),
]


async def count(engine: AsyncEngine, table: Table) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


async def test_forwarded_chat_becomes_a_lead_with_its_facts(
    app: App, team: Team, sqlite_engine: AsyncEngine
) -> None:
    result = await app.capture.chat(team.rep, CHAT)

    assert result.outcome is Outcome.CREATED
    assert result.customer is not None and result.customer.name == "华为技术有限公司"
    assert result.contact is not None and result.contact.name == "张伟"
    assert result.contact.phones == ["+8613812345678"]
    assert result.customer.budget_cny == 500_000 and result.customer.budget_min_cny == 300_000
    assert result.deal is not None and result.deal.stage == "lead" and result.deal.amount_cny == 500_000
    assert result.completeness_before == 0 and result.completeness_after > 60
    # the meeting set the follow-up status, so all 3+1 core fields are present
    assert result.customer.follow_up is FollowUp.MEETING
    assert result.missing == []
    assert [c.text for c in result.commitments] == ["我们承诺周五前给您报价"]
    kinds = sorted(r.kind for r in result.reminders)
    assert kinds == sorted([ReminderKind.MEETING, ReminderKind.COMMITMENT])
    assert await count(sqlite_engine, t.interactions) == 1
    async with sqlite_engine.connect() as conn:
        stored = (await conn.execute(select(t.interactions.c.content, t.interactions.c.source))).one()
    assert "张伟: 你好" in stored.content and "我: 好的" in stored.content
    assert stored.source == Source.CHAT.value


async def test_lead_card_text_and_buttons(app: App, team: Team) -> None:
    reply = await app.chat(team.rep, [ChatMessage("李雷 139 0000 1111 想了解你们的CRM", key="k1")])

    assert "新线索" in reply.text
    assert "完整度 0% →" in reply.text
    assert "+86 139 0000 1111" in reply.text
    acts = [b.act for b in reply.all_buttons()]
    # missing customer name and follow-up status are asked for with buttons
    assert Act.EDIT_FIELD in acts and Act.FOLLOW_UP in acts
    assert {Act.CONFIRM, Act.EDIT_MENU, Act.ATTACH_MENU} <= set(acts)
    customer_button = next(b for b in reply.all_buttons() if b.act is Act.EDIT_FIELD and b.arg == "customer")
    assert "客户" in customer_button.label


async def test_same_messages_delivered_twice_create_one_interaction(
    app: App, team: Team, sqlite_engine: AsyncEngine
) -> None:
    first = await app.capture.chat(team.rep, CHAT)
    again = await app.capture.chat(team.rep, CHAT)

    assert first.outcome is Outcome.CREATED
    assert again.outcome is Outcome.REPEATED
    assert await count(sqlite_engine, t.interactions) == 1
    assert await count(sqlite_engine, t.contacts) == 1


async def test_same_phone_attaches_to_existing_contact(
    app: App, team: Team, sqlite_engine: AsyncEngine
) -> None:
    await app.capture.chat(team.rep, CHAT)
    later = await app.capture.chat(
        team.rep, [ChatMessage("张工 13812345678 邮箱 zw@huawei.com，预算提到80万", key="tg:1:9")]
    )

    assert later.outcome is Outcome.UPDATED
    assert later.match is not None and later.match.reason == "phone"
    assert later.contact is not None and later.contact.emails == ["zw@huawei.com"]
    assert later.customer is not None and later.customer.budget_cny == 800_000
    assert await count(sqlite_engine, t.contacts) == 1
    assert await count(sqlite_engine, t.interactions) == 2
    reply = await app.chat(team.rep, [ChatMessage("张伟 电话 138-1234-5678", key="tg:1:10")])
    assert "已存在" in reply.text and "电话相同" in reply.text


async def test_colleague_owned_contact_is_not_revealed(
    app: App, team: Team, sqlite_engine: AsyncEngine
) -> None:
    await app.capture.chat(team.rep, CHAT)
    other = await app.capture.chat(team.rep2, [ChatMessage("张伟 13812345678 说下周要报价", key="x1")])

    assert other.outcome is Outcome.COLLEAGUE
    assert other.customer is None and other.contact is None
    reply = await app.chat(team.rep2, [ChatMessage("张伟 13812345678 又来问了", key="x2")])
    assert "同事" in reply.text
    assert "华为" not in reply.text and "138" not in reply.text
    # nothing the rep sent is lost: both conversations are stored, on the owner's customer
    assert await count(sqlite_engine, t.interactions) == 3
    assert await count(sqlite_engine, t.contacts) == 1


async def test_colleague_owned_company_is_not_revealed(app: App, team: Team) -> None:
    await app.capture.chat(team.rep, CHAT)
    other = await app.capture.chat(
        team.rep2, [ChatMessage("我是上海华为技术有限公司的王芳 13900001111", key="y1")]
    )
    assert other.outcome is Outcome.COLLEAGUE


async def test_manager_capturing_a_reps_customer_updates_it(app: App, team: Team) -> None:
    await app.capture.chat(team.rep, CHAT)
    result = await app.capture.chat(
        team.manager, [ChatMessage("张伟 13812345678 微信 zhangwei_88", key="m1")]
    )
    assert result.outcome is Outcome.UPDATED
    assert result.contact is not None and result.contact.wechat_id == "zhangwei_88"


async def test_similar_contact_is_proposed_then_merged_and_undone(
    app: App, team: Team, sqlite_engine: AsyncEngine
) -> None:
    first = await app.capture.chat(team.rep, [ChatMessage("华为技术有限公司 张伟 13812345678", key="a")])
    second = await app.capture.chat(
        team.rep, [ChatMessage("华为技术（深圳）有限公司 张伟 13900002222", key="b")]
    )

    assert second.outcome is Outcome.CREATED
    assert second.match is not None and second.match.score >= 88
    assert second.candidate is not None and first.contact is not None
    assert second.candidate.id == first.contact.id
    assert second.flag_id is not None
    card = await app.chat(team.rep, [ChatMessage("华为 张伟 13700003333", key="c")])
    assert any(b.act is Act.MERGE for b in card.all_buttons())

    merged = await app.customers.merge(team.rep, second.flag_id)
    assert merged.survivor.id == first.contact.id
    assert set(merged.survivor.phones) == {"+8613812345678", "+8613900002222"}
    survivor_card = await app.customers.card(team.rep, merged.survivor.customer_id or 0)
    assert not isinstance(survivor_card, list)
    # the history of the merged record moved to the survivor; nothing was deleted
    assert {i.content for i in survivor_card.interactions} >= {
        "华为技术有限公司 张伟 13812345678",
        "华为技术（深圳）有限公司 张伟 13900002222",
    }
    assert await count(sqlite_engine, t.contacts) == 3
    async with sqlite_engine.connect() as conn:
        actions = (await conn.execute(select(t.audit.c.action))).scalars().all()
    assert "merge" in actions

    await app.customers.undo_merge(team.rep, merged.merge.id)
    restored = await app.customers.card(team.rep, merged.survivor.customer_id or 0)
    assert not isinstance(restored, list)
    # both contacts are back, each with only its own phone (the same company, so the same customer)
    assert [c.phones for c in restored.contacts] == [["+8613812345678"], ["+8613900002222"]]
    assert second.contact is not None
    async with sqlite_engine.connect() as conn:
        row = (
            await conn.execute(select(t.contacts.c.merged_into).where(t.contacts.c.id == second.contact.id))
        ).one()
        flag = (
            await conn.execute(
                select(t.duplicate_flags.c.status).where(t.duplicate_flags.c.id == second.flag_id)
            )
        ).one()
    assert row.merged_into is None
    assert flag.status == DuplicateStatus.OPEN.value


async def test_keep_separate_closes_the_proposal(app: App, team: Team) -> None:
    await app.capture.chat(team.rep, [ChatMessage("华为技术有限公司 张伟 13812345678", key="a")])
    second = await app.capture.chat(team.rep, [ChatMessage("华为技术有限公司 张伟 13900002222", key="b")])
    assert second.flag_id is not None
    await app.customers.keep_separate(team.rep, second.flag_id)
    with pytest.raises(InputRejected):
        await app.customers.merge(team.rep, second.flag_id)


async def test_moderately_similar_contact_is_flagged_for_review(app: App, team: Team) -> None:
    await app.capture.chat(team.rep, [ChatMessage("星辰科技有限公司 张伟 13812345678", key="a")])
    second = await app.capture.chat(team.rep, [ChatMessage("星辰科技有限公司 张玮 13900002222", key="b")])
    assert second.match is not None and 75 <= second.match.score < 88
    assert second.flagged_for_review and second.candidate is None


async def test_rep_sees_only_own_customers_manager_sees_team(app: App, team: Team) -> None:
    await app.capture.chat(team.rep, CHAT)
    await app.capture.chat(team.rep2, [ChatMessage("腾讯 马化腾 13511112222", key="q")])

    assert [c.name for c in await app.customers.find(team.rep, "华为")] == ["华为技术有限公司"]
    assert await app.customers.find(team.rep2, "华为") == []
    assert [c.name for c in await app.customers.find(team.manager, "华为")] == ["华为技术有限公司"]
    assert len(await app.customers.recent(team.manager)) == 2
    with pytest.raises(NotFound):
        await app.customers.card(team.rep2, "华为技术有限公司")


async def test_customer_card_shows_history(app: App, team: Team) -> None:
    await app.capture.chat(team.rep, CHAT)
    reply = await app.command(team.rep, "customer", "华为技术有限公司")
    assert "张伟" in reply.text
    assert "最近往来（共 1 条）" in reply.text
    # The deal's stage by the team's funnel's name, not its key.
    assert "① 线索激活" in reply.text and "· lead" not in reply.text


async def test_undo_archives_the_last_capture_but_keeps_the_text(
    app: App, team: Team, sqlite_engine: AsyncEngine
) -> None:
    await app.capture.chat(team.rep, CHAT)
    update = await app.capture.chat(team.rep, [ChatMessage("张伟 13812345678 预算改成100万", key="u")])
    assert update.customer is not None and update.customer.budget_cny == 1_000_000

    await app.customers.undo_last_capture(team.rep)
    card = await app.customers.card(team.rep, "华为技术有限公司")
    assert not isinstance(card, list) and card.customer.budget_cny == 500_000

    await app.customers.undo_last_capture(team.rep)
    assert await app.customers.find(team.rep, "华为") == []
    assert await count(sqlite_engine, t.interactions) == 2  # both texts are still there, marked undone
    with pytest.raises(NotFound):
        await app.customers.undo_last_capture(team.rep)


async def test_fill_missing_fields_through_buttons(app: App, team: Team) -> None:
    result = await app.capture.chat(team.rep, [ChatMessage("李雷说想了解一下你们的系统", key="n")])
    capture = result.interaction_id
    assert capture is not None and CoreField.PHONE in result.missing

    prompt = await app.press(team.rep, Act.EDIT_FIELD, capture, "phone")
    assert "电话" in prompt.text
    member = await app.members.identify(Channel.TELEGRAM, "3")
    assert member is not None
    bad = app.text(member, "不是号码")
    with pytest.raises(InputRejected):
        await bad
    card = await app.text(member, "139 1234 0000")
    assert "+86 139 1234 0000" in card.text
    member = await app.members.identify(Channel.TELEGRAM, "3")
    assert member is not None and member.awaiting is None

    await app.press(member, Act.FOLLOW_UP, capture, FollowUp.INTERESTED.value)
    lead = await app.customers.lead(member, capture)
    assert lead.customer is not None and lead.customer.follow_up is FollowUp.INTERESTED


async def test_attach_to_existing_customer_merges_the_new_one(app: App, team: Team) -> None:
    first = await app.capture.chat(team.rep, CHAT)
    second = await app.capture.chat(team.rep, [ChatMessage("王芳 13511112222 做财务的", key="w")])
    assert second.interaction_id is not None and first.customer is not None
    menu = await app.press(team.rep, Act.ATTACH_MENU, second.interaction_id, "")
    assert any(b.act is Act.ATTACH_TO and b.arg == str(first.customer.id) for b in menu.all_buttons())

    await app.press(team.rep, Act.ATTACH_TO, second.interaction_id, str(first.customer.id))
    card = await app.customers.card(team.rep, first.customer.id)
    assert not isinstance(card, list)
    assert {c.name for c in card.contacts} == {"张伟", "王芳"}


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("", "input.empty"),
        ("   \n\t  ", "input.empty"),
        ("x" * 20_001, "input.too_long"),
        ("\x00\x01\x02\x03binary\x04\x05\x06", "input.binary"),
    ],
)
async def test_bad_text_is_refused_with_a_reason(app: App, team: Team, text: str, key: str) -> None:
    with pytest.raises(InputRejected) as caught:
        await app.capture.chat(team.rep, [ChatMessage(text)])
    assert caught.value.key == key
    assert app.error(team.rep.lang, caught.value).text  # a readable message exists


async def test_hostile_text_is_stored_verbatim_and_safely(
    app: App, team: Team, sqlite_engine: AsyncEngine
) -> None:
    hostile = "Robert'); DROP TABLE contacts;-- <script>alert(1)</script> 13812345678 \u202egnp.exe"
    result = await app.capture.chat(team.rep, [ChatMessage(hostile, key="h")])
    assert result.outcome is Outcome.CREATED
    assert result.removed_characters == 1  # the right-to-left override
    async with sqlite_engine.connect() as conn:
        content = (await conn.execute(select(t.interactions.c.content))).scalar_one()
    assert "DROP TABLE contacts" in content and "<script>" in content and "\u202e" not in content
    assert await count(sqlite_engine, t.contacts) == 1


async def test_database_failure_keeps_the_input_for_a_retry(
    app: App, team: Team, sqlite_engine: AsyncEngine, clock: FakeClock
) -> None:
    async with sqlite_engine.begin() as conn:
        await conn.exec_driver_sql("ALTER TABLE interactions RENAME TO interactions_away")
    with pytest.raises(StorageUnavailable) as caught:
        await app.capture.chat(team.rep, CHAT)
    token = caught.value.retry_token
    assert token
    reply = app.error(team.rep.lang, caught.value)
    assert "重试" in reply.text and reply.all_buttons()[0].act is Act.RETRY

    async with sqlite_engine.begin() as conn:
        await conn.exec_driver_sql("ALTER TABLE interactions_away RENAME TO interactions")
    retried = await app.press(team.rep, Act.RETRY, 0, token)
    assert "新线索" in retried.text
    assert await count(sqlite_engine, t.interactions) == 1
    gone = await app.press(team.rep, Act.RETRY, 0, token)
    assert "没有待重试" in gone.text


async def test_note_without_a_person_goes_to_the_last_customer(
    app: App, team: Team, clock: FakeClock
) -> None:
    first = await app.capture.chat(team.rep, CHAT)
    clock.advance(minutes=30)
    note = await app.capture.chat(team.rep, [ChatMessage("提醒我周五给他回电话", key="r")])
    assert note.outcome is Outcome.NOTED
    assert note.customer is not None and first.customer is not None
    assert note.customer.id == first.customer.id
    assert [r.kind for r in note.reminders] == [ReminderKind.ASK]


async def test_text_with_no_facts_is_kept_as_a_note(app: App, team: Team, sqlite_engine: AsyncEngine) -> None:
    reply = await app.chat(team.rep, [ChatMessage("嗯嗯好的", key="z")])
    assert "没有识别出客户信息" in reply.text
    assert await count(sqlite_engine, t.interactions) == 1


async def test_manager_reviews_flagged_duplicates(app: App, team: Team) -> None:
    await app.capture.chat(team.rep, [ChatMessage("星辰科技有限公司 张伟 13812345678", key="a")])
    flagged = await app.capture.chat(team.rep, [ChatMessage("星辰科技有限公司 张玮 13900002222", key="b")])
    assert flagged.flagged_for_review and flagged.flag_id is not None

    reply = await app.command(team.manager, "review", "")
    assert "待审核的疑似重复" in reply.text and "张玮" in reply.text and "张伟" in reply.text
    merge = next(b for b in reply.all_buttons() if b.act is Act.MERGE)
    assert merge.target == flagged.flag_id
    await app.press(team.manager, Act.MERGE, merge.target, merge.arg)
    assert "没有待审核" in (await app.command(team.manager, "review", "")).text

    with pytest.raises(NotAllowed):
        await app.command(team.rep, "review", "")


async def test_reminder_ask_naming_someone_in_passing_is_a_note(
    app: App, team: Team, clock: FakeClock
) -> None:
    first = await app.capture.chat(team.rep, CHAT)
    clock.advance(minutes=10)
    note = await app.capture.chat(team.rep, [ChatMessage("提醒我明天下午3点给张总发报价", key="r2")])
    assert note.outcome is Outcome.NOTED  # not a new lead called "张总"
    assert note.customer is not None and first.customer is not None and note.customer.id == first.customer.id
    assert [r.kind for r in note.reminders] == [ReminderKind.ASK]
