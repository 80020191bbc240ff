"""The morning digest job: once a minute, sends the digests that have fallen due (each member's local
time, workdays only by default). Which digests are due and the once-per-day claim live in
crm.digest; this is the loop that drives it."""

from __future__ import annotations

import asyncio
import logging

from crm.digest import DigestService
from crm.errors import StorageError
from crm.ports import Clock

logger = logging.getLogger(__name__)

POLL_SECONDS = 60.0


class DigestJob:
    def __init__(self, service: DigestService, clock: Clock, poll_seconds: float = POLL_SECONDS) -> None:
        self._service = service
        self._clock = clock
        self.poll_seconds = poll_seconds

    async def tick(self) -> int:
        """One pass: the digests due now; returns how many were delivered."""
        return await self._service.run_due(self._clock.now())

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
