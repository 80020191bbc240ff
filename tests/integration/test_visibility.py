"""A colleague's records stay theirs: every path from a capture (or a button naming a record) to an
existing record checks visibility as /find does. Forged buttons are pressed with ids the member never
got. Real SQLite files, real tesseract for the card."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from chat.app import App
from chat.views import Act
from crm.capture import Outcome
from crm.customers import EditableField
from crm.errors import ChatCrmError, NotAllowed, NotFound
from crm.inputs import CardPhoto, ChatMessage, Photos, Place, VoiceNote
from crm.model import Channel, DuplicateStatus, FollowUp, Member
from nlu.extractor import Extractor
from storage import tables as t
from tests.conftest import FakeClock, Team
from tests.support.card_flow import ZH_CARD, card, card_app, photo
from tests.support.team import join_team
from tests.support.voice import ZH_CLIP, ScriptedSpeech

PHONE = "13912345678"


async def contact_rows(engine: AsyncEngine) -> dict[int, dict[str, Any]]:
    async with engine.connect() as conn:
        result = await conn.execute(select(t.contacts).order_by(t.contacts.c.id))
        return {int(row["id"]): dict(row) for row in result.mappings()}


async def contact_without_customer(app: App, rep: Member, phone: str, email: str) -> int:
    """A rep's contact that belongs to no customer: a note with nothing in it, then a phone and an
    e-mail typed in through its card's buttons."""
    note = await app.capture.chat(rep, [ChatMessage("好的，收到", key=f"note:{phone}")])
    assert note.outcome is Outcome.NOTHING and note.interaction_id is not None
    await app.customers.edit(rep, note.interaction_id, EditableField.PHONE, phone)
    lead = await app.customers.edit(rep, note.interaction_id, EditableField.EMAIL, email)
    assert lead.customer is None and lead.contact is not None
    return lead.contact.id


async def hand_over(engine: AsyncEngine, customer_id: int, to: Member) -> None:
    """A customer and its contacts handed to another member, as when a departing rep's customers move."""
    async with engine.begin() as conn:
        await conn.execute(update(t.customers).where(t.customers.c.id == customer_id).values(owner_id=to.id))
        await conn.execute(
            update(t.contacts).where(t.contacts.c.customer_id == customer_id).values(owner_id=to.id)
        )


async def refused(call: Any) -> ChatCrmError:
    with pytest.raises((NotFound, NotAllowed)) as caught:
        await call
    return caught.value


async def test_a_capture_matching_a_colleagues_contact_without_customer_reveals_and_changes_nothing(
    app: App, team: Team, sqlite_engine: AsyncEngine
) -> None:
    theirs = await contact_without_customer(app, team.rep, PHONE, "lilei@example.com")
    before = (await contact_rows(sqlite_engine))[theirs]

    reply = await app.chat(team.rep2, [ChatMessage(f"李雷 {PHONE} 想了解你们的CRM", key="x1")])
    assert "同事" in reply.text
    assert "139" not in reply.text and "lilei" not in reply.text and not reply.all_buttons()
    result = await app.capture.chat(team.rep2, [ChatMessage(f"李雷 {PHONE} 预算20万", key="x2")])
    assert result.outcome is Outcome.COLLEAGUE and result.contact is None
    capture = result.interaction_id
    assert capture is not None
    mine = await app.capture.chat(team.rep2, [ChatMessage("远航物流有限公司 王芳 13700001111", key="x3")])
    assert mine.customer is not None

    # Every button a lead card could carry, forged with the colleague capture's id.
    await refused(app.customers.lead(team.rep2, capture))
    await refused(app.press(team.rep2, Act.EDIT_MENU, capture, ""))
    await refused(app.press(team.rep2, Act.EDIT_FIELD, capture, "phone"))
    await refused(app.customers.edit(team.rep2, capture, EditableField.EMAIL, "stolen@example.com"))
    await refused(app.customers.edit(team.rep2, capture, EditableField.PHONE, "13700009999", replace=PHONE))
    await refused(app.press(team.rep2, Act.CONFIRM, capture, ""))
    await refused(app.press(team.rep2, Act.FOLLOW_UP, capture, FollowUp.INTERESTED.value))
    await refused(app.press(team.rep2, Act.ATTACH_MENU, capture, ""))
    await refused(app.press(team.rep2, Act.ATTACH_TO, capture, str(mine.customer.id)))
    await app.command(team.rep2, "undo", "")  # the rep's own captures only
    await app.command(team.rep2, "undo", "")

    assert (await contact_rows(sqlite_engine))[theirs] == before
    member = await app.members.identify(Channel.TELEGRAM, "4")
    assert member is not None and member.awaiting is None  # no question was opened on their contact
    # Nothing the rep sent is lost: the conversation stays on the owner's contact.
    async with sqlite_engine.connect() as conn:
        linked = (
            await conn.execute(select(t.interactions.c.contact_id).where(t.interactions.c.id == capture))
        ).scalar_one()
    assert linked == theirs


async def test_a_card_of_a_colleagues_contact_cannot_be_fixed_by_forged_buttons(
    sqlite_engine: AsyncEngine, clock: FakeClock, extractor: Extractor, tmp_path: Path
) -> None:
    app, _ = card_app(sqlite_engine, clock, extractor, tmp_path)
    team = await join_team(app)
    truth = card(ZH_CARD).truth
    assert truth.mobile is not None
    theirs = await contact_without_customer(app, team.rep, truth.mobile.removeprefix("+86"), "x@example.com")
    before = (await contact_rows(sqlite_engine))[theirs]

    [reply] = (await app.photos(team.rep2, Photos((CardPhoto.of(photo(ZH_CARD)),)))).items

    assert "同事" in reply.text and "x@example.com" not in reply.text and not reply.all_buttons()
    async with sqlite_engine.connect() as conn:
        capture = (
            await conn.execute(select(t.interactions.c.id).where(t.interactions.c.author_id == team.rep2.id))
        ).scalar_one()
    await refused(app.press(team.rep2, Act.CARD_FIX, capture, "mobile"))
    await refused(app.cards.fix(team.rep2, capture, "emails", "stolen@example.com"))
    await refused(app.cards.fix(team.rep2, capture, "name", "别人"))
    assert (await contact_rows(sqlite_engine))[theirs] == before


