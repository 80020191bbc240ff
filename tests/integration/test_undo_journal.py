"""Undo and merge-undo revert only what their operation wrote, and only where nobody changed it since;
field edits are journaled so that a record's history shows who changed what. Real SQLite files and
the CI PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncEngine

from chat.app import App
from chat.views import Act
from crm import snapshot
from crm.capture import Outcome
from crm.customers import EditableField
from crm.inputs import ChatMessage, VoiceNote
from crm.model import Contact, DealStatus, FollowUp, Interaction, Lang, Member, Merge
from crm.stages import FieldName
from nlu.extractor import Extractor
from storage import tables as t
from tests.conftest import FakeClock, Team, make_app
from tests.support.team import join_team
from tests.support.voice import ZH_CLIP, ScriptedSpeech

CHAT = [
    ChatMessage("你好，我是华为技术有限公司的采购经理张伟，电话 138 1234 5678", sender="张伟", key="tg:1:1"),
    ChatMessage("我们预算大概30到50万，希望下个月上线", sender="张伟", key="tg:1:2"),
]


async def rows(engine: AsyncEngine, table: Table) -> dict[int, dict[str, Any]]:
    async with engine.connect() as conn:
        result = await conn.execute(select(table).order_by(table.c.id))
        return {int(row["id"]): dict(row) for row in result.mappings()}


@pytest.fixture
async def both(
    any_engine: AsyncEngine, clock: FakeClock, extractor: Extractor, tmp_path: Path
) -> tuple[App, Team, AsyncEngine]:
    """The application and a team on SQLite and on PostgreSQL."""
    app = make_app(any_engine, clock, extractor, tmp_path / "spool")
    return app, await join_team(app), any_engine


async def test_undoing_a_merge_keeps_what_a_manager_changed_since(
    both: tuple[App, Team, AsyncEngine], clock: FakeClock
) -> None:
    app, team, engine = both
    first = await app.capture.chat(team.rep, [ChatMessage("星辰科技有限公司 张伟 13812345678", key="a")])
    second = await app.capture.chat(
        team.rep, [ChatMessage("星辰智能科技有限公司 张伟 13900002222，预算50万", key="b")]
    )
    assert first.customer and first.contact and first.deal and first.interaction_id
    assert second.customer and second.contact and second.deal and second.flag_id
    assert second.customer.id != first.customer.id  # two customers: the merge folds one into the other

    clock.advance(minutes=5)
    merged = await app.customers.merge(team.rep, second.flag_id)
    customers = await rows(engine, t.customers)
    assert customers[first.customer.id]["budget_cny"] == 500_000  # the merge filled the survivor's budget
    assert (await rows(engine, t.deals))[second.deal.id]["customer_id"] == first.customer.id

    # After the merge, a manager closes the moved deal as lost, sets the budget and adds an e-mail.
    clock.advance(hours=1)
    await app.deals.lose(team.manager, second.deal.id, "价格太高")
    await app.deals.set_field(team.manager, first.deal.id, FieldName.BUDGET, "120万")
    await app.customers.edit(team.manager, first.interaction_id, EditableField.EMAIL, "zw@xingchen.com")

    clock.advance(hours=1)
    undone = await app.customers.undo_merge(team.rep, merged.merge.id)

    deal = (await rows(engine, t.deals))[second.deal.id]
    assert deal["customer_id"] == second.customer.id  # the move is undone...
    assert deal["status"] == DealStatus.LOST.value and deal["lost_reason"] == "价格太高"  # ...not the loss
    customers = await rows(engine, t.customers)
    assert customers[first.customer.id]["budget_cny"] == 1_200_000
    assert customers[second.customer.id]["merged_into"] is None
    assert customers[second.customer.id]["budget_cny"] == 500_000
    contacts = await rows(engine, t.contacts)
    survivor, restored = contacts[first.contact.id], contacts[second.contact.id]
    assert survivor["emails"] == ["zw@xingchen.com"]
    assert survivor["phones"] == ["+8613812345678"]  # the merged contact's phone went back with it
    assert restored["merged_into"] is None and restored["phones"] == ["+8613900002222"]
    interaction = (await rows(engine, t.interactions))[second.interaction_id or 0]
    assert (interaction["contact_id"], interaction["customer_id"]) == (second.contact.id, second.customer.id)
    # What was kept is said, with its value now.
    kept = {(k.record_type, k.record_id, k.field): k for k in undone.undone.kept}
    assert kept[("customer", first.customer.id, "budget_cny")].current == 1_200_000
    assert kept[("customer", first.customer.id, "budget_cny")].wrote == 500_000
    assert ("deal", second.deal.id, "status") not in kept  # the merge never wrote the status


async def test_the_undo_merge_button_says_what_was_kept_in_both_languages(app: App, team: Team) -> None:
    first = await app.capture.chat(team.rep, [ChatMessage("星辰科技有限公司 张伟 13812345678", key="a")])
    second = await app.capture.chat(
        team.rep, [ChatMessage("星辰智能科技有限公司 张伟 13900002222，预算50万", key="b")]
    )
    assert first.deal and second.flag_id
    reply = await app.press(team.rep, Act.MERGE, second.flag_id, "")
    undo = next(b for b in reply.all_buttons() if b.act is Act.UNDO_MERGE)
    await app.deals.set_field(team.manager, first.deal.id, FieldName.BUDGET, "120万")

    undone = await app.press(team.rep, Act.UNDO_MERGE, undo.target, undo.arg)

    assert undone.text.startswith("↩️ 合并已撤销")
    assert "已保留" in undone.text and "预算" in undone.text and "120万" in undone.text

    # The same in English, for a merge undone by an English-speaking manager.
    third = await app.capture.chat(team.rep, [ChatMessage("远航物流有限公司 王芳 13700001111", key="c")])
    fourth = await app.capture.chat(
        team.rep, [ChatMessage("远航国际物流有限公司 王芳 13700002222，预算30万", key="d")]
    )
    assert third.deal and fourth.flag_id
    manager = await app.members.set_lang(team.manager, Lang.EN)
    reply = await app.press(manager, Act.MERGE, fourth.flag_id, "")
    undo = next(b for b in reply.all_buttons() if b.act is Act.UNDO_MERGE)
    await app.deals.set_field(manager, third.deal.id, FieldName.BUDGET, "80万")
    undone = await app.press(manager, Act.UNDO_MERGE, undo.target, undo.arg)
    assert undone.text.startswith("↩️ Merge undone")
    assert "kept" in undone.text and "Budget" in undone.text and "¥800,000" in undone.text


async def test_undo_of_a_capture_keeps_a_budget_and_an_email_set_since(
    both: tuple[App, Team, AsyncEngine], clock: FakeClock
) -> None:
    app, team, engine = both
    first = await app.capture.chat(team.rep, CHAT)
    assert first.customer and first.contact and first.deal and first.interaction_id
    update = await app.capture.chat(
        team.rep, [ChatMessage("张工 13812345678 邮箱 zw@huawei.com，预算提到80万", key="u")]
    )
    assert update.outcome is Outcome.UPDATED
    assert update.customer and update.customer.budget_cny == 800_000

    clock.advance(hours=2)
    await app.deals.set_field(team.manager, first.deal.id, FieldName.BUDGET, "120万")
    await app.customers.edit(team.manager, first.interaction_id, EditableField.EMAIL, "zhang.wei@huawei.com")

    clock.advance(hours=1)
    result = await app.customers.undo_last_capture(team.rep)

    customer = (await rows(engine, t.customers))[first.customer.id]
    assert customer["budget_cny"] == 1_200_000
    contact = (await rows(engine, t.contacts))[first.contact.id]
    # The capture's e-mail is taken back; the one the manager added stays.
    assert contact["emails"] == ["zhang.wei@huawei.com"]
    assert contact["archived_at"] is None
    kept = {(k.record_type, k.field) for k in result.undone.kept}
    assert ("customer", "budget_cny") in kept
    assert ("contact", "emails") not in kept  # list fields are undone item by item: nothing to keep


async def test_undo_reply_names_what_was_kept(app: App, team: Team) -> None:
    first = await app.capture.chat(team.rep, CHAT)
    assert first.deal
    await app.capture.chat(team.rep, [ChatMessage("张伟 13812345678 预算提到80万", key="u")])
    await app.deals.set_field(team.manager, first.deal.id, FieldName.BUDGET, "120万")

    reply = await app.command(team.rep, "undo", "")

    assert reply.text.startswith("↩️ 已撤销上一条记录")
    assert "已保留" in reply.text and "预算" in reply.text and "120万" in reply.text


async def test_undo_in_english_names_what_was_kept(app: App, team: Team) -> None:
    rep = await app.members.set_lang(team.rep, Lang.EN)
    first = await app.capture.chat(rep, CHAT)
    assert first.deal
    await app.capture.chat(rep, [ChatMessage("张伟 13812345678 预算提到80万", key="u")])
    await app.deals.set_field(team.manager, first.deal.id, FieldName.BUDGET, "120万")

    reply = await app.command(rep, "undo", "")

    assert reply.text.startswith("↩️ Undone your last capture")
    assert "kept" in reply.text and "Budget" in reply.text and "¥1,200,000" in reply.text


async def test_undo_reverts_what_nobody_changed_since(
    app: App, team: Team, sqlite_engine: AsyncEngine
) -> None:
    first = await app.capture.chat(team.rep, CHAT)
    assert first.customer and first.contact
    await app.capture.chat(
        team.rep, [ChatMessage("张工 13812345678 邮箱 zw@huawei.com，预算提到80万，年底前上线", key="u")]
    )

    result = await app.customers.undo_last_capture(team.rep)

    customer = (await rows(sqlite_engine, t.customers))[first.customer.id]
    assert (customer["budget_cny"], customer["budget_min_cny"]) == (500_000, 300_000)
    assert customer["timeline"] == first.customer.timeline
    assert (await rows(sqlite_engine, t.contacts))[first.contact.id]["emails"] == []
    assert result.undone.kept == []
    reverted = {(c.record_type, c.field) for c in result.undone.reverted}
    assert {("customer", "budget_cny"), ("customer", "budget_min_cny"), ("contact", "emails")} <= reverted


async def test_records_a_capture_created_stay_when_a_colleague_worked_on_them(
    app: App, team: Team, sqlite_engine: AsyncEngine, clock: FakeClock
) -> None:
    first = await app.capture.chat(team.rep, CHAT)
    assert first.customer and first.contact and first.deal
    clock.advance(hours=1)
    await app.deals.set_field(team.manager, first.deal.id, FieldName.BUDGET, "120万")

    result = await app.customers.undo_last_capture(team.rep)

    customer = (await rows(sqlite_engine, t.customers))[first.customer.id]
    assert customer["archived_at"] is None and customer["budget_cny"] == 1_200_000
    assert (await rows(sqlite_engine, t.deals))[first.deal.id]["archived_at"] is None
    # The contact nobody else touched goes with the capture.
    assert (await rows(sqlite_engine, t.contacts))[first.contact.id]["archived_at"] is not None
    kept = {(k.record_type, k.record_id, k.field) for k in result.undone.kept}
    assert ("customer", first.customer.id, None) in kept
    assert ("contact", first.contact.id) in set(result.undone.archived)


async def test_records_a_capture_created_stay_when_another_capture_uses_them(
    app: App, team: Team, sqlite_engine: AsyncEngine
) -> None:
    first = await app.capture.chat(team.rep, CHAT)
    assert first.customer and first.contact and first.deal
    later = await app.capture.chat(team.manager, [ChatMessage("张伟 13812345678 微信 zhangwei_88", key="m")])
    assert later.outcome is Outcome.UPDATED

    result = await app.customers.undo_last_capture(team.rep)

    assert (await rows(sqlite_engine, t.contacts))[first.contact.id]["archived_at"] is None
    assert (await rows(sqlite_engine, t.customers))[first.customer.id]["archived_at"] is None
    assert result.undone.archived == []
    assert {k.record_type for k in result.undone.kept if k.field is None} == {"customer", "contact", "deal"}


async def test_a_capture_undone_by_its_own_rep_after_own_fixes_goes_entirely(
    app: App, team: Team, sqlite_engine: AsyncEngine
) -> None:
    first = await app.capture.chat(team.rep, CHAT)
    assert first.customer and first.contact and first.deal and first.interaction_id
    await app.customers.edit(team.rep, first.interaction_id, EditableField.TITLE, "采购总监")

    result = await app.customers.undo_last_capture(team.rep)

    assert (await rows(sqlite_engine, t.customers))[first.customer.id]["archived_at"] is not None
    assert (await rows(sqlite_engine, t.contacts))[first.contact.id]["archived_at"] is not None
    assert (await rows(sqlite_engine, t.deals))[first.deal.id]["archived_at"] is not None
    assert result.undone.kept == []


async def test_field_edits_and_deal_changes_are_journaled_for_a_history(
    both: tuple[App, Team, AsyncEngine], clock: FakeClock
) -> None:
    app, team, _ = both
    first = await app.capture.chat(team.rep, CHAT)
    assert first.customer and first.deal and first.interaction_id and first.contact
    clock.advance(minutes=1)
    await app.customers.edit(team.rep, first.interaction_id, EditableField.BUDGET, "60万")
    await app.customers.set_follow_up(team.rep, first.interaction_id, FollowUp.INTERESTED)
    await app.customers.edit(team.rep, first.interaction_id, EditableField.PHONE, "13900001111")
    await app.deals.set_field(team.manager, first.deal.id, FieldName.BUDGET, "70万")
    await app.deals.advance(team.manager, first.deal.id)  # budget and timeline are known
    await app.deals.lose(team.manager, first.deal.id, "预算冻结")

    async with app.ports.uow(read_only=True) as uow:
        customer_history = await uow.journal.for_record("customer", first.customer.id)
        deal_history = await uow.journal.for_record("deal", first.deal.id)
        contact_history = await uow.journal.for_record("contact", first.contact.id)

    def lines(history: list[Any]) -> list[tuple[Any, ...]]:
        return [(e.actor_id, e.action, c.field, c.before, c.after) for e, c in history]

    customer = lines(customer_history)
    assert customer[0] == (team.rep.id, "capture", None, None, None)  # created by the capture
    assert (team.rep.id, "field.edited", "budget_cny", 500_000, 600_000) in customer
    assert (team.rep.id, "field.edited", "budget_min_cny", 300_000, None) in customer
    assert (team.rep.id, "customer.follow_up", "follow_up", None, "interested") in customer
    assert (team.manager.id, "deal.field", "budget_cny", 600_000, 700_000) in customer
    deal = lines(deal_history)
    assert (team.manager.id, "deal.stage", "stage", "lead", "requirements") in deal
    assert (team.manager.id, "deal.lost", "status", "open", "lost") in deal
    assert (team.manager.id, "deal.lost", "lost_reason", None, "预算冻结") in deal
    contact = lines(contact_history)
    assert (
        team.rep.id,
        "field.edited",
        "phones",
        ["+8613812345678"],
        ["+8613900001111", "+8613812345678"],
    ) in (contact)
    # Every history entry names the capture it came from.
    assert customer_history[0][0].target_type == "interaction"
    assert customer_history[0][0].target_id == first.interaction_id


async def test_a_merge_journaled_before_field_journals_is_undone_without_overwriting(
    app: App, team: Team, sqlite_engine: AsyncEngine, clock: FakeClock
) -> None:
    """Merges recorded as whole-record snapshots (before the field journal) can still be undone: links
    go back, and fields whose written value the snapshot does not tell are kept and reported."""
    first = await app.capture.chat(team.rep, [ChatMessage("华为技术有限公司 张伟 13812345678", key="a")])
    second = await app.capture.chat(
        team.rep, [ChatMessage("华为技术（深圳）有限公司 张伟 13900002222", key="b")]
    )
    assert first.contact and second.contact and second.interaction_id
    survivor_id, merged_id = first.contact.id, second.contact.id
    async with app.ports.uow() as uow:
        survivor = await uow.contacts.get(survivor_id)
        merged = await uow.contacts.get(merged_id)
        interaction = await uow.interactions.get(second.interaction_id)
        assert isinstance(survivor, Contact) and isinstance(merged, Contact)
        assert isinstance(interaction, Interaction)
        detail = {
            "contacts": [snapshot.dump(survivor), snapshot.dump(merged)],
            "customers": [],
            "interactions": [snapshot.dump(interaction)],
            "deals": [],
            "commitments": [],
        }
        survivor.phones = [*survivor.phones, *merged.phones]
        merged.merged_into = survivor.id
        interaction.contact_id = survivor.id
        await uow.contacts.update(survivor, [])
        await uow.contacts.update(merged, [])
        await uow.interactions.update(interaction)
        merge = await uow.merges.add(
            Merge(0, team.rep.team_id, "contact", survivor.id, merged.id, team.rep.id, detail, clock.now())
        )
        await uow.commit()

    undone = await app.customers.undo_merge(team.rep, merge.id)

    contacts = await rows(sqlite_engine, t.contacts)
    assert contacts[merged_id]["merged_into"] is None
    assert (await rows(sqlite_engine, t.interactions))[second.interaction_id]["contact_id"] == merged_id
    # The survivor's phones changed in the merge, but the old record does not say to what: kept.
    assert contacts[survivor_id]["phones"] == ["+8613812345678", "+8613900002222"]
    assert [(k.record_type, k.record_id, k.field) for k in undone.undone.kept] == [
        ("contact", survivor_id, "phones")
    ]


async def test_a_capture_journaled_before_field_journals_is_undone_without_overwriting(
    app: App, team: Team, sqlite_engine: AsyncEngine
) -> None:
    """A capture whose audit entry holds whole-record snapshots: its created records are archived, and
    the fields it changed on an existing customer are kept (the snapshot does not say what it wrote)."""
    first = await app.capture.chat(team.rep, CHAT)
    assert first.customer and first.contact
    async with app.ports.uow(read_only=True) as uow:
        customer = await uow.customers.get(first.customer.id)
        assert customer is not None
        before = snapshot.dump(customer)
    update = await app.capture.chat(team.rep, [ChatMessage("张伟 13812345678 预算提到80万", key="u")])
    assert update.interaction_id is not None
    async with sqlite_engine.begin() as conn:
        entry = (
            await conn.execute(
                select(t.audit.c.id).where(
                    t.audit.c.target_id == update.interaction_id, t.audit.c.action == "capture"
                )
            )
        ).scalar_one()
        await conn.execute(t.field_journal.delete().where(t.field_journal.c.audit_id == entry))
        legacy = {"created": {}, "before": {"customer": before}, "interaction": update.interaction_id}
        await conn.execute(t.audit.update().where(t.audit.c.id == entry).values(detail=legacy))

    result = await app.customers.undo_last_capture(team.rep)

    assert (await rows(sqlite_engine, t.customers))[first.customer.id]["budget_cny"] == 800_000
    assert {k.field for k in result.undone.kept} == {"budget_cny", "budget_min_cny"}
    assert (await rows(sqlite_engine, t.interactions))[update.interaction_id]["undone_at"] is not None


async def test_any_operation_journaled_the_same_way_is_undone_the_same_way(
    app: App, team: Team, sqlite_engine: AsyncEngine, clock: FakeClock
) -> None:
    """An operation other than a capture or a merge (as a spreadsheet import would be): the records it
    created are archived and the fields it filled restored where unchanged since; what a colleague
    changed or used since is kept."""
    from crm import audit
    from crm import journal as field_journal
    from crm.model import Customer
    from nlu.normalize import Normalizer

    known = await app.capture.chat(team.rep, CHAT)
    other = await app.capture.chat(team.rep, [ChatMessage("中兴通讯 李娜 13912345678", key="z")])
    assert known.customer and other.customer
    now = clock.now()
    async with app.ports.uow() as uow:
        changes = field_journal.Journal()
        made = await uow.customers.add(
            Customer(0, team.rep.team_id, team.rep.id, "美的集团", now, now, budget_cny=200_000), "美的"
        )
        changes.created(made)
        filled = [await uow.customers.get(known.customer.id), await uow.customers.get(other.customer.id)]
        for customer in filled:
            assert customer is not None
            changes.track(customer)
            customer.website = "https://example.com"
            customer.needs = [*customer.needs, "CRM"]
            await uow.customers.update(customer, "")
        entry = await audit.record(uow, team.rep, "import", ("import", 1), {"rows": 3}, now, changes)
        await uow.commit()
    clock.advance(hours=1)
    await app.customers.edit(team.manager, other.interaction_id or 0, EditableField.CUSTOMER, "中兴通讯股份")
    async with app.ports.uow() as uow:
        customer = await uow.customers.get(other.customer.id)
        assert customer is not None
        later = field_journal.Journal()
        later.track(customer)
        customer.website = "https://zte.com.cn"
        await uow.customers.update(customer, "")
        await audit.record(
            uow, team.manager, "field.edited", ("customer", customer.id), {}, clock.now(), later
        )
        await uow.commit()

    async with app.ports.uow() as uow:
        undone = await field_journal.undo(
            uow,
            await field_journal.operation_changes(uow, entry),
            normalizer=Normalizer(),
            now=clock.now(),
            operation=entry,
        )
        await audit.record(uow, team.rep, "import.undone", ("import", 1), {}, clock.now(), undone.journal)
        await uow.commit()

    customers = await rows(sqlite_engine, t.customers)
    assert customers[made.id]["archived_at"] is not None
    assert (customers[known.customer.id]["website"], customers[known.customer.id]["needs"]) == (None, [])
    assert customers[other.customer.id]["website"] == "https://zte.com.cn"  # changed since: kept
    assert customers[other.customer.id]["needs"] == []
    assert [(k.record_id, k.field) for k in undone.kept] == [(other.customer.id, "website")]
    async with app.ports.uow(read_only=True) as uow:
        history = await uow.journal.for_record("customer", known.customer.id)
    assert [(e.action, c.field) for e, c in history if c.field == "website"] == [
        ("import", "website"),
        ("import.undone", "website"),
    ]


VISIT = "今天拜访了华为的张伟，他是这个项目的拍板人。他们预算五十万左右，希望下个月上线。"


async def minutes_on_huawei(app: App, speech: ScriptedSpeech, rep: Member) -> tuple[int, int, int]:
    """Two customers of the rep (ZTE, Huawei), then visit minutes dictated about Huawei: the minutes'
    interaction id and both customers' ids."""
    zte = await app.capture.chat(rep, [ChatMessage("我是中兴通讯的李娜，电话 13912345678", key="zte")])
    huawei = await app.capture.chat(
        rep, [ChatMessage("我是华为技术有限公司的张伟，电话 13812345678", key="hw")]
    )
    assert zte.customer and huawei.customer
    speech.say(VISIT)
    data = ZH_CLIP.read_bytes()

    async def fetch() -> bytes:
        return data

    result = await app.voice.process(
        rep, VoiceNote(fetch=fetch, key="v1", filename="v.ogg", mime="audio/ogg")
    )
    assert result.minutes is not None and result.minutes.customer is not None
    assert result.minutes.customer.id == huawei.customer.id
    assert result.minutes.customer.budget_cny == 500_000
    return result.minutes.interaction.id, huawei.customer.id, zte.customer.id


