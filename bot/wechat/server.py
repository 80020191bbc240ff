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
from collections import OrderedDict
from collections.abc import Callable

from aiohttp import web

from bot.queues import SenderQueues
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


class CallbackServer:
    """The aiohttp routes of one Official Account or WeCom app at `path`."""

    def __init__(
        self,
        crypto: CallbackCrypto,
        channel: Channel,
        queues: SenderQueues[Inbound],
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
        return web.Response(text="" if self.channel == Channel.WECOM else SUCCESS)

    def _in_window(self, timestamp: str) -> bool:
        if not timestamp.isdigit():
            return False
        return abs(self._now() - int(timestamp)) <= TIMESTAMP_WINDOW_SECONDS

    def _refuse(self, status: int, why: str) -> web.Response:
        self.refused += 1
        logger.warning("%s callback refused (%d): %s", self.channel.value, status, why)
        return web.Response(status=status, text="")
