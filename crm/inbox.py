"""The inbox: a channel message is in the database before the channel is told it was taken.

A channel that must be answered at once (WeChat's callback within 5 s, a Telegram webhook) calls
`accept()` and acknowledges only when it returns ACCEPTED, DUPLICATE or REPLAY. One transaction
writes the message's dedup key (processed keys, "in:" + its key: a redelivery to any process,
however late, is recognised), the signed request's nonce (a replayed request is recognised by every
process until the nonce's timestamp is out of the window anyway) and the message itself as a job of
crm.jobs, whose runner handles it, retries it and resumes it after a crash, in whichever process.

Acknowledging stays fast under bursts: concurrent arrivals share one transaction (group commit).
One sender with `max_waiting` messages still waiting gets FULL (the channel refuses, and retries
later) instead of filling the queue the others share.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any

from crm.errors import StorageConflict, StorageError
from crm.model import NewJob
from crm.ports import Clock, UnitOfWork, UnitOfWorkFactory

logger = logging.getLogger(__name__)

CLAIM_PREFIX = "in:"
NONCE_PREFIX = "nonce:"
# A forwarded chat is up to 100 Telegram updates at once (more when a rep forwards twice in a row),
# all waiting until the burst they make is stored: room for a few of those per sender.
MAX_WAITING = 300
# WeChat signs callbacks with a timestamp accepted five minutes either way: a nonce is remembered
# for as long as its request could be replayed inside that window.
NONCE_SECONDS = 600.0
BATCH_LIMIT = 500
CLAIMS_KEPT = timedelta(days=7)
PURGE_EVERY_SECONDS = 3600.0


class Admission(StrEnum):
    ACCEPTED = "accepted"  # written; its job will be handled
    DUPLICATE = "duplicate"  # this message was taken before (a redelivery): nothing more to do
    REPLAY = "replay"  # this very request was taken before (its nonce): nothing more to do
    FULL = "full"  # its sender has too many messages waiting: refuse now, the channel retries


@dataclass(frozen=True, slots=True)
class Incoming:
    """One message as a channel received it: `key` identifies the message (MsgId, update_id), `lane`
    its sender (whose messages are handled in order), `payload` what the handler needs later, and
    `nonce` the signed request's one-time value, if the channel has one."""

    queue: str
    lane: str
    key: str
    payload: dict[str, Any] = field(default_factory=dict)
    nonce: str | None = None


@dataclass(slots=True)
class _Waiting:
    incoming: Incoming
    future: asyncio.Future[Admission]