async def test_discarding_minutes_keeps_a_budget_a_manager_set_since(
    voice_kit: tuple[App, ScriptedSpeech], sqlite_engine: AsyncEngine, clock: FakeClock
) -> None:
    app, speech = voice_kit
    team = await join_team(app)
    minutes, huawei, _ = await minutes_on_huawei(app, speech, team.rep)
    (deal,) = [d for d in (await rows(sqlite_engine, t.deals)).values() if d["customer_id"] == huawei]
    clock.advance(hours=1)
    await app.deals.set_field(team.manager, deal["id"], FieldName.BUDGET, "120万")

    await app.press(team.rep, Act.MINUTES_DISCARD, minutes, "")

    customer = (await rows(sqlite_engine, t.customers))[huawei]
    assert customer["budget_cny"] == 1_200_000  # the manager's, not the note's nor the old empty one
    assert customer["timeline"] is None  # what nobody changed since is taken back
    contact = next(c for c in (await rows(sqlite_engine, t.contacts)).values() if c["name"] == "张伟")
    assert contact["decision_role"] is None


async def test_undo_after_moving_minutes_takes_them_back_from_where_they_are_now(
    voice_kit: tuple[App, ScriptedSpeech], sqlite_engine: AsyncEngine
) -> None:
    app, speech = voice_kit
    team = await join_team(app)
    minutes, huawei, zte = await minutes_on_huawei(app, speech, team.rep)

    moved = await app.voice.set_customer(team.rep, minutes, zte)
    assert moved.customer is not None and moved.customer.budget_cny == 500_000
    customers = await rows(sqlite_engine, t.customers)
    assert customers[huawei]["budget_cny"] is None and customers[zte]["budget_cny"] == 500_000

    result = await app.customers.undo_last_capture(team.rep)

    assert result.interaction.id == minutes
    customers = await rows(sqlite_engine, t.customers)
    assert customers[zte]["budget_cny"] is None and customers[huawei]["budget_cny"] is None
    assert result.undone.kept == []
    async with sqlite_engine.connect() as conn:
        actions = (
            (
                await conn.execute(
                    select(t.audit.c.action).where(t.audit.c.target_id == minutes).order_by(t.audit.c.id)
                )
            )
            .scalars()
            .all()
        )
    assert [a for a in actions if a.startswith("capture")] == [
        "capture",
        "capture.unlinked",
        "capture.relinked",
        "capture.undone",
    ]


