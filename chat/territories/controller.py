"""Territories and the public pool as every channel sees them: /pool and its claim buttons, /lead (a
manager routes a pasted or forwarded lead), "route to the team" on a capture card, /away, /territories
and the territory file an admin sends with that caption, the buttons of managers' alerts (assign, pick
a region) and of reclaim warnings (send a voice note now, +7 days)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from chat.leads.view import Annotations
from chat.messages import t
from chat.registry import Registry
from chat.territories import view
from chat.territories.view import PoolAct
from chat.views import Reply, text
from crm.capture import CaptureResult, Outcome, transcript
from crm.errors import InputRejected, NotAllowed
from crm.inputs import ChatMessage, Newcomer, Upload
from crm.intake import Intake
from crm.members import MemberService
from crm.model import Lang, Member, Role
from crm.pool import LeadTaken, PoolRefused, PoolService
from crm.ports import Clock, FactExtractor
from crm.reclaim import ReclaimService
from crm.territories import MAX_CONFIG_BYTES, TerritoryConfigError

_RANGE = re.compile(r"\s*(?:-|—|–|~|～|到|至|to)\s*", re.IGNORECASE)
_WEEKLY_ZH = re.compile(r"^(?:每周|每个?星期|每礼拜)([一二三四五六日天、,，\s]+)$")
_WEEKLY_EN = re.compile(r"^(?:weekly|every)\s+(.+)$", re.IGNORECASE)
_ZH_DAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_EN_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLEAR = frozenset({"clear", "off", "none", "清除", "取消", "无", "删除"})


class TerritoryFeature:
    """The pool, routed leads, availability and territory files."""

    def __init__(
        self,
        pool: PoolService,
        reclaim: ReclaimService,
        members: MemberService,
        clock: Clock,
        extractor: FactExtractor,
        intake: Intake,
    ) -> None:
        self.intake = intake
        self.pool = pool
        self.reclaim = reclaim
        self.members = members
        self.clock = clock
        self.extractor = extractor

    def register(self, registry: Registry) -> None:
        registry.commands(
            {
                "pool": self.pool_command,
                "lead": self.lead_command,
                "away": self.away_command,
                "territories": self.territories_command,
            }
        )
        registry.buttons(
            {
                PoolAct.CLAIM: self._claim,
                PoolAct.MORE: self._more,
                PoolAct.ASSIGN: self._assign,
                PoolAct.PICK: self._pick,
                PoolAct.OPEN: self._open,
                PoolAct.ROUTE: self._route,
                PoolAct.EXTEND: self._extend,
                PoolAct.VOICE: self._voice,
            }
        )
        registry.awaiting("lead", self._answer_lead)
        # Before the deals feature's route, which takes any other .toml file as a stage file.
        registry.files(self.upload)

    # --- /pool and claims ---------------------------------------------------------------------------

    async def pool_command(self, actor: Member, _args: str) -> Reply:
        return view.pool_page(actor, await self.pool.listing(actor), self.clock.now())

    async def _more(self, actor: Member, target: int, _arg: str) -> Reply:
        return view.pool_page(actor, await self.pool.listing(actor, offset=target), self.clock.now())

    async def _claim(self, actor: Member, target: int, _arg: str) -> Reply:
        try:
            return view.claimed(actor, await self.pool.claim(actor, target))
        except LeadTaken as taken:
            return text(actor.lang, taken.key, **taken.params)
        except PoolRefused as refused:
            return view.refused(actor, refused)

    async def _open(self, actor: Member, target: int, _arg: str) -> Reply:
        return view.lead_card(actor, await self.pool.view(actor, target), headline=None)

    async def _assign(self, actor: Member, target: int, arg: str) -> Reply:
        return view.given(actor, await self.pool.assign(actor, target, int(arg)))

    async def _pick(self, actor: Member, target: int, arg: str) -> Reply:
        lead_view, decision = await self.pool.pick_region(actor, target, int(arg))
        place = lead_view.lead.division.label() if lead_view.lead.division else "?"
        head = t(actor.lang, "pool.picked", place=place)
        routed = view.reason_text(actor.lang, decision.reason)
        if lead_view.assignee is not None:
            return Reply(
                "\n".join(
                    [
                        head,
                        t(
                            actor.lang,
                            "lead.routed.to",
                            tag=view.tag(target),
                            name=lead_view.assignee.name,
                            reason=routed,
                        ),
                    ]
                )
            )
        pool = lead_view.lead.pool or ""
        return Reply(
            "\n".join(
                [head, t(actor.lang, "lead.routed.pool", tag=view.tag(target), pool=pool, reason=routed)]
            )
        )

    # --- /lead and routing a capture ----------------------------------------------------------------

    async def lead_command(self, actor: Member, args: str) -> Reply:
        if not actor.role.sees_team:
            raise NotAllowed("lead.managers_only")
        if not args.strip():
            await self.members.set_awaiting(actor, {"kind": "lead"})
            return text(actor.lang, "lead.usage")
        return view.routed(actor, await self.pool.forwarded(actor, args))

    async def _answer_lead(self, actor: Member, _awaiting: dict[str, Any], said: str) -> Reply:
        await self.members.set_awaiting(actor, None)
        return view.routed(actor, await self.pool.forwarded(actor, said))

    async def forwarded(self, actor: Member, messages: Sequence[ChatMessage]) -> Reply:
        """A forwarded burst after /lead: the conversation is the lead."""
        await self.members.set_awaiting(actor, None)
        return view.routed(actor, await self.pool.forwarded(actor, transcript(messages)))

    async def _route(self, actor: Member, target: int, _arg: str) -> Reply:
        return view.routed(actor, await self.pool.route_capture(actor, target))

    async def capture_offer(self, actor: Member, result: CaptureResult, _said: str) -> Annotations | None:
        """A manager's new capture gets "route to the team" on its lead card."""
        if not actor.role.sees_team or result.outcome is not Outcome.CREATED or result.interaction_id is None:
            return None
        return Annotations(footer_buttons=view.route_offer(actor.lang, result.interaction_id))

    async def stranger(self, who: Newcomer, said: str) -> Reply:
        """Someone who is no member writes to the Official Account: their message is an inbound lead
        (later ones join it), and they are thanked in their language."""
        lang = Lang.from_code(who.language_code)
        if not said.strip():
            return text(lang, "stranger.thanks")
        team_id = await self.pool.first_team_id()
        if team_id is None:
            return text(lang, "link.onboarding")
        await self.intake.stranger(team_id, f"{who.channel.value}:{who.external_id}", said)
        return text(lang, "stranger.thanks")

    # --- reclaim warnings -------------------------------------------------------------------------------

    async def _extend(self, actor: Member, target: int, _arg: str) -> Reply:
        return view.extended(actor, await self.reclaim.extend(actor, target))

    async def _voice(self, actor: Member, target: int, _arg: str) -> Reply:
        name = await self.pool.deal_customer_name(actor, target)
        return view.voice_prompt(actor, name)

    # --- /away ----------------------------------------------------------------------------------------

    async def away_command(self, actor: Member, args: str) -> Reply:
        said = args.strip()
        if not said:
            return view.away(actor, await self.pool.availability(actor))
        if said.lower() in _CLEAR:
            await self.pool.set_away(actor, clear=True)
            return text(actor.lang, "away.cleared")
        weekly = _weekly(said)
        if weekly is not None:
            current = await self.pool.set_away(actor, weekly=weekly)
            return Reply(t(actor.lang, "away.set") + "\n" + view.away(actor, current).text)
        period = self._period(actor, said)
        if period is None:
            return text(actor.lang, "away.usage")
        current = await self.pool.set_away(actor, period=period)
        return Reply(t(actor.lang, "away.set") + "\n" + view.away(actor, current).text)

    def _period(self, actor: Member, said: str) -> tuple[date, date] | None:
        now = actor.local(self.clock.now())
        parts = _RANGE.split(said, maxsplit=1)
        days: list[date] = []
        for part in parts:
            moment = self.extractor.when(part, now) if part.strip() else None
            if moment is None:
                return None
            day = moment.date()
            # "11月23日" said on 23 November at 10:00 is today: when() looks for the next 09:00.
            this_year = _same_day(day, now.year) if day.year > now.year else None
            if this_year is not None and this_year >= now.date():
                day = this_year
            days.append(day)
        if len(days) == 1:
            return days[0], days[0]
        return days[0], days[1]

    # --- territories ---------------------------------------------------------------------------------

    async def territories_command(self, actor: Member, _args: str) -> Reply:
        if not actor.role.sees_team:
            raise NotAllowed()
        territories, custom = await self.pool.territories(actor.team_id)
        return view.territories_show(actor, territories, custom=custom)

    async def upload(self, actor: Member, upload: Upload) -> Reply | None:
        """A territory file an admin sends with the caption /territories; anything else is not ours."""
        caption = (upload.caption or "").strip()
        if not caption.lower().startswith("/territories"):
            return None
        if actor.role is not Role.ADMIN:
            raise NotAllowed("territories.admin_only")
        if upload.size is not None and upload.size > MAX_CONFIG_BYTES:
            raise InputRejected("territories.too_large")
        data = await upload.fetch()
        if len(data) > MAX_CONFIG_BYTES:
            raise InputRejected("territories.too_large")
        try:
            source = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputRejected("territories.problem.encoding") from None
        try:
            territories, warnings = await self.pool.load(actor, actor.team_id, source)
        except TerritoryConfigError as exc:
            return view.territories_error(actor.lang, exc)
        return view.territories_loaded(actor, territories, warnings)


def _same_day(day: date, year: int) -> date | None:
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February
        return None


def _weekly(said: str) -> frozenset[int] | None:
    """ "每周六日" / "weekly sat sun" -> {5, 6}; None when it is not a weekly pattern."""
    matched = _WEEKLY_ZH.match(said)
    if matched:
        return frozenset(_ZH_DAYS[c] for c in matched[1] if c in _ZH_DAYS)
    matched = _WEEKLY_EN.match(said)
    if matched:
        words = re.split(r"[\s,]+", matched[1].lower())
        days = {_EN_DAYS.index(w[:3]) for w in words if w[:3] in _EN_DAYS}
        return frozenset(days) if days else None
    return None