async def test_keep_separate_and_merge_check_both_contacts(
    app: App, team: Team, sqlite_engine: AsyncEngine
) -> None:
    await app.capture.chat(team.rep, [ChatMessage("星辰科技有限公司 张伟 13812345678", key="a")])
    second = await app.capture.chat(
        team.rep2, [ChatMessage("星辰智能科技有限公司 张伟 13900002222", key="b")]
    )
    # The possible duplicate is a colleague's contact: a manager reviews it, the rep sees nothing of it.
    assert second.flagged_for_review and second.candidate is None and second.flag_id is not None

    await refused(app.press(team.rep2, Act.KEEP_SEPARATE, second.flag_id, ""))
    await refused(app.press(team.rep2, Act.MERGE, second.flag_id, ""))

    async with sqlite_engine.connect() as conn:
        status = (
            await conn.execute(
                select(t.duplicate_flags.c.status).where(t.duplicate_flags.c.id == second.flag_id)
            )
        ).scalar_one()
    assert status == DuplicateStatus.OPEN.value
    await app.press(team.manager, Act.KEEP_SEPARATE, second.flag_id, "")  # the manager may decide


async def test_undo_merge_checks_every_record_it_touches(
    app: App, team: Team, sqlite_engine: AsyncEngine
) -> None:
    first = await app.capture.chat(team.rep, [ChatMessage("星辰科技有限公司 张伟 13812345678", key="a")])
    second = await app.capture.chat(team.rep, [ChatMessage("星辰智能科技有限公司 张伟 13900002222", key="b")])
    assert first.customer and second.flag_id
    merged = await app.customers.merge(team.rep, second.flag_id)
    # The survivor's customer is handed to a colleague.
    await hand_over(sqlite_engine, first.customer.id, team.rep2)
    before = await contact_rows(sqlite_engine)

    await refused(app.press(team.rep, Act.UNDO_MERGE, merged.merge.id, ""))
    await refused(app.press(team.rep2, Act.UNDO_MERGE, merged.merge.id, ""))  # not theirs to undo

    assert await contact_rows(sqlite_engine) == before


async def test_buttons_naming_a_colleagues_records_are_refused(app: App, team: Team) -> None:
    theirs = await app.capture.chat(
        team.rep,
        [ChatMessage("你好，我是华为技术有限公司的张伟，电话 138 1234 5678，预算50万，下个月上线", key="a")],
    )
    assert theirs.customer and theirs.contact and theirs.deal and theirs.interaction_id
    spot = await app.checkins.check_in(team.rep2, Place(31.23, 121.47, "客户楼下"))

    await refused(app.press(team.rep2, Act.OPEN_CUSTOMER, theirs.customer.id, ""))
    await refused(app.press(team.rep2, Act.DEAL_OPEN, theirs.deal.id, ""))
    await refused(app.press(team.rep2, Act.DEAL_FIELD, theirs.deal.id, "budget"))
    await refused(app.press(team.rep2, Act.DEAL_ADVANCE, theirs.deal.id, ""))
    await refused(app.press(team.rep2, Act.DEAL_LOST, theirs.deal.id, ""))
    await refused(app.press(team.rep2, Act.DEAL_CHAIN, theirs.deal.id, ""))
    await refused(app.press(team.rep2, Act.DEAL_ROLE, theirs.contact.id, ""))
    await refused(app.press(team.rep2, Act.DEAL_ROLE, theirs.contact.id, "finance"))
    await refused(app.press(team.rep2, Act.DEAL_EVIDENCE_CHAT, theirs.interaction_id, "budget_confirmed"))
    await refused(app.press(team.rep2, Act.CHECKIN_AT, spot.interaction.id, str(theirs.customer.id)))
    await refused(app.press(team.rep2, Act.EDIT_MENU, theirs.interaction_id, ""))
    await refused(app.press(team.rep2, Act.ATTACH_TO, theirs.interaction_id, str(theirs.customer.id)))


async def test_minutes_on_a_customer_handed_to_a_colleague_are_no_longer_shown(
    voice_kit: tuple[App, ScriptedSpeech], sqlite_engine: AsyncEngine
) -> None:
    app, speech = voice_kit
    team = await join_team(app)
    huawei = await app.capture.chat(
        team.rep, [ChatMessage("我是华为技术有限公司的张伟，电话 13812345678", key="h")]
    )
    assert huawei.customer is not None
    speech.say("今天拜访了华为的张伟，他们预算五十万左右。")
    data = ZH_CLIP.read_bytes()

    async def fetch() -> bytes:
        return data

    result = await app.voice.process(
        team.rep, VoiceNote(fetch=fetch, key="v", filename="v.ogg", mime="audio/ogg")
    )
    assert result.minutes is not None and result.minutes.customer is not None
    minutes = result.minutes.interaction.id
    assert result.minutes.customer.id == huawei.customer.id
    await hand_over(sqlite_engine, huawei.customer.id, team.rep2)

    await refused(app.voice.minutes(team.rep, minutes))
    await refused(app.press(team.rep, Act.MINUTES_EDIT, minutes, "budget"))
    await refused(app.press(team.rep, Act.MINUTES_CUSTOMER, minutes, ""))
