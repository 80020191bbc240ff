"""The callback endpoint: GET verifies the URL, POST takes a message, answers at once and queues it.

WeChat waits 5 seconds for an answer and retries a callback three times, so nothing slow happens
before "success": checks (timestamp window, signature, size, XML), decryption, a replay check on the
nonce and the message key, then the message joins its sender's queue for the workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.wechat.crypto import CallbackCrypto, EnvelopeInvalid, Query, SignatureInvalid
from bot.wechat.envelope import MAX_BODY_BYTES, XmlRejected, fields
from crm.model import Channel
from handlers.wechat.inbound import Inbound, Malformed, unpack

logger = logging.getLogger(__name__)

PATH = "/wechat"
# WeChat's timestamps are its servers' clock; five minutes either way allows for a skewed host.
TIMESTAMP_WINDOW_SECONDS = 300
# WeChat retries within about 15 s; keys are remembered much longer, and durably by the workers.
RECENT_KEYS_SECONDS = 600
CACHE_CAPACITY = 100_000
SUCCESS = "success"
# Acknowledging comes first (WeChat's 5 s), handling after; but never starve handling for longer.
MAX_YIELD_SECONDS = 0.5


class ExpiringSet:
    """Strings remembered for a while, at most `capacity` of them (the oldest are forgotten first)."""

    def __init__(self, ttl_seconds: float, now: Callable[[], float], capacity: int = CACHE_CAPACITY) -> None:
        self._ttl = ttl_seconds
        self._now = now
        self._capacity = capacity
        self._items: OrderedDict[str, float] = OrderedDict()

    def add(self, item: str) -> bool:
        """Remembers `item`; False when it was already remembered (and not yet expired)."""
        now = self._now()
        while self._items and (next(iter(self._items.values())) <= now or len(self._items) >= self._capacity):
            self._items.popitem(last=False)
        if item in self._items:
            return False
        self._items[item] = now + self._ttl
        return True

    def __contains__(self, item: str) -> bool:
        expires = self._items.get(item)
        return expires is not None and expires > self._now()

    def discard(self, item: str) -> None:
        self._items.pop(item, None)


class SenderQueues:
    """A bounded pool of workers; each sender's messages are handled one at a time, in order, while
    different senders are handled side by side. Full -> `submit` says no (WeChat will retry)."""

    def __init__(
        self,
        process: Callable[[Inbound], Awaitable[None]],
        *,
        workers: int = 4,
        capacity: int = 2000,
        gate: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._process = process
        self.gate = gate
        self._workers_count = workers
        self._capacity = capacity
        self._pending: dict[str, deque[Inbound]] = {}
        self._ready: asyncio.Queue[str] = asyncio.Queue()
        self._size = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._closed = False
        self._workers: list[asyncio.Task[None]] = []
        self.handled = 0

    def start(self) -> None:
        self._workers = [
            asyncio.create_task(self._work(), name=f"wechat-{i}") for i in range(self._workers_count)
        ]

    @property
    def size(self) -> int:
        return self._size

    def submit(self, message: Inbound) -> bool:
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
            logger.error("shutdown: %d acknowledged WeChat messages not handled in time", self._size)
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


class CallbackServer:
    """The aiohttp routes of one Official Account or WeCom app at `path`."""

    def __init__(
        self,
        crypto: CallbackCrypto,
        channel: Channel,
        queues: SenderQueues,
        *,
        now: Callable[[], float] = time.time,
        path: str = PATH,
    ) -> None:
        self.crypto = crypto
        self.channel = channel
        self.queues = queues
        self.path = path
        self._now = now
        self._nonces = ExpiringSet(2 * TIMESTAMP_WINDOW_SECONDS, now)
        self._recent = ExpiringSet(RECENT_KEYS_SECONDS, now)
        self.refused = 0
        self._receiving = 0
        self._quiet = asyncio.Event()
        self._quiet.set()
        queues.gate = self.quiet

    async def quiet(self) -> None:
        """Waits (briefly) while callbacks are being received: the workers share the event loop
        with the acknowledgements, and a burst of callbacks is answered before more work starts."""
        if not self._quiet.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._quiet.wait(), MAX_YIELD_SECONDS)

    def mount(self, app: web.Application) -> None:
        app.router.add_get(self.path, self.verify)
        app.router.add_post(self.path, self.receive)

    async def verify(self, request: web.Request) -> web.Response:
        query = Query.of(request.query)
        if not self._in_window(query.timestamp):
            return self._refuse(403, "stale timestamp")
        try:
            echo = self.crypto.verify_url(query)
        except SignatureInvalid:
            return self._refuse(403, "bad signature on URL check")
        except EnvelopeInvalid as exc:
            return self._refuse(400, f"URL check: {exc}")
        logger.info("%s callback URL verified", self.channel.value)
        return web.Response(text=echo)

    async def receive(self, request: web.Request) -> web.Response:
        self._receiving += 1
        self._quiet.clear()
        try:
            return await self._receive(request)
        finally:
            self._receiving -= 1
            if self._receiving == 0:
                self._quiet.set()

    async def _receive(self, request: web.Request) -> web.Response:
        query = Query.of(request.query)
        if not self._in_window(query.timestamp):
            return self._refuse(403, "stale timestamp")
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            return self._refuse(400, "body too large")
        body = await request.content.read(MAX_BODY_BYTES + 1)
        try:
            outer = fields(body)
            inner_xml = self.crypto.open(query, outer.get("Encrypt"))
            message = unpack(self.channel, fields(inner_xml) if inner_xml is not None else outer)
        except SignatureInvalid:
            return self._refuse(403, "bad signature")
        except (XmlRejected, EnvelopeInvalid, Malformed) as exc:
            return self._refuse(400, f"{type(exc).__name__}: {exc}")
        if not self._nonces.add(f"{query.timestamp}:{query.nonce}"):
            # The same signed request again: a retry or a replay. It was taken the first time.
            logger.warning("%s callback with a used nonce ignored", self.channel.value)
            return self._ack()
        if message.key in self._recent:
            logger.info("%s retry of a message already taken", self.channel.value)
            return self._ack()
        if not self.queues.submit(message):
            self._nonces.discard(f"{query.timestamp}:{query.nonce}")
            return self._refuse(503, "queue full")
        self._recent.add(message.key)
        return self._ack()

    def _ack(self) -> web.Response:
        # The Official Account documents "success"; WeCom an empty body (both: no passive reply).
        return web.Response(text="" if self.channel is Channel.WECOM else SUCCESS)

    def _in_window(self, timestamp: str) -> bool:
        if not timestamp.isdigit():
            return False
        return abs(self._now() - int(timestamp)) <= TIMESTAMP_WINDOW_SECONDS

    def _refuse(self, status: int, why: str) -> web.Response:
        self.refused += 1
        logger.warning("%s callback refused (%d): %s", self.channel.value, status, why)
        return web.Response(status=status, text="")
