"""Collects a burst of messages from one member into one conversation.

Telegram delivers a forwarded conversation as one update per message, all within a second or two.
The first message's handler becomes the burst's leader: it waits until no message has arrived for
`quiet` seconds (at most `max_wait`), then takes the whole burst and handles it. The others wait until
the leader has handled it and fail with it: each update is a job of the durable inbox, done only when
its handler returns, so a follower must not be done before the conversation it joined was stored.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass
class _Burst(Generic[T]):
    items: list[T]
    last: float
    started: float
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    handled: asyncio.Future[None] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class BurstFailed(Exception):
    """The leader of the burst this message joined failed to handle it: handle this one again."""


class BurstCollector(Generic[T]):
    def __init__(self, quiet: float = 2.0, max_wait: float = 10.0) -> None:
        self.quiet = quiet
        self.max_wait = max_wait
        self._bursts: dict[Hashable, _Burst[T]] = {}
        self._closing = False

    @contextlib.asynccontextmanager
    async def collect(self, key: Hashable, item: T) -> AsyncIterator[list[T] | None]:
        """Adds `item` to `key`'s burst. The leader's block gets every item once the burst is over and
        handles them; a follower's block gets None once the leader's block ended, and raises
        BurstFailed when it ended with an exception (or was cancelled)."""
        burst = self._bursts.get(key)
        if burst is not None:
            burst.items.append(item)
            burst.last = asyncio.get_running_loop().time()
            await _outcome(burst)
            yield None
            return
        burst = self._open(key, item)
        try:
            await self._wait_quiet(key, burst)
            yield burst.items
        except BaseException as exc:
            if not burst.handled.done():
                burst.handled.set_exception(BurstFailed(type(exc).__name__))
                burst.handled.exception()  # retrieved: a burst without followers logs nothing
            raise
        else:
            if not burst.handled.done():
                burst.handled.set_result(None)

    async def join_if_open(self, key: Hashable, item: T) -> bool:
        """Adds `item` only to a burst already under way and waits until it was handled; True if it
        did (False at once otherwise). Raises BurstFailed as `collect` does."""
        burst = self._bursts.get(key)
        if burst is None:
            return False
        burst.items.append(item)
        burst.last = asyncio.get_running_loop().time()
        await _outcome(burst)
        return True

    def _open(self, key: Hashable, item: T) -> _Burst[T]:
        now = asyncio.get_running_loop().time()
        burst = _Burst(items=[item], last=now, started=now)
        self._bursts[key] = burst
        return burst

    async def _wait_quiet(self, key: Hashable, burst: _Burst[T]) -> None:
        loop = asyncio.get_running_loop()
        try:
            while not self._closing:
                remaining = min(burst.last + self.quiet, burst.started + self.max_wait) - loop.time()
                if remaining <= 0:
                    break
                try:
                    await asyncio.wait_for(burst.wake.wait(), timeout=remaining)
                except TimeoutError:
                    continue
        finally:
            # Also on cancellation: the items leave with the leader, never stranded in the dict.
            self._bursts.pop(key, None)

    def flush_all(self) -> None:
        """Ends every burst now (at shutdown): leaders proceed with what they have."""
        self._closing = True
        for burst in self._bursts.values():
            burst.wake.set()

    @property
    def open_bursts(self) -> int:
        return len(self._bursts)


async def _outcome(burst: _Burst[T]) -> None:
    # shield: a cancelled follower must not cancel the future the other followers wait on
    await asyncio.shield(burst.handled)
