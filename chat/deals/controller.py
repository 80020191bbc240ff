"""Deals as the channels see them: commands (/deals /deal /advance /pipeline /digest /stages), buttons
on deal cards and digests, typed "推进到方案匹配" and "王总是财务负责人", replies to a deal card, files as
evidence, and the evidence offer on a captured chat's lead card. Every decision is made here or in the
services, never in a handler.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from chat.deals import view as present
from chat.deals.charts import FunnelCharts
from chat.delivery import deliver
from chat.leads.view import Annotations
from chat.messages import t
from chat.ports import Notifier
from chat.registry import Registry
from chat.views import Act, Button, Reply, rows, text
from crm import evidence as ev
from crm.capture import CaptureResult, Outcome
from crm.deals import DealService, GateRefused
from crm.digest import OFF, DigestService
from crm.errors import InputRejected, NotAllowed
from crm.facts import DecisionRole
from crm.inputs import Upload
from crm.members import MemberService
from crm.model import DealStatus, Member, Role
from crm.stages import WON, FieldName, StageConfigError, parse_bytes

logger = logging.getLogger(__name__)

# "推进到方案匹配", "华为 推进到 ③", "把#D12推进到赢单"; the stage must name one of the team's stages.
_ADVANCE_ZH = re.compile(
    r"^(?:把\s*)?(?P<deal>.*?)\s*(?:推进到|推进至|推到|进入到|进入|进到|移到|转到)\s*(?P<stage>[^\n，。,.!！?？]{1,30}?)\s*[。.!！]?$"
)
_ADVANCE_EN = re.compile(
    r"^(?:advance|move)\s+(?P<deal>.*?)\s*\bto\s+(?P<stage>[^\n]{1,40}?)\s*[.!]?$", re.IGNORECASE
)
_LOST = re.compile(
    r"^(?P<deal>.*?)\s*(?:丢单了?|输单了?|\blost\b)\s*[:：,，]?\s*(?P<reason>.*)$", re.IGNORECASE
)
# "王总是财务负责人", "李工负责技术", "Li is their CTO": a short line saying who someone is.
_ROLE_ZH = re.compile(r"^\S{1,10}?(?:是|为|负责|担任|管|分管)")
_ROLE_EN = re.compile(r"^[A-Z][A-Za-z.\-]*(?:\s+[A-Z][A-Za-z.\-]*)?\s+(?:is|'s)\s+", re.IGNORECASE)
_NOT_ROLE = re.compile(r"^(?:我|我们|这|那|他们|她们|I\b|I'm|we\b|this\b|that\b|it\b)", re.IGNORECASE)
_CONTACT_DATA = re.compile(r"\d{5,}|@")
ROLE_LINE_LIMIT = 40
COMMAND_LINE_LIMIT = 120


class Deals:
    """The deals feature: its commands, buttons, pending answers, typed text and files."""

    def __init__(
        self,
        deals: DealService,
        digests: DigestService,
        members: MemberService,
        charts: FunnelCharts,
        notifier: Notifier | None,
    ) -> None:
        self.deals = deals
        self.digests = digests
        self.members = members
        self.charts = charts
        self.notifier = notifier

    def register(self, registry: Registry) -> None:
        registry.commands(
            {
                "deals": self.list_deals,
                "deal": self.open_deal,
                "advance": self.advance_command,
                "pipeline": self.pipeline,
                "digest": self.digest,
                "stages": self.stages,
            }
        )
        registry.buttons(
            {
                Act.DEAL_OPEN: self._open,
                Act.DEAL_ADVANCE: self._advance,
                Act.DEAL_OVERRIDE: self._override,
                Act.DEAL_LOST: self._lost,
                Act.DEAL_FIELD: self._field,
                Act.DEAL_DECLARE: self._declare,
                Act.DEAL_CHAIN: self._chain,
                Act.DEAL_ROLE: self._role,
                Act.DEAL_EVIDENCE: self._evidence,
                Act.DEAL_EVIDENCE_DEAL: self._evidence_deal,
                Act.DEAL_EVIDENCE_CHAT: self._evidence_chat,
                Act.DEAL_PING: self._ping,
            }
        )
        registry.awaiting("deal_override", self._answer_override)
        registry.awaiting("deal_lost", self._answer_lost)
        registry.awaiting("deal_field", self._answer_field)
        registry.recognizer(self.recognize)
        registry.files(self.upload)
        # A photo no route took (neither evidence nor a card): how to make it evidence.
        registry.otherwise(file=self._unclaimed)

    # --- commands -------------------------------------------------------------------------------

    async def list_deals(self, actor: Member, args: str) -> Reply:
        funnel = await self.deals.funnel(actor.team_id)
        return present.deal_list(actor, funnel, await self.deals.listing(actor, args))

    async def open_deal(self, actor: Member, args: str) -> Reply:
        if not args.strip():
            return Reply(t(actor.lang, "deal.usage"))
        found = await self.deals.find(actor, args)
        if found.deal_id is None:
            return present.deal_choices(actor, found.candidates, Act.DEAL_OPEN, "", "deal.choose")
        return present.deal_card(actor, await self.deals.view(actor, found.deal_id))

    async def advance_command(self, actor: Member, args: str) -> Reply:
        """/advance [deal] [stage]: the next stage when none is named."""
        funnel = await self.deals.funnel(actor.team_id)
        words = args.split()
        deal_text, target = args, None
        for cut in range(len(words)):
            stage = funnel.find_stage(" ".join(words[cut:]))
            if stage is not None:
                deal_text, target = " ".join(words[:cut]), stage
                break
        return await self._advance_named(actor, deal_text, None, target)

    async def _advance_named(
        self, actor: Member, deal_text: str, reply_to: str | None, target: str | None
    ) -> Reply:
        found = await self.deals.resolve(actor, deal_text or None, reply_to)
        if found.deal_id is None:
            return present.deal_choices(
                actor, found.candidates, Act.DEAL_ADVANCE, target or "", "deal.choose.advance"
            )
        return await self._advance(actor, found.deal_id, target or "")

    async def pipeline(self, actor: Member, _args: str) -> Reply:
        funnel, counts = await self.deals.counts(actor)
        chart = await self.charts.draw(
            funnel,
            [(s, counts.get(s.key, 0)) for s in funnel.stages],
            actor.lang,
            t(actor.lang, "pipeline.chart"),
        )
        return present.pipeline(actor, funnel, counts, chart)

    async def digest(self, actor: Member, args: str) -> Reply:
        """/digest: today's digest now; /digest HH:MM, off, on: when the morning one comes."""
        value = args.strip().lower()
        if value:
            if value in ("on", "开", "开启"):
                chosen = await self.digests.set_time(actor, None)
            elif value in (OFF, "关", "关闭"):
                chosen = await self.digests.set_time(actor, OFF)
            else:
                chosen = await self.digests.set_time(actor, value)
            if chosen is None:
                return Reply(t(actor.lang, "digest.turned_off"))
            return Reply(t(actor.lang, "digest.time_set", time=chosen.strftime("%H:%M")))
        if actor.role.sees_team:
            team = await self.digests.team(actor.team_id)
            chart = await self.charts.draw(
                team.funnel, team.counts, actor.lang, t(actor.lang, "pipeline.chart")
            )
            return present.team_digest(actor, team, chart)
        return present.rep_digest(actor, await self.digests.rep(actor))

    async def stages(self, actor: Member, _args: str) -> Reply:
        funnel, custom = await self.deals.stages(actor.team_id)
        return present.stages_show(actor, funnel, custom=custom)

    # --- buttons ------------------------------------------------------------------------------

    async def _open(self, actor: Member, target: int, _arg: str) -> Reply:
        return present.deal_card(actor, await self.deals.view(actor, target))

    async def _advance(self, actor: Member, target: int, arg: str) -> Reply:
        try:
            result = await self.deals.advance(actor, target, arg or None)
        except GateRefused as refused:
            return present.gate_refused(actor, refused)
        return present.advanced(actor, result)

    async def _override(self, actor: Member, target: int, arg: str) -> Reply:
        if not actor.role.sees_team:
            raise NotAllowed("deal.override.not_allowed")
        await self.deals.check_open(actor, target)
        await self.members.set_awaiting(actor, {"kind": "deal_override", "deal": target, "stage": arg})
        return Reply(t(actor.lang, "deal.override.prompt", deal=ev.tag(target)))

    async def _lost(self, actor: Member, target: int, _arg: str) -> Reply:
        await self.deals.check_open(actor, target)
        await self.members.set_awaiting(actor, {"kind": "deal_lost", "deal": target})
        return Reply(t(actor.lang, "deal.lost.prompt", deal=ev.tag(target)))

    async def _field(self, actor: Member, target: int, arg: str) -> Reply:
        name = FieldName(arg)
        await self.deals.view(actor, target)
        await self.members.set_awaiting(actor, {"kind": "deal_field", "deal": target, "field": name.value})
        return Reply(t(actor.lang, f"deal.field.prompt.{name.value}", deal=ev.tag(target)))

    async def _declare(self, actor: Member, target: int, arg: str) -> Reply:
        view = await self.deals.declare(actor, target, arg)
        return present.evidence_confirmed(actor, view, arg)

    async def _chain(self, actor: Member, target: int, _arg: str) -> Reply:
        return present.chain_menu(actor, await self.deals.view(actor, target))

    async def _role(self, actor: Member, target: int, arg: str) -> Reply:
        if not arg:
            return present.role_menu(actor, await self.deals.contact(actor, target))
        role = None if arg == "-" else DecisionRole(arg)
        contact, view = await self.deals.set_role(actor, target, role)
        if role is None:
            headline = t(actor.lang, "role.cleared", name=contact.name or "?")
        else:
            headline = t(
                actor.lang, "role.set", name=contact.name or "?", role=present.role_name(actor.lang, role)
            )
        return present.deal_card(actor, view, headline=headline) if view else Reply(headline)

    async def _evidence(self, actor: Member, target: int, arg: str) -> Reply:
        if arg == "-":
            await self.deals.discard_evidence(actor, target)
            return Reply(t(actor.lang, "evidence.discarded"), replace=True)
        view = await self.deals.confirm_evidence(actor, target, arg)
        return present.evidence_confirmed(actor, view, arg)

    async def _evidence_deal(self, actor: Member, target: int, arg: str) -> Reply:
        offer = await self.deals.evidence_for_deal(actor, target, int(arg))
        return present.evidence_offer(actor, offer)

    async def _evidence_chat(self, actor: Member, target: int, arg: str) -> Reply:
        view = await self.deals.evidence_from_capture(actor, target, arg)
        return present.evidence_confirmed(actor, view, arg)

    async def _ping(self, actor: Member, target: int, _arg: str) -> Reply:
        """A manager asks a deal's owner to follow it up; the owner gets a message on their channel."""
        if not actor.role.sees_team:
            raise NotAllowed()
        view = await self.deals.view(actor, target)
        owner = view.owner
        delivered = False
        if owner is not None and self.notifier is not None:
            identities = await self.members.identities(owner.id)
            reply = present.ping(owner, actor, view)
            delivered = (
                await deliver(self.notifier, identities, reply, what=f"ping for deal {target}") is not None
            )
        await self.deals.pinged(actor, target, delivered)
        key = "deal.ping.sent" if delivered else "deal.ping.failed"
        return Reply(t(actor.lang, key, owner=owner.name if owner else "?", deal=ev.tag(target)))

    # --- pending answers ------------------------------------------------------------------------

    async def _answer_override(self, actor: Member, awaiting: dict[str, Any], text: str) -> Reply:
        deal_id, stage = int(awaiting["deal"]), str(awaiting.get("stage") or "") or None
        result = await self.deals.advance(actor, deal_id, stage, override=text)
        await self.members.set_awaiting(actor, None)
        return present.advanced(actor, result)

    async def _answer_lost(self, actor: Member, awaiting: dict[str, Any], text: str) -> Reply:
        result = await self.deals.lose(actor, int(awaiting["deal"]), text)
        await self.members.set_awaiting(actor, None)
        return present.advanced(actor, result)

    async def _answer_field(self, actor: Member, awaiting: dict[str, Any], text: str) -> Reply:
        name = FieldName(str(awaiting["field"]))
        view = await self.deals.set_field(actor, int(awaiting["deal"]), name, text)
        await self.members.set_awaiting(actor, None)
        return present.deal_card(actor, view, headline=t(actor.lang, f"deal.field.set.{name.value}"))

    # --- typed text -------------------------------------------------------------------------------

    async def recognize(
        self, actor: Member, text: str, reply_to: str | None, key: str | None
    ) -> Reply | None:
        """Typed text the deals feature answers instead of a capture: "推进到方案匹配", "丢单：价格太高" on a
        deal, "王总是财务负责人", and anything sent in reply to a deal card (or starting with its tag).
        A forwarded customer chat never comes here (it is a capture), so a chat mentioning 方案 stays one."""
        line = text.strip()
        context = ev.deal_tag(reply_to) or ev.deal_tag(line)
        if "\n" not in line and len(line) <= COMMAND_LINE_LIMIT:
            reply = await self._command_line(actor, line, reply_to, context)
            if reply is not None:
                return reply
        if context is not None and (ev.deal_tag(reply_to) is not None or line.startswith(("#", "＃"))):
            outcome = await self.deals.note(actor, context, ev.strip_tag(line) if not reply_to else line, key)
            return present.note_outcome(actor, outcome)
        return None

    async def _command_line(
        self, actor: Member, line: str, reply_to: str | None, context: int | None
    ) -> Reply | None:
        matched = _ADVANCE_ZH.match(line) or _ADVANCE_EN.match(line)
        if matched is not None:
            funnel = await self.deals.funnel(actor.team_id)
            target = funnel.find_stage(matched["stage"])
            if target is not None:
                deal_text = ev.strip_tag(matched["deal"] or "")
                if context is not None:
                    return await self._advance(actor, context, target)
                return await self._advance_named(actor, deal_text, reply_to, target)
        if context is not None:
            lost = _LOST.match(ev.strip_tag(line))
            if lost is not None and not lost["deal"].strip():
                if lost["reason"].strip():
                    result = await self.deals.lose(actor, context, lost["reason"])
                    return present.advanced(actor, result)
                return await self._lost(actor, context, "")
            if ev.strip_tag(line) in ("赢单", "成交", "签约", "赢单了", "成交了", "won"):
                return await self._advance(actor, context, WON)
        if len(line) <= ROLE_LINE_LIMIT and _looks_like_role(ev.strip_tag(line)):
            outcome = await self.deals.role_statement(actor, ev.strip_tag(line), context)
            if outcome is not None:
                return present.role_outcome(actor, outcome)
        return None

    # --- files ----------------------------------------------------------------------------------

    async def upload(self, actor: Member, upload: Upload) -> Reply | None:
        """A file or photo: a stage configuration from an admin, evidence for a deal, or not ours."""
        caption = (upload.caption or "").strip()
        if caption.lower().startswith("/stages") or (upload.name or "").lower().endswith(".toml"):
            return await self._stages_file(actor, upload, caption)
        if not await self.deals.wants_file(actor, upload):
            return None
        return present.evidence_offer(actor, await self.deals.receive_file(actor, upload))

    async def _stages_file(self, actor: Member, upload: Upload, caption: str) -> Reply:
        if not caption.lower().startswith("/stages"):
            return Reply(t(actor.lang, "stages.caption_needed"))
        if actor.role is not Role.ADMIN:
            raise NotAllowed("stages.admin_only")
        if upload.size is not None and upload.size > 64 * 1024:
            raise InputRejected("stages.too_large")
        try:
            funnel = parse_bytes(await upload.fetch())
            funnel = await self.deals.load_stages(actor, actor.team_id, funnel.source)
        except StageConfigError as exc:
            return present.stages_error(actor.lang, exc)
        return present.stages_loaded(actor, funnel)

    async def _unclaimed(self, actor: Member, _upload: Upload) -> Reply:
        return text(actor.lang, "evidence.photo_without_deal")

    # --- after a capture ------------------------------------------------------------------------

    async def capture_offer(self, actor: Member, result: CaptureResult, said: str) -> Annotations | None:
        """A captured chat that lands on an open deal and reads like evidence ("方案没问题，我们确认")
        gets a button on its lead card to keep it as that evidence."""
        deal = result.deal
        if (
            deal is None
            or deal.status is not DealStatus.OPEN
            or result.interaction_id is None
            or result.outcome not in (Outcome.CREATED, Outcome.UPDATED, Outcome.NOTED)
        ):
            return None
        requirement = await self.deals.capture_offer(actor, deal.id, said)
        if requirement is None:
            return None
        lang = actor.lang
        line = t(lang, "evidence.capture_offer", requirement=requirement.name(lang), deal=ev.tag(deal.id))
        button = Button(
            t(lang, "evidence.button.capture", requirement=requirement.name(lang)),
            Act.DEAL_EVIDENCE_CHAT,
            result.interaction_id,
            requirement.key,
        )
        return Annotations(footer=(line,), footer_buttons=rows(button, width=1))


def _looks_like_role(line: str) -> bool:
    if not line or _CONTACT_DATA.search(line) or _NOT_ROLE.match(line):
        return False
    return bool(_ROLE_ZH.match(line) or _ROLE_EN.match(line))


__all__ = ["Deals"]
