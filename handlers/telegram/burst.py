"""Collects a burst of messages from one member into one conversation.

Telegram delivers a forwarded conversation as one update per message, all within a second or two.
The first message's handler becomes the burst's leader: it waits until no message has arrived for
`quiet` seconds (at most `max_wait`), then takes the whole burst. The others return at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass
class _Burst(Generic[T]):
    items: list[T]
    last: float
    started: float
    wake: asyncio.Event = field(default_factory=asyncio.Event)


class BurstCollector(Generic[T]):
    def __init__(self, quiet: float = 2.0, max_wait: float = 10.0) -> None:
        self.quiet = quiet
        self.max_wait = max_wait
        self._bursts: dict[Hashable, _Burst[T]] = {}
        self._closing = False

    async def add(self, key: Hashable, item: T) -> list[T] | None:
        """Adds `item` to `key`'s burst. The leader gets every item once the burst is over; the
        followers get None."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        burst = self._bursts.get(key)
        if burst is not None:
            burst.items.append(item)
            burst.last = now
            return None
        burst = _Burst(items=[item], last=now, started=now)
        self._bursts[key] = burst
        try:
            while not self._closing:
                now = loop.time()
                remaining = min(burst.last + self.quiet, burst.started + self.max_wait) - now
                if remaining <= 0:
                    break
                try:
                    await asyncio.wait_for(burst.wake.wait(), timeout=remaining)
                except TimeoutError:
                    continue
        finally:
            # Also on cancellation: the items leave with the leader, never stranded in the dict.
            self._bursts.pop(key, None)
        return burst.items

    def join_if_open(self, key: Hashable, item: T) -> bool:
        """Adds `item` only to a burst already under way; True if it did."""
        burst = self._bursts.get(key)
        if burst is None:
            return False
        burst.items.append(item)
        burst.last = asyncio.get_running_loop().time()
        return True

    def flush_all(self) -> None:
        """Ends every burst now (at shutdown): leaders proceed with what they have."""
        self._closing = True
        for burst in self._bursts.values():
            burst.wake.set()

    @property
    def open_bursts(self) -> int:
        return len(self._bursts)
