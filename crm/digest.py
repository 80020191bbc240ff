"""The morning digest: for managers, the team's stalled deals, the three most at risk and the three
closest to closing (each with a suggested intervention), leads nobody touched and the funnel with its
chart; for reps, today's follow-ups and overdue commitments.

Delivery (driven by reminders/digest.py) is "claim, send, settle", as for reminders: a row per member
and local day is leased to one process (its unique constraint makes the first claim one process's),
the lease is renewed while the digest is composed and sent with no transaction open, and the row is
settled right after the send: delivered, skipped, to be retried at a later time, or failed for good. A
process that dies before settling leaves its lease to run out, and any process claims the digest
again then.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Protocol

from crm.errors import InputRejected, NotAllowed
from crm.health import DealSnapshot, Health, Scorer, is_stalled, is_untouched, rank
from crm.jobs import process_owner
from crm.leads import PoolSummary
from crm.model import Commitment, DigestStatus, Member, Reminder, Team
from crm.ports import Clock, UnitOfWorkFactory, WorkCalendar
from crm.stages import Funnel, Stage, team_funnel

logger = logging.getLogger(__name__)

TOP = 3
STALLED_SHOWN = 5
UNTOUCHED_SHOWN = 5
REP_ITEMS = 10
MEMBER_SETTINGS_KEY = "digest_members"  # team.settings: {member id: "HH:MM" | "off"}
OFF = "off"


@dataclass(frozen=True, slots=True)
class DealLine:
    snapshot: DealSnapshot
    health: Health
    owner: str


@dataclass(slots=True)
class TeamDigest:
    """What a manager's digest says, the same for every manager of the team."""

    team_id: int
    funnel: Funnel
    now: datetime
    total_open: int
    stalled: list[DealLine]
    stalled_total: int
    at_risk: list[DealLine]
    closing: list[DealLine]
    untouched: list[DealLine]
    untouched_total: int
    counts: list[tuple[Stage, int]]
    owners: dict[int, Member] = field(default_factory=dict)
    pool: PoolSummary | None = None  # leads routed yesterday, waiting, reclaimed, reps at their cap

    @property
    def empty(self) -> bool:
        """A team without open deals or waiting leads: nothing for a manager to read yet."""
        return self.total_open == 0 and not (self.pool and (self.pool.unclaimed_total or self.pool.routed))

    def lines(self) -> list[DealLine]:
        """Every deal line shown, each deal once, in the order shown."""
        seen: dict[int, DealLine] = {}
        for line in [*self.stalled, *self.at_risk, *self.closing, *self.untouched]:
            seen.setdefault(line.snapshot.deal_id, line)
        return list(seen.values())


@dataclass(slots=True)
class RepDigest:
    member: Member
    funnel: Funnel
    now: datetime
    follow_ups: list[Reminder]
    overdue: list[Commitment]
    stalled: list[DealLine]
    customers: dict[int, str | None]

    @property
    def empty(self) -> bool:
        return not (self.follow_ups or self.overdue or self.stalled)


def compose(
    team_id: int,
    funnel: Funnel,
    snapshots: Sequence[DealSnapshot],
    owners: Mapping[int, Member],
    now: datetime,
) -> TeamDigest:
    """The team digest from the snapshots of its open deals. One pass scores every deal cheaply; only
    the deals shown get their full health."""
    scorer = Scorer(funnel, now)
    stalled_all = [s for s in snapshots if is_stalled(funnel, s.stage, (now - s.stage_entered_at).days)]
    stalled_all.sort(key=lambda s: (s.stage_entered_at, s.deal_id))
    untouched_all = [s for s in snapshots if is_untouched(s, funnel, now)]
    untouched_all.sort(key=lambda s: (s.created_at, s.deal_id))
    at_risk, closing = rank(snapshots, scorer, TOP)
    counts: dict[str, int] = {}
    for snapshot in snapshots:
        counts[snapshot.stage] = counts.get(snapshot.stage, 0) + 1

    def line(snapshot: DealSnapshot) -> DealLine:
        owner = owners.get(snapshot.owner_id)
        return DealLine(snapshot, scorer.assess(snapshot), owner.name if owner else "?")

    return TeamDigest(
        team_id=team_id,
        funnel=funnel,
        now=now,
        total_open=len(snapshots),
        stalled=[line(s) for s in stalled_all[:STALLED_SHOWN]],
        stalled_total=len(stalled_all),
        at_risk=[line(s) for s in at_risk],
        closing=[line(s) for s in closing],
        untouched=[line(s) for s in untouched_all[:UNTOUCHED_SHOWN]],
        untouched_total=len(untouched_all),
        counts=[(stage, counts.get(stage.key, 0)) for stage in funnel.stages],
        owners=dict(owners),
    )


