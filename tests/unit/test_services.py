"""crm's services on the fake unit of work (tests/support/fake_uow.py): the use cases with no database.

The SQLite and PostgreSQL suites (tests/integration) run the same services end to end on real
databases; these are the fast ones, one rule each.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from crm.capture import CaptureService, Outcome
from crm.checkin import CheckInService
from crm.customers import CustomerService
from crm.deals import DealService, GateRefused
from crm.digest import DigestService
from crm.errors import InviteInvalid, NotFound
from crm.facts import DecisionRole
from crm.inputs import ChatMessage, Newcomer, Place, VoiceNote
from crm.linking import LinkService
from crm.members import MemberService, StartOutcome
from crm.model import (
    Channel,
    DealStatus,
    FollowUp,
    Member,
    ReminderKind,
    ReminderStatus,
    Role,
    Source,
    VoiceStatus,
)
from crm.reminders import ReminderService
from crm.stages import FieldName, default_funnel
from crm.voice import Step, VoiceService
from nlu.extractor import Extractor
from nlu.normalize import Normalizer
from storage.files import FileSpool, LocalBlobStore
from tests.conftest import FakeClock
from tests.support.fake_uow import FakeUnitOfWorkFactory
from tests.support.voice import ScriptedSpeech

CHAT = [
    ChatMessage("你好，我是华为技术有限公司的采购经理张伟，电话 138 1234 5678", sender="张伟", key="tg:1:1"),
    ChatMessage("我们预算大概30到50万，希望下个月上线", sender="张伟", key="tg:1:2"),
    ChatMessage("好的，我们下周三下午3点来拜访您", from_self=True, key="tg:1:3"),
    ChatMessage("我们承诺周五前给您报价", from_self=True, key="tg:1:4"),
]


def person(external_id: str, name: str) -> Newcomer:
    return Newcomer(Channel.TELEGRAM, external_id, external_id, name, "zh-hans")


class Crm:
    """The services on one fake database."""

    def __init__(self, clock: FakeClock, extractor: Extractor, tmp_path: Path) -> None:
        self.uow = FakeUnitOfWorkFactory()
        normalizer = Normalizer()
        self.members = MemberService(self.uow, clock)
        self.capture = CaptureService(self.uow, clock, extractor, normalizer, FileSpool(tmp_path / "spool"))
        self.customers = CustomerService(self.uow, clock, normalizer)
        self.reminders = ReminderService(self.uow, clock)
        self.uow.subscribe(self.reminders.committed)
        self.deals = DealService(self.uow, clock, extractor, normalizer)
        self.digests = DigestService(self.uow, clock)
        self.checkins = CheckInService(self.uow, clock)
        self.links = LinkService(self.uow, clock)
        self.speech = ScriptedSpeech()
        self.voice = VoiceService(
            self.uow,
            clock,
            extractor,
            normalizer,
            FileSpool(tmp_path / "spool"),
            self.members,
            blobs=LocalBlobStore(tmp_path / "files"),
            speech=self.speech,
        )

    async def team(self) -> tuple[Member, Member, Member]:
        """An admin (who founded the team) and two reps who joined by invite."""
        admin = (await self.members.start(person("1", "Admin"), None)).member
        assert admin is not None
        reps = []
        for external_id in ("3", "4"):
            invite = await self.members.invite(admin, Role.REP)
            rep = (await self.members.start(person(external_id, f"rep{external_id}"), invite.code)).member
            assert rep is not None
            reps.append(rep)
        return admin, reps[0], reps[1]


@pytest.fixture
async def crm(clock: FakeClock, extractor: Extractor, tmp_path: Path) -> Crm:
    return Crm(clock, extractor, tmp_path)


# --- members and channels ----------------------------------------------------------------------


async def test_the_first_start_founds_a_team_and_a_stranger_stores_nothing(crm: Crm) -> None:
    founded = await crm.members.start(person("1", "Admin"), None)
    stranger = await crm.members.start(person("9", "Nobody"), None)

    assert founded.outcome is StartOutcome.FOUNDED and founded.member is not None
    assert founded.member.role is Role.ADMIN
    assert stranger.outcome is StartOutcome.UNKNOWN and stranger.member is None
    assert await crm.members.identify(Channel.TELEGRAM, "9") is None
    with pytest.raises(InviteInvalid):
        await crm.members.start(person("9", "Nobody"), "no-such-code")


async def test_a_link_code_adds_the_other_channel_to_the_same_member(crm: Crm) -> None:
    admin, _, _ = await crm.team()
    link = await crm.links.issue(admin)
    wechat = Newcomer(Channel.WECHAT, "o-admin", "o-admin", "")

    linked = await crm.links.redeem(wechat, link.code.lower())

    assert linked.id == admin.id
    assert (await crm.members.identify(Channel.WECHAT, "o-admin")) is not None
    with pytest.raises(InviteInvalid):  # used once
        await crm.links.redeem(Newcomer(Channel.WECOM, "u1", "u1", ""), link.code)


async def test_a_check_in_lands_on_the_customer_captured_last(crm: Crm, clock: FakeClock) -> None:
    _, rep, _ = await crm.team()
    lead = await crm.capture.chat(rep, CHAT)
    clock.advance(hours=2)

    checked = await crm.checkins.check_in(rep, Place(22.54, 113.95, "华为坂田基地"), key="wx:1")
    again = await crm.checkins.check_in(rep, Place(22.54, 113.95, "华为坂田基地"), key="wx:1")

    assert lead.customer is not None and checked.customer is not None
    assert checked.customer.id == lead.customer.id
    assert checked.interaction.source is Source.LOCATION and "华为坂田基地" in checked.interaction.content
    assert again.repeated


# --- capture and corrections --------------------------------------------------------------------


async def test_a_forwarded_chat_becomes_a_lead_with_its_first_deal(crm: Crm) -> None:
    _, rep, _ = await crm.team()

    result = await crm.capture.chat(rep, CHAT)

    assert result.outcome is Outcome.CREATED
    assert result.customer is not None and result.customer.name == "华为技术有限公司"
    assert result.contact is not None and result.contact.phones == ["+8613812345678"]
    assert result.deal is not None and (result.deal.stage, result.deal.status) == ("lead", DealStatus.OPEN)
    assert result.customer.follow_up is FollowUp.MEETING
    assert sorted(r.kind for r in result.reminders) == sorted([ReminderKind.MEETING, ReminderKind.COMMITMENT])
    again = await crm.capture.chat(rep, CHAT)
    assert again.outcome is Outcome.REPEATED


async def test_a_capture_s_reminders_wake_the_scheduler_once_committed(crm: Crm, clock: FakeClock) -> None:
    _, rep, _ = await crm.team()
    later = clock.now() + timedelta(days=365)  # the scheduler planned to look again much later
    assert not await crm.reminders.wakeup.sleep(later, 0.01)

    await crm.capture.chat(rep, CHAT)

    assert await crm.reminders.wakeup.sleep(later, 0.01)


async def test_the_same_phone_attaches_and_a_colleague_s_customer_stays_hidden(crm: Crm) -> None:
    _, rep, rep2 = await crm.team()
    await crm.capture.chat(rep, CHAT)

    later = await crm.capture.chat(rep, [ChatMessage("张工 13812345678 邮箱 zw@huawei.com", key="k2")])
    other = await crm.capture.chat(rep2, [ChatMessage("张伟 13812345678 说下周要报价", key="k3")])

    assert later.outcome is Outcome.UPDATED and later.match is not None and later.match.reason == "phone"
    assert later.contact is not None and later.contact.emails == ["zw@huawei.com"]
    assert other.outcome is Outcome.COLLEAGUE and other.customer is None and other.contact is None


async def test_undo_takes_back_the_capture_and_its_reminders(crm: Crm) -> None:
    _, rep, _ = await crm.team()
    captured = await crm.capture.chat(rep, CHAT)

    undone = await crm.customers.undo_last_capture(rep)

    assert captured.customer is not None and captured.contact is not None and captured.deal is not None
    assert set(undone.undone.archived) == {
        ("customer", captured.customer.id),
        ("contact", captured.contact.id),
        ("deal", captured.deal.id),
    }
    assert await crm.customers.find(rep, "华为") == []
    assert all(r.reminder.status is not ReminderStatus.PENDING for r in await crm.reminders.open_for(rep))
    with pytest.raises(NotFound):
        await crm.customers.undo_last_capture(rep)


# --- reminders ----------------------------------------------------------------------------------


async def test_snoozing_moves_the_reminder_and_done_closes_its_commitment(crm: Crm, clock: FakeClock) -> None:
    _, rep, _ = await crm.team()
    captured = await crm.capture.chat(rep, CHAT)
    commitment = next(r for r in captured.reminders if r.kind is ReminderKind.COMMITMENT)

    moved = await crm.reminders.snooze(rep, commitment.id, "1h")
    closed = await crm.reminders.done(rep, commitment.id)

    assert moved.reminder.due_at == clock.now() + timedelta(hours=1)
    assert closed.reminder.status is ReminderStatus.DONE
    card = await crm.customers.lead(rep, captured.interaction_id or 0)
    assert [c.done_at is not None for c in card.commitments] == [True]
    with pytest.raises(NotFound):
        await crm.reminders.done(rep, commitment.id)


# --- deals --------------------------------------------------------------------------------------


async def test_a_gate_says_what_is_missing_and_opens_once_it_is_given(crm: Crm) -> None:
    _, rep, _ = await crm.team()
    lead = await crm.capture.chat(rep, [ChatMessage("华为 张伟 13812345678", key="k1")])
    assert lead.deal is not None

    with pytest.raises(GateRefused) as refused:
        await crm.deals.advance(rep, lead.deal.id)
    await crm.deals.set_field(rep, lead.deal.id, FieldName.BUDGET, "50万")
    await crm.deals.set_field(rep, lead.deal.id, FieldName.TIMELINE, "明年3月上线")
    advanced = await crm.deals.advance(rep, lead.deal.id)

    assert [r.key for r in refused.value.missing] == ["budget", "timeline"]
    assert (advanced.from_stage, advanced.to_stage) == ("lead", "requirements")
    assert advanced.view.deal.amount_cny == 500_000


async def test_a_lost_deal_keeps_its_reason_and_a_role_names_the_contact(crm: Crm) -> None:
    _, rep, _ = await crm.team()
    lead = await crm.capture.chat(rep, [ChatMessage("华为 张伟 13812345678", key="k1")])
    assert lead.deal is not None

    role = await crm.deals.role_statement(rep, "张伟是采购负责人", lead.deal.id)
    lost = await crm.deals.lose(rep, lead.deal.id, "价格太高")

    assert role is not None and role.contact.decision_role is DecisionRole.PROCUREMENT and not role.created
    assert lost.to_stage == "lost" and lost.view.deal.lost_reason == "价格太高"
    assert lost.view.deal.status is DealStatus.LOST


async def test_the_digest_counts_deals_stalled_past_their_stage_s_threshold(
    crm: Crm, clock: FakeClock
) -> None:
    admin, rep, _ = await crm.team()
    await crm.capture.chat(rep, [ChatMessage("华为 张伟 13812345678", key="k1")])
    clock.advance(days=5, hours=1)
    fresh = await crm.digests.team(admin.team_id)
    clock.advance(days=1)
    later = await crm.digests.team(admin.team_id)

    assert default_funnel().stall_days_for("lead") == 5
    assert (fresh.total_open, fresh.stalled_total) == (1, 0)
    assert later.stalled_total == 1 and later.stalled[0].health.stalled


# --- voice notes --------------------------------------------------------------------------------


async def test_a_voice_note_takes_three_units_of_work_and_ends_done(crm: Crm) -> None:
    _, rep, _ = await crm.team()
    await crm.capture.chat(rep, [ChatMessage("华为 王经理 13812345678", key="k1")])
    crm.speech.say("今天拜访了华为的王经理，预算50万，下周三再约。")

    async def fetch() -> bytes:
        return b"OggS recording"

    crm.uow.opened.clear()
    result = await crm.voice.process(
        rep, VoiceNote(fetch=fetch, key="tg:1:5", filename="v.ogg", duration=8.0)
    )
    await crm.voice.aclose()

    assert result.step is Step.MINUTES and result.minutes is not None
    assert result.minutes.customer is not None and result.minutes.customer.name == "华为"
    assert result.minutes.interaction.voice_status is VoiceStatus.DONE
    assert crm.uow.opened == ["write", "read", "write"]  # accept, transcribe, record
    assert crm.speech.calls[0].prompt is not None and "华为" in crm.speech.calls[0].prompt