class Inbox:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        *,
        max_waiting: int = MAX_WAITING,
        nonce_seconds: float = NONCE_SECONDS,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self.max_waiting = max_waiting
        self._nonce_ttl = timedelta(seconds=nonce_seconds)
        self._batch: list[_Waiting] = []
        self._writer: asyncio.Task[None] | None = None

    async def accept(self, incoming: Incoming) -> Admission:
        """Writes the message durably (with its dedup key and nonce) unless it is a redelivery, a
        replay, or its sender has too many waiting. Raises crm.errors.StorageError when the database
        fails: then nothing was taken and the channel must not be told otherwise."""
        waiting = _Waiting(incoming, asyncio.get_running_loop().create_future())
        self._batch.append(waiting)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_batches(), name="inbox-writer")
        return await waiting.future

    async def purge(self) -> int:
        """Forgets nonces whose requests are out of the timestamp window anyway, and the dedup keys of
        messages taken more than CLAIMS_KEPT ago (no channel delivers a message again that late:
        Telegram keeps an update a day, WeChat retries a callback within seconds)."""
        now = self._clock.now()
        async with self._uow() as uow:
            removed = await uow.expiring_keys.purge(now)
            removed += await uow.processed.purge(CLAIM_PREFIX, now - CLAIMS_KEPT)
            await uow.commit()
        return removed

    async def keep_tidy(self, every_seconds: float = PURGE_EVERY_SECONDS) -> None:
        """Runs `purge` every `every_seconds` until cancelled (any process may; the deletes are
        idempotent)."""
        while True:
            try:
                removed = await self.purge()
                if removed:
                    logger.info("inbox: %d expired keys deleted", removed)
            except StorageError as exc:
                logger.warning("inbox: keys not purged, database unavailable (%s)", type(exc).__name__)
            await asyncio.sleep(every_seconds)

    async def _write_batches(self) -> None:
        # Whatever arrives while a batch is written goes into the next one.
        while self._batch:
            batch, self._batch = self._batch[:BATCH_LIMIT], self._batch[BATCH_LIMIT:]
            try:
                results = await self._write_batch(batch)
            except Exception as exc:
                for item in batch:
                    if not item.future.done():
                        item.future.set_exception(exc)
                continue
            for item, result in zip(batch, results, strict=True):
                if not item.future.done():
                    item.future.set_result(result)

    async def _write_batch(self, batch: list[_Waiting]) -> list[Admission]:
        incoming = [item.incoming for item in batch]
        try:
            return await self._write(incoming)
        except StorageConflict:
            if len(incoming) == 1:
                # Another process wrote this key between our read and our insert.
                return [Admission.DUPLICATE]
        # One of the batch's keys was written by another process meanwhile: one at a time, so that
        # only that one reads as the duplicate it is.
        results = []
        for one in incoming:
            try:
                results.extend(await self._write([one]))
            except StorageConflict:
                results.append(Admission.DUPLICATE)
        return results

    async def _write(self, incoming: Sequence[Incoming]) -> list[Admission]:
        now = self._clock.now()
        async with self._uow() as uow:
            results = await self._decide(uow, incoming)
            accepted = [
                m for m, result in zip(incoming, results, strict=True) if result is Admission.ACCEPTED
            ]
            await uow.processed.add([CLAIM_PREFIX + m.key for m in accepted], now)
            await uow.jobs.add([NewJob(m.queue, m.lane, m.key, m.payload) for m in accepted], now)
            await uow.commit()
        return results

    async def _decide(self, uow: UnitOfWork, incoming: Sequence[Incoming]) -> list[Admission]:
        now = self._clock.now()
        seen = await uow.processed.seen([CLAIM_PREFIX + m.key for m in incoming])
        waiting: dict[tuple[str, str], int] = {}
        for queue in {m.queue for m in incoming}:
            lanes = [m.lane for m in incoming if m.queue == queue]
            for lane, count in (await uow.jobs.waiting(queue, lanes)).items():
                waiting[(queue, lane)] = count
        results: list[Admission] = []
        keys: set[str] = set()
        for message in incoming:
            if CLAIM_PREFIX + message.key in seen or message.key in keys:
                results.append(Admission.DUPLICATE)
            elif waiting.get((message.queue, message.lane), 0) >= self.max_waiting:
                logger.warning(
                    "%s: a sender has %d messages waiting; refusing more", message.queue, self.max_waiting
                )
                results.append(Admission.FULL)
            else:
                keys.add(message.key)
                waiting[(message.queue, message.lane)] = waiting.get((message.queue, message.lane), 0) + 1
                results.append(Admission.ACCEPTED)
        # Nonces of the requests about to be taken; one already remembered is a replay (a request
        # refused as FULL is not remembered: the channel may send it again as it was).
        nonces: dict[int, str] = {
            i: f"{NONCE_PREFIX}{m.queue}:{m.nonce}"
            for i, m in enumerate(incoming)
            if m.nonce and results[i] is Admission.ACCEPTED
        }
        if nonces:
            replayed = await uow.expiring_keys.add(list(nonces.values()), now + self._nonce_ttl, now)
            first: set[str] = set()
            for i, nonce in nonces.items():
                if nonce in replayed or nonce in first:
                    results[i] = Admission.REPLAY
                first.add(nonce)
        return results