def digest_time(team: Team, funnel: Funnel, member: Member) -> time | None:
    """When the member gets the digest (local time), or None when they turned it off."""
    chosen = team.settings.get(MEMBER_SETTINGS_KEY, {}).get(str(member.id))
    if chosen == OFF:
        return None
    if isinstance(chosen, str):
        try:
            return time.fromisoformat(chosen)
        except ValueError:
            pass
    return funnel.digest_time


_CLOCK = re.compile(r"(?:早上|上午)?\s*([01]?\d|2[0-3])\s*(?:[:：点]\s*([0-5]\d)?\s*分?)?")


def parse_clock(text: str) -> time | None:
    """ "8:00", "08:30", "8点", "8点半" -> a time of day; None when it is not one."""
    cleaned = text.strip().replace("半", "30")
    matched = _CLOCK.fullmatch(cleaned)
    if matched is None:
        return None
    return time(int(matched[1]), int(matched[2] or 0))


class WeekdayCalendar:
    """Monday to Friday: the fallback when no holiday calendar is wired."""

    def is_workday(self, day: date) -> bool:
        return day.weekday() < 5


@dataclass(frozen=True, slots=True)
class DigestClaim:
    """A member's digest of a local day, leased to this process: its `attempt`-th claim."""

    member: Member
    day: date
    attempt: int
    lease_until: datetime


class PoolSummaries(Protocol):
    """What the digest reads of the public pool (crm.pool.PoolService)."""

    async def summary(self, team_id: int, now: datetime | None = None) -> PoolSummary: ...


