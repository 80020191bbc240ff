"""The lead job: lead cards to the reps leads were routed to, regions for managers to pick, unclaimed
alerts (the territory's manager after 2 hours, the admins after 4), and once a day per team the reclaim
run with its warnings and notices.

Every notice and alert is claimed from the database with a lease (crm.pool), so that with two
processes each goes out once; a process that dies after claiming leaves the lease to run out and the
other sends it. The daily run is claimed per team and day (crm.reclaim). A unit of work that commits a
lead with a notice wakes the job (crm.events.LeadRouted); otherwise it looks every `poll_seconds`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from chat.delivery import deliver
from chat.format import stage as stage_name
from chat.ports import Notifier
from chat.territories import view
from chat.views import Reply
from crm.errors import StorageError
from crm.events import Event, LeadRouted
from crm.leads import LeadSource
from crm.members import MemberService
from crm.model import Member
from crm.pool import Notice, PoolService
from crm.ports import Clock
from crm.reclaim import ReclaimService
from crm.stages import Funnel, default_funnel

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LeadJobConfig:
    poll_seconds: float = 30.0
    lease_seconds: float = 120.0
    batch: int = 50


@dataclass(slots=True)
class TickResult:
    notices: int = 0
    alerts: int = 0
    warned: int = 0
    reclaimed: int = 0


class LeadJob:
    def __init__(
        self,
        pool: PoolService,
        reclaim: ReclaimService,
        members: MemberService,
        notifier: Notifier | None,
        clock: Clock,
        config: LeadJobConfig | None = None,
        ready: Callable[[], bool] | None = None,
        funnels: Callable[[int], Awaitable[Funnel]] | None = None,
    ) -> None:
        """`funnels` gives a team's funnel (stage names in reclaim messages; the default without)."""
        self._pool = pool
        self._reclaim = reclaim
        self._members = members
        self._notifier = notifier
        self._clock = clock
        self.config = config or LeadJobConfig()
        self._ready = ready
        self._wake: asyncio.Event | None = None
        self._funnels = funnels

    def committed(self, events: Sequence[Event]) -> None:
        """Subscribed to the units of work: a lead with a notice was committed."""
        if self._wake is not None and any(isinstance(e, LeadRouted) for e in events):
            self._wake.set()

    async def tick(self) -> TickResult:
        """One pass: notices, alerts due, and the daily runs due."""
        result = TickResult()
        lease = timedelta(seconds=self.config.lease_seconds)
        now = self._clock.now()
        notices = await self._pool.notices(lease, self.config.batch)
        groups = _imported_groups(notices)
        for member, group in groups:
            # A spreadsheet that routes many rows to one rep: one message, not a card per row (sent
            # before its notices are settled, as a card is).
            views = [notice.view for notice in group]
            await self._deliver(member, view.imported_leads(member, views), f"{len(views)} imported leads")
        summarised = {id(notice) for _, group in groups for notice in group}
        for notice in notices:
            if id(notice) not in summarised:
                await self._send_notice(notice)
            await self._pool.settle_notice(notice)
            result.notices += 1
        for alert in await self._pool.alerts(lease, self.config.batch):
            await self._send_notice(alert)
            await self._pool.settle_alert(alert)
            result.alerts += 1
        for team_id in await self._reclaim.due_runs(now):
            warned, reclaimed = await self._run(team_id)
            result.warned += warned
            result.reclaimed += reclaimed
        return result

    async def _send_notice(self, notice: Notice) -> None:
        lead = notice.view.lead
        for member in notice.recipients:
            if notice.kind == "assigned":
                reply = view.lead_card(member, notice.view)
            elif notice.kind in ("pick", "alert", "escalate"):
                reply = view.manager_notice(
                    member, notice.kind, notice.view, notice.choices, self._clock.now()
                )
            else:
                continue
            await self._deliver(member, reply, f"lead {lead.id} {notice.kind}")

    async def _deliver(self, member: Member, reply: Reply, what: str) -> bool:
        identities = await self._members.identities(member.id)
        return await deliver(self._notifier, identities, reply, what=what) is not None

    async def _run(self, team_id: int) -> tuple[int, int]:
        result = await self._reclaim.run(team_id, self._clock.now())
        territories, _ = await self._pool.territories(team_id)
        funnel = await self._funnels(team_id) if self._funnels is not None else default_funnel()
        for warned in result.warned:
            member = warned.member
            days = territories.reclaim.days_for(warned.deal.stage)
            reply = view.warning(
                member,
                warned,
                stage_name(member.lang, funnel, warned.deal.stage),
                days,
                territories.reclaim.extend_days,
            )
            await self._deliver(member, reply, f"reclaim warning for deal {warned.deal.id}")
        for done in result.reclaimed:
            member = done.former
            if not member.active:
                continue
            reply = view.reclaimed(
                member,
                done,
                stage_name(member.lang, funnel, done.deal.stage),
                territories.limits.reclaim_cooldown_days,
            )
            await self._deliver(member, reply, f"reclaim notice for deal {done.deal.id}")
        if result.reclaimed:
            logger.info("team %s: %d deals reclaimed to the pool", team_id, len(result.reclaimed))
        return len(result.warned), len(result.reclaimed)

    async def run(self) -> None:
        """Runs until cancelled."""
        logger.info("lead job started")
        self._wake = asyncio.Event()
        while True:
            # Cleared before the pass: a lead committed while it runs wakes the next one at once.
            self._wake.clear()
            if self._ready is None or self._ready():
                try:
                    await self.tick()
                except StorageError as exc:
                    logger.warning("leads: database unavailable (%s); retrying", type(exc).__name__)
                except Exception:
                    logger.exception("lead job pass failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.config.poll_seconds)


# From this many leads of one import batch for one rep, they get one summary instead of a card each.
IMPORTED_TOGETHER = 3


def _imported_groups(notices: Sequence[Notice]) -> list[tuple[Member, list[Notice]]]:
    """The notices of imported leads assigned to one member, for each member who has
    IMPORTED_TOGETHER or more of them in this batch."""
    mine: dict[int, tuple[Member, list[Notice]]] = {}
    for notice in notices:
        if notice.kind == "assigned" and notice.view.lead.source is LeadSource.IMPORT and notice.recipients:
            member = notice.recipients[0]
            mine.setdefault(member.id, (member, []))[1].append(notice)
    return [group for group in mine.values() if len(group[1]) >= IMPORTED_TOGETHER]