async def test_minutes_moved_to_a_new_customer_then_undone_archive_it(
    voice_kit: tuple[App, ScriptedSpeech], sqlite_engine: AsyncEngine
) -> None:
    app, speech = voice_kit
    team = await join_team(app)
    minutes, _, _ = await minutes_on_huawei(app, speech, team.rep)

    moved = await app.voice.set_customer(team.rep, minutes, None, name="美的集团")
    assert moved.created_customer and moved.customer is not None
    await app.command(team.rep, "undo", "")

    assert (await rows(sqlite_engine, t.customers))[moved.customer.id]["archived_at"] is not None


async def test_undo_takes_a_contact_off_the_customer_its_capture_made_for_it(
    app: App, team: Team, sqlite_engine: AsyncEngine
) -> None:
    """A rep's contact with no customer; a capture with the same phone names its company, so the
    capture makes that customer and puts the contact on it. /undo archives the customer and puts the
    contact back as it was: the contact itself is no later work that keeps the customer."""
    note = await app.capture.chat(team.rep, [ChatMessage("好的，收到", key="n")])
    assert note.interaction_id is not None
    lead = await app.customers.edit(team.rep, note.interaction_id, EditableField.PHONE, "13912345678")
    assert lead.contact is not None and lead.customer is None
    update = await app.capture.chat(team.rep, [ChatMessage("我是美的集团的李娜，电话 13912345678", key="m")])
    assert update.outcome is Outcome.UPDATED and update.customer is not None

    result = await app.customers.undo_last_capture(team.rep)

    assert (await rows(sqlite_engine, t.customers))[update.customer.id]["archived_at"] is not None
    contact = (await rows(sqlite_engine, t.contacts))[lead.contact.id]
    assert contact["customer_id"] is None and contact["archived_at"] is None and contact["name"] is None
    assert result.undone.kept == []
    assert ("customer", update.customer.id) in result.undone.archived