class DigestService:
    """Composes digests, says which are due, and keeps the once-per-member-and-day bookkeeping
    (claims as leases, settled one by one)."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        *,
        calendar: WorkCalendar | None = None,
        pool: PoolSummaries | None = None,
        owner: str | None = None,
    ) -> None:
        """`owner` names this process on the claims it holds (crm.jobs.process_owner by default)."""
        self._uow = uow
        self.owner = owner or process_owner()
        self._clock = clock
        self.calendar: WorkCalendar = calendar or WeekdayCalendar()
        self._pool = pool

    # --- composing ------------------------------------------------------------------------------

    async def team(self, team_id: int, now: datetime | None = None) -> TeamDigest:
        moment = now or self._clock.now()
        async with self._uow(read_only=True) as uow:
            team = await uow.teams.get(team_id)
            if team is None:
                raise InputRejected("stages.no_team", team=team_id)
            funnel = team_funnel(team.settings)
            snapshots = await uow.deal_queries.snapshots(team_id, None, moment, funnel.evidence_keys())
            members = {m.id: m for m in await uow.members.in_team(team_id)}
            missing = {s.owner_id for s in snapshots} - members.keys()
            for member_id in missing:
                member = await uow.members.get(member_id)
                if member is not None:
                    members[member_id] = member
        digest = compose(team_id, funnel, snapshots, members, moment)
        if self._pool is not None:
            digest.pool = await self._pool.summary(team_id, moment)
        return digest

    async def rep(self, member: Member, now: datetime | None = None) -> RepDigest:
        moment = now or self._clock.now()
        local = member.local(moment)
        start = datetime.combine(local.date(), time(0), tzinfo=member.tz)
        end = start + timedelta(days=1)
        async with self._uow(read_only=True) as uow:
            team = await uow.teams.get(member.team_id)
            funnel = team_funnel(team.settings if team else {})
            follow_ups = await uow.deal_queries.due_reminders(member.id, start, end, REP_ITEMS)
            overdue = await uow.deal_queries.overdue_commitments(member.id, moment, REP_ITEMS)
            snapshots = await uow.deal_queries.snapshots(
                member.team_id, member.id, moment, funnel.evidence_keys()
            )
            ids = {r.customer_id for r in follow_ups if r.customer_id} | {
                c.customer_id for c in overdue if c.customer_id
            }
            customers = await uow.deal_queries.customer_names(sorted(ids))
        scorer = Scorer(funnel, moment)
        stalled = sorted(
            (s for s in snapshots if is_stalled(funnel, s.stage, (moment - s.stage_entered_at).days)),
            key=lambda s: (s.stage_entered_at, s.deal_id),
        )
        return RepDigest(
            member=member,
            funnel=funnel,
            now=moment,
            follow_ups=follow_ups,
            overdue=overdue,
            stalled=[DealLine(s, scorer.assess(s), member.name) for s in stalled[:STALLED_SHOWN]],
            customers=customers,
        )

    # --- preferences ----------------------------------------------------------------------------

    async def set_time(self, actor: Member, value: str | None) -> time | None:
        """/digest HH:MM, /digest off, /digest on (back to the team's time). Returns the new time."""
        stored: str | None
        if value is None:
            stored = None
        elif value == OFF:
            stored = OFF
        else:
            at = parse_clock(value)
            if at is None:
                raise InputRejected("digest.bad_time", value=value)
            stored = at.strftime("%H:%M")
        async with self._uow() as uow:
            team = await uow.teams.get(actor.team_id)
            if team is None:
                raise NotAllowed()
            chosen = dict(team.settings.get(MEMBER_SETTINGS_KEY, {}))
            if stored is None:
                chosen.pop(str(actor.id), None)
            else:
                chosen[str(actor.id)] = stored
            team.settings = {**team.settings, MEMBER_SETTINGS_KEY: chosen}
            await uow.teams.update(team)
            await uow.commit()
            return digest_time(team, team_funnel(team.settings), actor)

    # --- delivery -------------------------------------------------------------------------------

    async def due(self, now: datetime) -> list[tuple[Member, date]]:
        """Members whose digest of their local today is due and not settled or held by a lease."""
        found: list[tuple[Member, date]] = []
        async with self._uow(read_only=True) as uow:
            for team in await uow.teams.all():
                funnel = team_funnel(team.settings)
                candidates: list[tuple[Member, date]] = []
                for member in await uow.members.in_team(team.id):
                    at = digest_time(team, funnel, member)
                    local = member.local(now)
                    if at is None or local.time() < at:
                        continue
                    # Someone who joined after today's digest time gets their first one tomorrow.
                    if member.created_at > datetime.combine(local.date(), at, tzinfo=member.tz):
                        continue
                    if funnel.workdays_only and not self._workday(local.date()):
                        continue
                    candidates.append((member, local.date()))
                if not candidates:
                    continue
                done = await uow.digests.settled(team.id, sorted({day for _, day in candidates}), now)
                found += [(m, day) for m, day in candidates if (m.id, day) not in done]
        return found

    def _workday(self, day: date) -> bool:
        try:
            return self.calendar.is_workday(day)
        except Exception:
            logger.warning("workday calendar failed for %s: using Monday to Friday", day, exc_info=True)
            return day.weekday() < 5

    async def claim(
        self, member: Member, day: date, now: datetime, lease: timedelta, max_attempts: int
    ) -> DigestClaim | None:
        """Leases the member's digest of `day` to this process until `now + lease`; None when another
        process holds it, it is settled, or its `max_attempts` claims are spent."""
        kind = "manager" if member.role.sees_team else "rep"
        lease_until = now + lease
        async with self._uow() as uow:
            attempt = await uow.digests.claim(
                member.team_id, member.id, day, kind, self.owner, now, lease_until, max_attempts
            )
            await uow.commit()
        return None if attempt is None else DigestClaim(member, day, attempt, lease_until)

    async def renew(self, claim: DigestClaim, until: datetime) -> DigestClaim | None:
        """Extends the claim to `until` (a digest taking long to compose or send); None when it is no
        longer this process's (its lease ran out and another process took it)."""
        async with self._uow() as uow:
            held = await uow.digests.renew(claim.member.id, claim.day, self.owner, claim.attempt, until)
            await uow.commit()
        return dataclasses.replace(claim, lease_until=until) if held else None

    async def settle(
        self, claim: DigestClaim, status: DigestStatus, retry_at: datetime | None = None
    ) -> bool:
        """Records how the claimed digest went: delivered, skipped, failed for good, or RETRYING (then
        claimable again from `retry_at`). False when the claim was no longer this process's."""
        async with self._uow() as uow:
            settled = await uow.digests.settle(
                claim.member.id, claim.day, self.owner, claim.attempt, status, self._clock.now(), retry_at
            )
            await uow.commit()
        return settled
