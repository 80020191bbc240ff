"""The morning digest job: once a minute, sends the digests that have fallen due (each member's local
time, workdays only by default). Which digests are due and their claims live in crm.digest, how a
digest reads in chat.deals.view; this is the pass that claims, renders, sends and settles them, and the
loop that drives it.

Across processes sharing one database a digest is sent by the process whose claim (a lease) took it,
as reminders are (reminders/scheduler.py): the lease is renewed every third of its length while the
digest is composed and sent, and the claim is settled as soon as the send returned. A process that
dies after claiming leaves the lease to run out, and the next pass of any process sends that digest. A
failed send (or a digest that could not be composed) is claimed again after a wait that doubles with
each attempt, until `max_attempts` claims have been spent; then it is failed for good.

So delivery is at-least-once with a duplicate window: a process killed after the digest went out and
before its settlement committed (milliseconds) has it sent again once its lease ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from chat.deals.charts import FunnelCharts
from chat.deals.view import digest_reply
from chat.delivery import deliver
from chat.messages import t
from chat.ports import Notifier
from chat.views import Attachment, Reply
from crm.digest import DigestClaim, DigestService, TeamDigest
from crm.errors import StorageError
from crm.members import MemberService
from crm.model import DigestStatus, Lang, Member
from crm.ports import Clock

logger = logging.getLogger(__name__)

POLL_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class DigestConfig:
    """How long a claim lasts and how failed sends are retried."""

    lease_seconds: float = 120.0  # longer than composing and sending one digest; renewed meanwhile
    max_attempts: int = 5
    retry_seconds: float = 60.0  # the first retry; each further one waits twice as long
    max_retry_seconds: float = 1800.0


class DigestJob:
    def __init__(
        self,
        service: DigestService,
        members: MemberService,
        notifier: Notifier | None,
        charts: FunnelCharts,
        clock: Clock,
        poll_seconds: float = POLL_SECONDS,
        config: DigestConfig | None = None,
    ) -> None:
        self._service = service
        self._members = members
        self._notifier = notifier
        self._charts = charts
        self._clock = clock
        self.poll_seconds = poll_seconds
        self.config = config or DigestConfig()

    async def tick(self) -> int:
        """One pass: the digests due now; returns how many were delivered."""
        return await self.run_due(self._clock.now())

    async def run_due(self, now: datetime | None = None) -> int:
        """Claims, sends and settles every due digest, one at a time; returns how many were delivered."""
        moment = now or self._clock.now()
        lease = timedelta(seconds=self.config.lease_seconds)
        delivered = 0
        teams: dict[int, TeamDigest] = {}
        charts: dict[tuple[int, Lang], Attachment | None] = {}
        for member, day in await self._service.due(moment):
            claim = await self._service.claim(member, day, moment, lease, self.config.max_attempts)
            if claim is None:
                continue  # another process has it, or just settled it
            held = [claim]
            renewer = asyncio.create_task(self._renew(held), name="digest-lease")
            try:
                status = await self._send(member, moment, teams, charts)
            finally:
                renewer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await renewer
            delivered += await self._settle(held[0], status)
        return delivered

    async def _send(
        self,
        member: Member,
        now: datetime,
        teams: dict[int, TeamDigest],
        charts: dict[tuple[int, Lang], Attachment | None],
    ) -> DigestStatus:
        """Composes and sends the member's digest: DELIVERED, SKIPPED (nothing to tell), or FAILED."""
        try:
            reply = await self._reply_for(member, now, teams, charts)
        except Exception:
            logger.exception("digest for member %s could not be composed", member.id)
            return DigestStatus.FAILED
        if reply is None:
            return DigestStatus.SKIPPED
        identities = await self._members.identities(member.id)
        sent = await deliver(self._notifier, identities, reply, what=f"digest for member {member.id}")
        return DigestStatus.DELIVERED if sent is not None else DigestStatus.FAILED

    async def _settle(self, claim: DigestClaim, status: DigestStatus) -> bool:
        """Settles the claim right after its send; True when the digest was delivered."""
        retry_at = None
        if status is DigestStatus.FAILED:
            if claim.attempt >= self.config.max_attempts:
                logger.warning(
                    "digest for member %s of %s given up after %d attempts",
                    claim.member.id,
                    claim.day,
                    claim.attempt,
                )
            else:
                status = DigestStatus.RETRYING
                retry_at = self._clock.now() + self._backoff(claim.attempt)
        try:
            if not await self._service.settle(claim, status, retry_at):
                # Its lease ran out while sending and another process took it over.
                logger.warning(
                    "digest for member %s of %s: claim lost before it settled", claim.member.id, claim.day
                )
        except StorageError as exc:
            # Unsettled, the claim runs out and the digest is sent again: at-least-once.
            logger.warning("digest for member %s not settled (%s)", claim.member.id, type(exc).__name__)
        return status is DigestStatus.DELIVERED

    async def _renew(self, held: list[DigestClaim]) -> None:
        """Keeps the claim in `held[0]` alive until cancelled (composing a big team's digest, drawing
        its chart and sending it can take seconds)."""
        while True:
            await asyncio.sleep(self.config.lease_seconds / 3)
            until = self._clock.now() + timedelta(seconds=self.config.lease_seconds)
            try:
                renewed = await self._service.renew(held[0], until)
            except StorageError as exc:
                logger.warning("digest lease not renewed (%s)", type(exc).__name__)
                continue
            if renewed is None:
                return  # taken over by another process; the settle will find it gone
            held[0] = renewed

    def _backoff(self, attempt: int) -> timedelta:
        seconds = self.config.retry_seconds * 2 ** max(attempt - 1, 0)
        return timedelta(seconds=min(seconds, self.config.max_retry_seconds))

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
