"""The weekly data-health nudge job: every few minutes, claims the nudges that fell due (each rep, once
per week, on a workday from 10:30 their time), composes each rep's gaps, sends them and settles the
claim. Who is due and the claims live in crm.data_health_service, the text in chat.data_health.view."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from chat.data_health.view import nudge
from chat.delivery import deliver
from chat.ports import Notifier
from crm.data_health import NudgeStatus
from crm.data_health_service import DataHealthService
from crm.errors import StorageError
from crm.members import MemberService
from crm.ports import Clock

logger = logging.getLogger(__name__)

POLL_SECONDS = 300.0


class NudgeJob:
    def __init__(
        self,
        service: DataHealthService,
        members: MemberService,
        notifier: Notifier | None,
        clock: Clock,
        poll_seconds: float = POLL_SECONDS,
        ready: Callable[[], bool] | None = None,
    ) -> None:
        """`ready` says whether a channel to send on is up yet; until it is, nothing is claimed (a
        nudge claimed with no channel would only fail and wait for its retry)."""
        self._service = service
        self._members = members
        self._notifier = notifier
        self._clock = clock
        self.poll_seconds = poll_seconds
        self._ready = ready

    async def run_due(self, now: datetime | None = None) -> int:
        """Claims, composes, sends and settles every nudge due now; returns how many went out."""
        moment = now or self._clock.now()
        sent = 0
        for member, week in await self._service.due(moment):
            lease = await self._service.claim(member, week, moment)
            if lease is None:
                continue
            try:
                health = await self._service.member(member, moment)
            except Exception:
                logger.exception("nudge for member %s could not be composed", member.id)
                await self._service.settle(member, week, lease, NudgeStatus.FAILED)
                continue
            if health.empty:
                await self._service.settle(member, week, lease, NudgeStatus.SKIPPED)
                continue
            identities = await self._members.identities(member.id)
            reply = nudge(member, health)
            delivered = await deliver(self._notifier, identities, reply, what=f"nudge for member {member.id}")
            status = NudgeStatus.DELIVERED if delivered is not None else NudgeStatus.FAILED
            await self._service.settle(member, week, lease, status)
            sent += status is NudgeStatus.DELIVERED
        return sent

    async def run(self) -> None:
        """Runs until cancelled; a nudge missed while no process ran goes out at the next pass."""
        logger.info("data-health nudge job started")
        while True:
            try:
                sent = await self.run_due() if self._ready is None or self._ready() else 0
                if sent:
                    logger.info("sent %d data-health nudges", sent)
            except StorageError as exc:
                logger.warning("nudges: database unavailable (%s); retrying", type(exc).__name__)
            except Exception:
                logger.exception("nudge pass failed")
            await asyncio.sleep(self.poll_seconds)
