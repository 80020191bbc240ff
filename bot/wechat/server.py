"""The callback endpoint: GET verifies the URL, POST takes a message into the durable inbox and answers.

WeChat waits 5 seconds for an answer and retries a callback three times, so nothing slow happens
before "success": checks (well-formed and recent timestamp, nonce, signature, size, XML), decryption,
then one write (crm.inbox: the message with its dedup key and the request's nonce, in one transaction,
shared with the other callbacks arriving at the same moment). "success" means the message is in the
database: a crash after it loses nothing, and any process sharing the database handles it
(crm.jobs). When the database cannot take it, the callback is refused (503) and WeChat retries.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable

from aiohttp import web

from bot.http import BodyTooLarge, read_capped
from bot.wechat.crypto import CallbackCrypto, EnvelopeInvalid, Query, SignatureInvalid
from bot.wechat.envelope import MAX_BODY_BYTES, XmlRejected, fields
from crm.errors import StorageError
from crm.inbox import Admission, Inbox, Incoming
from crm.jobs import wait_a_while
from crm.model import Channel
from handlers.wechat.inbound import Malformed, unpack

logger = logging.getLogger(__name__)

PATH = "/wechat"
# WeChat's timestamps are its servers' clock; five minutes either way allows for a skewed host.
TIMESTAMP_WINDOW_SECONDS = 300
SUCCESS = "success"
# Acknowledging comes first (WeChat's 5 s), handling after; but never starve handling for longer.
MAX_YIELD_SECONDS = 0.5
# Seconds since 1970 in ASCII digits (str.isdigit() also takes "²" and "٣"); nonces are short ASCII.
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_NONCE = re.compile(r"[\x21-\x7e]{1,64}")


class CallbackServer:
    """The aiohttp routes of one Official Account or WeCom app at `path`."""

    def __init__(
        self,
        crypto: CallbackCrypto,
        channel: Channel,
        inbox: Inbox,
        accepted: Callable[[], None],
        *,
        now: Callable[[], float] = time.time,
        path: str = PATH,
    ) -> None:
        """`accepted` is called after a message was written (it wakes the inbox's runner)."""
        self.crypto = crypto
        self.channel = channel
        self.inbox = inbox
        self.accepted = accepted
        self.path = path
        self._now = now
        self.refused = 0
        self.taken = 0  # messages written to the inbox by this server (tests, benchmarks)
        self._receiving = 0
        self._quiet = asyncio.Event()
        self._quiet.set()

    async def quiet(self) -> None:
        """Waits (briefly) while callbacks are being received: the workers share the event loop
        with the acknowledgements, and a burst of callbacks is answered before more work starts."""
        if not self._quiet.is_set():
            await wait_a_while(self._quiet, MAX_YIELD_SECONDS)

    def mount(self, app: web.Application) -> None:
        app.router.add_get(self.path, self.verify)
        app.router.add_post(self.path, self.receive)

    async def verify(self, request: web.Request) -> web.Response:
        query = Query.of(request.query)
        if refused := self._check_query(query):
            return refused
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
        if refused := self._check_query(query):
            return refused
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            return self._refuse(400, "body too large")
        try:
            body = await read_capped(request.content, MAX_BODY_BYTES)
        except BodyTooLarge:
            return self._refuse(400, "body too large")
        try:
            outer = fields(body)
            inner_xml = self.crypto.open(query, outer.get("Encrypt"))
            inner = fields(inner_xml) if inner_xml is not None else outer
            message = unpack(self.channel, inner)
        except SignatureInvalid:
            return self._refuse(403, "bad signature")
        except (XmlRejected, EnvelopeInvalid, Malformed) as exc:
            return self._refuse(400, f"{type(exc).__name__}: {exc}")
        incoming = Incoming(
            queue=self.channel.value,
            lane=message.sender,
            key=message.key,
            payload={"fields": inner},
            nonce=f"{query.timestamp}:{query.nonce}",
        )
        try:
            admission = await self.inbox.accept(incoming)
        except StorageError as exc:
            # Not in the database, so not taken: WeChat retries a callback it got no answer to.
            return self._refuse(503, f"inbox unavailable ({type(exc).__name__})")
        if admission is Admission.FULL:
            return self._refuse(503, "the sender has too many messages waiting")
        if admission is Admission.REPLAY:
            # The same signed request again: a retry or a replay. It was taken the first time.
            logger.warning("%s callback with a used nonce ignored", self.channel.value)
        elif admission is Admission.DUPLICATE:
            logger.info("%s retry of a message already taken", self.channel.value)
        else:
            self.taken += 1
            self.accepted()
        return self._ack()

    def _ack(self) -> web.Response:
        # The Official Account documents "success"; WeCom an empty body (both: no passive reply).
        return web.Response(text="" if self.channel == Channel.WECOM else SUCCESS)

    def _check_query(self, query: Query) -> web.Response | None:
        """400 for a timestamp or nonce that is not what WeChat sends, 403 for a stale timestamp."""
        if not _TIMESTAMP.fullmatch(query.timestamp) or not _NONCE.fullmatch(query.nonce):
            return self._refuse(400, "malformed timestamp or nonce")
        if abs(self._now() - int(query.timestamp)) > TIMESTAMP_WINDOW_SECONDS:
            return self._refuse(403, "stale timestamp")
        return None

    def _refuse(self, status: int, why: str) -> web.Response:
        self.refused += 1
        logger.warning("%s callback refused (%d): %s", self.channel.value, status, why)
        return web.Response(status=status, text="")
