"""The morning digest job: once a minute, sends the digests that have fallen due (each member's local
time, workdays only by default). Which digests are due and the once-per-day claim live in
crm.digest, how a digest reads in chat.deals.view; this is the pass that claims, renders, sends and
settles them, and the loop that drives it."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from chat.deals.charts import FunnelCharts
from chat.deals.view import digest_reply
from chat.delivery import deliver
from chat.messages import t
from chat.ports import Notifier
from chat.views import Attachment, Reply
from crm.digest import DigestService, TeamDigest
from crm.errors import StorageError
from crm.members import MemberService
from crm.model import DigestStatus, Lang, Member
from crm.ports import Clock

logger = logging.getLogger(__name__)

POLL_SECONDS = 60.0


class DigestJob:
    def __init__(
        self,
        service: DigestService,
        members: MemberService,
        notifier: Notifier | None,
        charts: FunnelCharts,
        clock: Clock,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self._service = service
        self._members = members
        self._notifier = notifier
        self._charts = charts
        self._clock = clock
        self.poll_seconds = poll_seconds

    async def tick(self) -> int:
        """One pass: the digests due now; returns how many were delivered."""
        return await self.run_due(self._clock.now())

    async def run_due(self, now: datetime | None = None) -> int:
        """Claims and sends every due digest; returns how many were delivered."""
        moment = now or self._clock.now()
        delivered = 0
        teams: dict[int, TeamDigest] = {}
        charts: dict[tuple[int, Lang], Attachment | None] = {}
        for member, day in await self._service.due(moment):
            if not await self._service.claim(member, day, moment):
                continue
            try:
                reply = await self._reply_for(member, moment, teams, charts)
            except Exception:
                logger.exception("digest for member %s could not be composed", member.id)
                await self._service.settle(member, day, DigestStatus.FAILED)
                continue
            if reply is None:
                await self._service.settle(member, day, DigestStatus.SKIPPED)
                continue
            identities = await self._members.identities(member.id)
            sent = await deliver(self._notifier, identities, reply, what=f"digest for member {member.id}")
            status = DigestStatus.DELIVERED if sent is not None else DigestStatus.FAILED
            await self._service.settle(member, day, status)
            delivered += status is DigestStatus.DELIVERED
        return delivered

    async def _reply_for(
        self,
        member: Member,
        now: datetime,
        teams: dict[int, TeamDigest],
        charts: dict[tuple[int, Lang], Attachment | None],
    ) -> Reply | None:
        if member.role.sees_team:
            if member.team_id not in teams:
                teams[member.team_id] = await self._service.team(member.team_id, now)
            digest = teams[member.team_id]
            if digest.empty:
                return None
            key = (member.team_id, member.lang)
            if key not in charts:
                title = t(member.lang, "pipeline.chart")
                charts[key] = await self._charts.draw(digest.funnel, digest.counts, member.lang, title)
            return digest_reply(member, digest, charts[key])
        rep = await self._service.rep(member, now)
        return None if rep.empty else digest_reply(member, rep, None)

    async def run(self) -> None:
        """Runs until cancelled. A process started after the digest time sends that day's digests at
        once (unless another process already did)."""
        logger.info("digest job started")
        while True:
            try:
                sent = await self.tick()
                if sent:
                    logger.info("sent %d morning digests", sent)
            except StorageError as exc:
                logger.warning("digests: database unavailable (%s); retrying", type(exc).__name__)
            except Exception:
                logger.exception("digest pass failed")
            # Wake at the start of the next minute: digest times are whole minutes.
            now = self._clock.now()
            await asyncio.sleep(max(1.0, self.poll_seconds - now.second - now.microsecond / 1e6))
