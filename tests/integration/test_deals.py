"""The deal service on SQLite and PostgreSQL: gates, evidence stored once, roles, overrides with their
audit, lost deals, visibility, stage configuration, and the aggregate snapshots the digest reads."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from chat.app import App
from chat.views import Act
from crm.deals import GateRefused
from crm.errors import InputRejected, NotAllowed, NotFound
from crm.facts import DecisionRole
from crm.inputs import ChatMessage
from crm.model import DealStatus, Member
from crm.stages import FieldName, StageConfigError
from nlu.extractor import Extractor
from storage import tables as t
from tests.conftest import FakeClock, Team
from tests.support.deals import docx, make_deals_app, pdf, upload

CHAT = "我是华为技术有限公司的采购经理张伟，电话 138 1234 5678"
CHAT_WITH_BUDGET = CHAT + "。预算大概50万，希望明年3月上线"


@pytest.fixture
def app(any_engine: AsyncEngine, clock: FakeClock, extractor: Extractor, tmp_path: Path) -> App:
    return make_deals_app(any_engine, clock, extractor, tmp_path)


async def count(engine: AsyncEngine, table: Table) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


async def new_deal(app: App, rep: Member, text: str = CHAT) -> int:
    result = await app.capture.chat(rep, [ChatMessage(text=text, sender="张伟")])
    assert result.deal is not None
    return result.deal.id


async def test_the_gate_refuses_with_exactly_what_is_missing(app: App, team: Team) -> None:
    deal_id = await new_deal(app, team.rep)
    with pytest.raises(GateRefused) as refused:
        await app.deals.advance(team.rep, deal_id)
    assert refused.value.target == "requirements"
    assert [r.key for r in refused.value.missing] == ["budget", "timeline"]

    await app.deals.set_field(team.rep, deal_id, FieldName.BUDGET, "50万")
    with pytest.raises(GateRefused) as refused:
        await app.deals.advance(team.rep, deal_id)
    assert [r.key for r in refused.value.missing] == ["timeline"]

    await app.deals.set_field(team.rep, deal_id, FieldName.TIMELINE, "明年3月上线")
    result = await app.deals.advance(team.rep, deal_id)
    assert (result.from_stage, result.to_stage) == ("lead", "requirements")
    assert result.view.deal.stage == "requirements" and result.view.health.days_in_stage == 0

    # Two stages at once need the criteria of both: the requirement confirmation is missing.
    with pytest.raises(GateRefused) as refused:
        await app.deals.advance(team.rep, deal_id, "decision_chain")
    assert [r.key for r in refused.value.missing] == [
        "requirement_confirmation",
        "proposal",
        "solution_confirmation",
    ]


async def test_evidence_is_stored_once_and_confirmed_with_one_button(
    app: App, team: Team, any_engine: AsyncEngine, tmp_path: Path
) -> None:
    deal_id = await new_deal(app, team.rep, CHAT_WITH_BUDGET)
    await app.deals.advance(team.rep, deal_id)
    data = pdf("需求确认书", "客户签字：张伟", "Requirement confirmation")
    offer = await app.deals.receive_file(team.rep, upload(data, "scan_0012.pdf", caption=f"#D{deal_id}"))
    assert offer.deal is not None and offer.deal.id == deal_id
    assert offer.guess is not None and offer.guess.key == "requirement_confirmation"  # from the PDF's text
    assert offer.evidence is not None and offer.new_file
    view = await app.deals.confirm_evidence(team.rep, offer.evidence.id, "requirement_confirmation")
    assert "requirement_confirmation" in view.snapshot.evidence
    assert view.health.completeness == 100

    again = await app.deals.receive_file(team.rep, upload(data, "copy.pdf", caption=f"#D{deal_id}"))
    assert again.duplicate is not None and again.evidence is None and not again.new_file
    assert await count(any_engine, t.files) == 1
    assert await count(any_engine, t.deal_evidence) == 1
    stored = list((tmp_path / "files").rglob("*.pdf"))
    assert len(stored) == 1 and stored[0].read_bytes() == data
    async with any_engine.connect() as conn:
        row = (await conn.execute(select(t.files))).mappings().one()
    assert row["size"] == len(data) and row["mime"] == "application/pdf" and len(row["sha256"]) == 64

    with pytest.raises(InputRejected):
        await app.deals.confirm_evidence(team.rep, offer.evidence.id, "proposal")  # already decided


async def test_a_file_for_an_unknown_deal_asks_which_deal(app: App, team: Team) -> None:
    first = await new_deal(app, team.rep)
    second = await new_deal(app, team.rep, "我是星辰科技的王芳，13911112222")
    offer = await app.deals.receive_file(team.rep, upload(docx("解决方案", "痛点对照表"), "方案.docx"))
    assert offer.deal is None and {d.id for d, _ in offer.candidates} == {first, second}
    assert offer.evidence is not None
    chosen = await app.deals.evidence_for_deal(team.rep, offer.evidence.id, second)
    assert chosen.deal is not None and chosen.deal.id == second
    assert chosen.guess is not None and chosen.guess.key == "proposal"


async def test_roles_from_what_the_rep_says(app: App, team: Team, any_engine: AsyncEngine) -> None:
    deal_id = await new_deal(app, team.rep)
    contacts_before = await count(any_engine, t.contacts)
    outcome = await app.deals.role_statement(team.rep, "王总是财务负责人", deal_id)
    assert outcome is not None and outcome.created and outcome.role is DecisionRole.FINANCE
    assert outcome.contact.name == "王总"
    # 张伟 is the contact the capture made: his role is set, no new contact.
    outcome = await app.deals.role_statement(team.rep, "张伟是采购负责人", None)
    assert outcome is not None and not outcome.created and outcome.contact.name == "张伟"
    assert outcome.view is not None
    assert outcome.view.snapshot.roles == {DecisionRole.FINANCE, DecisionRole.PROCUREMENT}
    assert (outcome.view.health.roles_engaged, outcome.view.health.roles_required) == (2, 3)
    assert await count(any_engine, t.contacts) == contacts_before + 1
    assert await app.deals.role_statement(team.rep, "明天下午开会", deal_id) is None


async def test_a_manager_override_is_recorded_with_its_reason(
    app: App, team: Team, any_engine: AsyncEngine
) -> None:
    deal_id = await new_deal(app, team.rep, CHAT_WITH_BUDGET)
    await app.deals.advance(team.rep, deal_id)
    with pytest.raises(NotAllowed):
        await app.deals.advance(team.rep, deal_id, override="客户口头确认")
    result = await app.deals.advance(team.manager, deal_id, override="客户口头确认，书面稍后补")
    assert result.to_stage == "solution"
    assert [r.key for r in result.overridden] == ["requirement_confirmation"]
    async with any_engine.connect() as conn:
        changes = (
            (await conn.execute(select(t.deal_stage_changes).order_by(t.deal_stage_changes.c.id)))
            .mappings()
            .all()
        )
        audit = (
            (await conn.execute(select(t.audit).where(t.audit.c.action == "deal.override"))).mappings().one()
        )
    assert [(c["from_stage"], c["to_stage"], c["actor_id"]) for c in changes] == [
        ("lead", "requirements", team.rep.id),
        ("requirements", "solution", team.manager.id),
    ]
    assert changes[1]["override_reason"] == "客户口头确认，书面稍后补"
    assert changes[1]["missing"] == ["requirement_confirmation"]
    assert changes[0]["override_reason"] is None
    assert audit["actor_id"] == team.manager.id and audit["detail"]["missing"] == ["requirement_confirmation"]


async def test_lost_with_a_reason_and_a_closed_deal_stays_closed(
    app: App, team: Team, any_engine: AsyncEngine
) -> None:
    deal_id = await new_deal(app, team.rep)
    with pytest.raises(InputRejected):
        await app.deals.lose(team.rep, deal_id, "   ")
    result = await app.deals.lose(team.rep, deal_id, "价格太高，选了竞品")
    assert result.view.deal.status is DealStatus.LOST
    assert result.view.deal.lost_reason == "价格太高，选了竞品"
    with pytest.raises(InputRejected) as closed:
        await app.deals.advance(team.manager, deal_id, override="再试试")
    assert closed.value.key == "deal.closed.lost"
    async with any_engine.connect() as conn:
        change = (await conn.execute(select(t.deal_stage_changes))).mappings().one()
    assert change["to_status"] == "lost" and change["lost_reason"] == "价格太高，选了竞品"


async def test_a_rep_cannot_touch_a_colleague_s_deal(app: App, team: Team, any_engine: AsyncEngine) -> None:
    deal_id = await new_deal(app, team.rep)
    with pytest.raises(NotFound):
        await app.deals.receive_file(team.rep2, upload(pdf("合同"), "合同.pdf", caption=f"#D{deal_id} 合同"))
    with pytest.raises(NotFound):
        await app.deals.advance(team.rep2, deal_id)
    with pytest.raises(NotFound):
        await app.deals.view(team.rep2, deal_id)
    assert await count(any_engine, t.files) == 0
    assert await count(any_engine, t.deal_evidence) == 0
    assert (await app.deals.view(team.manager, deal_id)).deal.id == deal_id


TWO_STAGES = """
stall_days = 3
[[stage]]
key = "lead"
zh = "线索"
en = "Lead"
requires = ["deck"]
[[stage]]
key = "pitch"
zh = "演示"
en = "Pitch"
[requirement.deck]
kind = "evidence"
zh = "演示文稿"
en = "Deck"
keywords = ["deck"]
"""


async def test_stage_configuration_is_validated_against_open_deals(app: App, team: Team) -> None:
    deal_id = await new_deal(app, team.rep, CHAT_WITH_BUDGET)
    await app.deals.advance(team.rep, deal_id)  # now in "requirements", which TWO_STAGES drops
    with pytest.raises(NotAllowed):
        await app.deals.load_stages(team.manager, team.admin.team_id, TWO_STAGES)
    with pytest.raises(StageConfigError) as refused:
        await app.deals.load_stages(team.admin, team.admin.team_id, TWO_STAGES)
    assert [(p.key, dict(p.params)) for p in refused.value.problems] == [
        ("stages.problem.open_deals", {"key": "requirements", "count": 1})
    ]
    assert (await app.deals.funnel(team.admin.team_id)).stages[1].key == "requirements"  # unchanged

    await app.deals.advance(team.rep, deal_id, "lead")  # moving back needs nothing
    funnel = await app.deals.load_stages(team.admin, team.admin.team_id, TWO_STAGES)
    assert [s.key for s in funnel.stages] == ["lead", "pitch"] and funnel.stall_days == 3
    with pytest.raises(GateRefused) as gate:
        await app.deals.advance(team.rep, deal_id)
    assert [r.key for r in gate.value.missing] == ["deck"]


async def test_snapshots_aggregate_what_the_health_needs(app: App, team: Team, clock: FakeClock) -> None:
    rich = await new_deal(app, team.rep, CHAT_WITH_BUDGET + "。我们周五前把报价发给您")
    plain = await new_deal(app, team.rep2, "我是星辰科技的王芳，13911112222")
    await app.deals.role_statement(team.rep, "李工是技术负责人", rich)
    offer = await app.deals.receive_file(team.rep, upload(pdf("合同草稿"), "合同.pdf", caption=f"#D{rich}"))
    assert offer.evidence is not None
    await app.deals.confirm_evidence(team.rep, offer.evidence.id, "contract_draft")
    clock.advance(days=9)
    now = clock.now()
    keys = (await app.deals.funnel(team.rep.team_id)).evidence_keys()
    async with app.ports.uow(read_only=True) as uow:
        team_wide = {
            s.deal_id: s for s in await uow.deal_queries.snapshots(team.rep.team_id, None, now, keys)
        }
        own = await uow.deal_queries.snapshots(team.rep.team_id, team.rep2.id, now, keys)
        counts = await uow.deal_queries.stage_counts(team.rep.team_id, None)
    assert set(team_wide) == {rich, plain} and [s.deal_id for s in own] == [plain]
    snapshot = team_wide[rich]
    assert snapshot.has_budget and snapshot.has_timeline and snapshot.customer_name == "华为技术有限公司"
    assert snapshot.evidence == {"contract_draft"}
    assert snapshot.roles == {DecisionRole.TECHNICAL}
    assert snapshot.overdue_commitments == 1  # the quote promised by Friday
    assert snapshot.last_interaction_at is not None and now - snapshot.last_interaction_at >= timedelta(
        days=9
    )
    assert not team_wide[plain].has_budget and team_wide[plain].overdue_commitments == 0
    assert counts == {"lead": 2}


async def test_a_forwarded_chat_on_a_deal_is_offered_as_evidence(
    app: App, team: Team, any_engine: AsyncEngine
) -> None:
    deal_id = await new_deal(app, team.rep, CHAT_WITH_BUDGET)
    # The same customer (same phone) confirms the proposal in a later chat: a capture on the same deal.
    reply = await app.chat(
        team.rep, [ChatMessage(text="张伟 13812345678：方案没问题，我们确认方案", sender="张伟")]
    )
    assert f"可以作为 #D{deal_id} 的证据" in reply.text
    (button,) = [b for b in reply.all_buttons() if b.act is Act.DEAL_EVIDENCE_CHAT]
    assert button.arg == "solution_confirmation"
    confirmed = await app.press(team.rep, button.act, button.target, button.arg)
    assert "✅ 已记为" in confirmed.text and "客户对方案的确认" in confirmed.text
    async with any_engine.connect() as conn:
        row = (await conn.execute(select(t.deal_evidence))).mappings().one()
    assert (row["kind"], row["status"], row["requirement"]) == ("text", "confirmed", "solution_confirmation")
    assert row["interaction_id"] == button.target
    # A chat without evidence words gets no such button.
    plain = await app.chat(team.rep, [ChatMessage(text="张伟 13812345678：下周三下午见", sender="张伟")])
    assert not [b for b in plain.all_buttons() if b.act is Act.DEAL_EVIDENCE_CHAT]


@pytest.mark.parametrize(
    ("args", "stage"),
    [
        ("", "requirements"),
        ("华为", "requirements"),
        ("华为 需求锁定", "requirements"),
        ("#D1 2", "requirements"),
    ],
)
async def test_the_advance_command(app: App, team: Team, args: str, stage: str) -> None:
    await new_deal(app, team.rep, CHAT_WITH_BUDGET)
    reply = await app.command(team.rep, "advance", args)
    assert "✅ #D1 已推进" in reply.text
    assert (await app.deals.view(team.rep, 1)).deal.stage == stage


async def test_a_new_leads_chat_mentioning_a_proposal_in_passing_is_no_evidence(app: App, team: Team) -> None:
    reply = await app.chat(
        team.rep,
        [
            ChatMessage(
                text="我是星辰科技的王芳 13911112222，预算50万，年底前上线。下周二我带上方案来拜访",
                sender="王芳",
            )
        ],
    )
    assert "新线索" in reply.text
    assert not [b for b in reply.all_buttons() if b.act is Act.DEAL_EVIDENCE_CHAT]
