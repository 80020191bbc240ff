"""Per-sender queues for channels that take messages faster than they are handled (a callback that
must be answered at once, a webhook): one sender's messages in order, different senders side by side,
with a bound on what waits. Channel-neutral: WeChat and WeCom use it today."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Generic, Protocol, TypeVar

from crm.model import Channel

logger = logging.getLogger(__name__)


class Queued(Protocol):
    """What a queued message tells: whose it is (the queue's key), its channel and kind (for the log)."""

    @property
    def sender(self) -> str: ...
    @property
    def channel(self) -> Channel: ...
    @property
    def kind(self) -> str: ...


M = TypeVar("M", bound=Queued)


class SenderQueues(Generic[M]):
    """A bounded pool of workers; each sender's messages are handled one at a time, in order, while
    different senders are handled side by side. Full -> `submit` says no (the channel retries: WeChat
    does when its callback is refused)."""

    def __init__(
        self,
        process: Callable[[M], Awaitable[None]],
        *,
        workers: int = 4,
        capacity: int = 2000,
        gate: Callable[[], Awaitable[None]] | None = None,
        name: str = "queue",
    ) -> None:
        self._process = process
        self.name = name
        self.gate = gate
        self._workers_count = workers
        self._capacity = capacity
        self._pending: dict[str, deque[M]] = {}
        self._ready: asyncio.Queue[str] = asyncio.Queue()
        self._size = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._closed = False
        self._workers: list[asyncio.Task[None]] = []
        self.handled = 0

    def start(self) -> None:
        self._workers = [
            asyncio.create_task(self._work(), name=f"{self.name}-{i}") for i in range(self._workers_count)
        ]

    @property
    def size(self) -> int:
        return self._size

    def submit(self, message: M) -> bool:
        if self._closed or self._size >= self._capacity:
            return False
        self._size += 1
        self._idle.clear()
        queue = self._pending.get(message.sender)
        if queue is None:
            self._pending[message.sender] = deque([message])
            self._ready.put_nowait(message.sender)
        else:
            queue.append(message)
        return True

    async def idle(self) -> None:
        """Returns once every submitted message has been handled."""
        await self._idle.wait()

    async def drain(self, grace_seconds: float) -> None:
        """Stops taking messages and finishes the queued ones (they were acknowledged to WeChat)."""
        self._closed = True
        try:
            await asyncio.wait_for(self._idle.wait(), grace_seconds)
        except TimeoutError:
            logger.error("shutdown: %d acknowledged %s messages not handled in time", self._size, self.name)
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)

    async def _work(self) -> None:
        while True:
            sender = await self._ready.get()
            if self.gate is not None:
                await self.gate()
            queue = self._pending[sender]
            # The message stays at the head while it is handled, so that newer ones from the same
            # sender only queue behind it instead of making the sender ready a second time.
            message = queue[0]
            try:
                await self._process(message)
            except Exception:
                logger.exception("%s message of type %s failed", message.channel.value, message.kind)
            finally:
                queue.popleft()
                self._size -= 1
                self.handled += 1
                if queue:
                    self._ready.put_nowait(sender)  # to the back of the line: others get their turn
                else:
                    del self._pending[sender]
                if self._size == 0:
                    self._idle.set()
