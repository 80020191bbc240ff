"""The data-health report (/health, `chatcrm health`) and the bookkeeping of the weekly nudge.

The nudge (sent by reminders/nudges.py) goes to each active rep at most once per ISO week, on a workday
of the member's calendar (Chinese workdays), from crm.data_health.NUDGE_TIME in their timezone, and
only when they have something to fix. Delivery is "claim, send, settle": a row per member and week
is claimed with a lease (its unique key lets one process take it); a process that dies while sending
leaves the lease to run out, and the next one sends it. A failed send pauses before a new attempt, a
few times. Managers turn the team's nudges off and on with `/health off` and `/health on`.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from crm.data_health import (
    NUDGE_EXAMPLES,
    Figures,
    Gap,
    MemberHealth,
    NudgeStatus,
    TeamHealth,
    gap_kinds,
    nudge_due,
    team_health,
    week_of,
)
from crm.errors import InputRejected, NotAllowed
from crm.model import Member, Role
from crm.ports import Clock, UnitOfWorkFactory, WorkCalendar

logger = logging.getLogger(__name__)

NUDGES_SETTING = "data_health_nudges"  # team.settings: False when the managers turned nudges off
LEASE = timedelta(minutes=10)  # longer than any send; short enough to recover the same day
RETRY = timedelta(hours=1)


class DataHealthService:
    """How complete and current a team's records are; who gets this week's nudge."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, *, calendar: WorkCalendar | None = None) -> None:
        self._uow = uow
        self._clock = clock
        self._calendar = calendar

    # --- the report ---------------------------------------------------------------------------------

    async def team(self, team_id: int, now: datetime | None = None) -> TeamHealth:
        moment = now or self._clock.now()
        async with self._uow(read_only=True) as uow:
            team = await uow.teams.get(team_id)
            if team is None:
                raise InputRejected("stages.no_team", team=team_id)
            figures = await uow.data_health.figures(team_id, moment)
            members = {m.id: m for m in await uow.members.in_team(team_id)}
            for member_id in figures.keys() - members.keys():
                member = await uow.members.get(member_id)
                if member is not None:
                    members[member_id] = member
        health = team_health(team_id, moment, figures, members)
        health.nudges = team.settings.get(NUDGES_SETTING) is not False
        return health

    async def member(self, member: Member, now: datetime | None = None) -> MemberHealth:
        """One member's own figures and the gaps they can close from chat, with a few examples each."""
        moment = now or self._clock.now()
        async with self._uow(read_only=True) as uow:
            figures = (await uow.data_health.figures(member.team_id, moment, member.id)).get(member.id)
            figures = figures or Figures()
            kinds = gap_kinds(figures)
            examples = await uow.data_health.examples(
                member.team_id, member.id, moment, [kind for kind, _ in kinds], NUDGE_EXAMPLES
            )
        gaps = [Gap(kind, count, tuple(examples.get(kind, ()))) for kind, count in kinds]
        return MemberHealth(member, moment, figures, gaps)

    async def report(self, actor: Member) -> TeamHealth | MemberHealth:
        """/health: the team's figures for managers and admins, a rep's own for a rep."""
        if actor.role.sees_team:
            return await self.team(actor.team_id)
        return await self.member(actor)

    async def set_nudges(self, actor: Member, on: bool) -> None:
        """/health on|off (managers and admins): the team's weekly nudges."""
        if not actor.role.sees_team:
            raise NotAllowed()
        async with self._uow() as uow:
            team = await uow.teams.get(actor.team_id)
            if team is None:
                raise NotAllowed()
            team.settings = {**team.settings, NUDGES_SETTING: on}
            await uow.teams.update(team)
            await uow.commit()

    # --- the weekly nudge ---------------------------------------------------------------------------

    async def due(self, now: datetime) -> list[tuple[Member, date]]:
        """Reps whose nudge of their current week may go out now and nobody has taken (the week is
        named by its Monday)."""
        found: list[tuple[Member, date]] = []
        async with self._uow(read_only=True) as uow:
            for team in await uow.teams.all():
                if team.settings.get(NUDGES_SETTING) is False:
                    continue
                candidates: list[tuple[Member, date]] = []
                for member in await uow.members.in_team(team.id, Role.REP):
                    if not member.active:
                        continue
                    local = member.local(now)
                    if nudge_due(local, self._workday(local.date())):
                        candidates.append((member, week_of(local.date())))
                if not candidates:
                    continue
                taken = await uow.nudges.settled(team.id, sorted({week for _, week in candidates}), now)
                found += [(m, week) for m, week in candidates if (m.id, week) not in taken]
        return found

    def _workday(self, day: date) -> bool:
        if self._calendar is None:
            return day.weekday() < 5
        try:
            return self._calendar.is_workday(day)
        except Exception:
            logger.warning("workday calendar failed for %s: using Monday to Friday", day, exc_info=True)
            return day.weekday() < 5

    async def claim(self, member: Member, week: date, now: datetime) -> datetime | None:
        """Takes the member's nudge of `week` for this process: the lease's end, or None when another
        has it (or had it)."""
        lease_until = now + LEASE
        async with self._uow() as uow:
            claimed = await uow.nudges.claim(member.team_id, member.id, week, now, lease_until)
            await uow.commit()
        return lease_until if claimed else None

    async def settle(self, member: Member, week: date, lease_until: datetime, status: NudgeStatus) -> bool:
        """Records how the claimed nudge went; a failed one may be tried again after a pause."""
        now = self._clock.now()
        retry_at = now + RETRY if status is NudgeStatus.FAILED else None
        async with self._uow() as uow:
            settled = await uow.nudges.settle(member.id, week, lease_until, status, now, retry_at)
            await uow.commit()
        if not settled:
            logger.warning(
                "nudge of member %s for the week of %s: claim lost before it settled", member.id, week
            )
        return settled
