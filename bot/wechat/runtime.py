"""The WeChat / WeCom channel in a running process: crypto, API client, handler, the runner of its
inbox (crm.jobs: durable, one sender's messages in order, any process), callback routes and the
notifier, built from settings. It runs on the HTTP server the channels share (bot/http.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from bot.http import web_application as http_application
from bot.settings import Settings
from bot.wechat.api import Credentials, WeChatClient
from bot.wechat.crypto import CallbackCrypto
from bot.wechat.envelope import MAX_BODY_BYTES
from bot.wechat.server import CallbackServer
from chat.app import App
from chat.delivery import ChannelNotifier
from crm.jobs import JobConfig, JobRunner
from crm.model import Channel, Job
from handlers.wechat.inbound import unpack
from handlers.wechat.messages import WeChatHandler
from handlers.wechat.notify import WeChatNotifier

logger = logging.getLogger(__name__)

# Messages under way are finished at shutdown if they can be in this time; the others are in the
# database and are taken up again when their lease runs out (by the restarted or another process).
SHUTDOWN_GRACE_SECONDS = 30.0
# The event loop shares the GIL with the transcription thread (Whisper's Python decoding loop); at
# Python's default 5 ms switch interval each hand-over can keep a callback waiting that long.
SWITCH_INTERVAL_SECONDS = 0.001


def favour_the_event_loop() -> None:
    """Shorter GIL turns: acknowledgements stay fast while a voice note transcribes (bench_wechat:
    p99 roughly 90 -> 60 ms for bursts of 200 callbacks on 2 cores)."""
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)


@dataclass(frozen=True, slots=True)
class WeChatConfig:
    token: str
    aes_key: str | None
    app_id: str
    secret: str
    agent_id: str | None = None
    api_url: str | None = None
    workers: int = 4
    max_file_bytes: int = 20 * 1024 * 1024
    inbox_lease_seconds: float = 30.0
    inbox_poll_seconds: float = 0.5
    inbox_max_attempts: int = 5
    inbox_retry_seconds: float = 2.0
    inbound_leads: bool = False  # a stranger's first message is an inbound lead (WECHAT_INBOUND_LEADS)

    @property
    def channel(self) -> Channel:
        # WECHAT_AGENT_ID only exists for a WeCom app: its presence selects WeCom.
        return Channel.WECOM if self.agent_id else Channel.WECHAT

    @classmethod
    def from_settings(cls, settings: Settings) -> WeChatConfig:
        assert settings.wechat_token is not None
        assert settings.wechat_app_id is not None
        return cls(
            token=settings.wechat_token.get_secret_value(),
            aes_key=settings.wechat_aes_key.get_secret_value() if settings.wechat_aes_key else None,
            app_id=settings.wechat_app_id,
            secret=settings.wechat_secret.get_secret_value() if settings.wechat_secret else "",
            agent_id=settings.wechat_agent_id or None,
            api_url=settings.wechat_api_url,
            workers=settings.wechat_workers,
            max_file_bytes=settings.max_file_mb * 1024 * 1024,
            inbox_lease_seconds=settings.inbox_lease_seconds,
            inbox_poll_seconds=settings.inbox_poll_seconds,
            inbox_max_attempts=settings.inbox_max_attempts,
            inbox_retry_seconds=settings.inbox_retry_seconds,
            inbound_leads=settings.wechat_inbound_leads,
        )

    def jobs(self) -> JobConfig:
        """How the inbox's messages are run: one slot per sender being handled, `workers` at once."""
        return JobConfig(
            queue=self.channel.value,
            slots=self.workers,
            lease_seconds=self.inbox_lease_seconds,
            poll_seconds=self.inbox_poll_seconds,
            max_attempts=self.inbox_max_attempts,
            retry_seconds=self.inbox_retry_seconds,
        )


class WeChatChannel:
    """Everything of one Official Account or WeCom app; `mount` it on an aiohttp app, `start`, `close`."""

    def __init__(
        self,
        app: App,
        config: WeChatConfig,
        notifier: ChannelNotifier | None = None,
        *,
        now: Callable[[], float] = time.time,
        backoff_seconds: float = 0.5,
    ) -> None:
        self.app = app
        self.config = config
        enterprise = config.agent_id is not None
        self.client = WeChatClient(
            Credentials(config.app_id, config.secret, config.agent_id),
            config.api_url,
            backoff_seconds=backoff_seconds,
        )
        self.handler = WeChatHandler(
            app,
            self.client,
            max_file_bytes=config.max_file_bytes,
            channel=config.channel,
            inbound_leads=config.inbound_leads,
        )
        self.runner = JobRunner(
            app.ports.uow, app.ports.clock, config.jobs(), self._process, give_up=self._give_up
        )
        crypto = CallbackCrypto(config.token, config.aes_key, config.app_id, enterprise=enterprise)
        self.server = CallbackServer(crypto, config.channel, app.inbox, self.runner.wake, now=now)
        self._running: asyncio.Task[None] | None = None
        if notifier is not None:
            notifier.register(config.channel, WeChatNotifier(self.handler.conversation, self.client))

    @property
    def max_body(self) -> int:
        return MAX_BODY_BYTES

    def mount(self, web_app: web.Application) -> None:
        self.server.mount(web_app)

    def start(self) -> None:
        """Runs the inbox: messages written before (by this process before a restart, or by
        another) are taken up as well as new ones."""
        self._running = asyncio.create_task(self.runner.run(), name=f"{self.config.channel.value}-inbox")

    async def idle(self) -> None:
        """Returns once every message in the inbox is handled (tests, benchmarks)."""
        await self.runner.idle()

    @property
    def handled(self) -> int:
        """Messages this process took out of the inbox and settled."""
        return self.runner.settled

    async def close(self, grace_seconds: float = SHUTDOWN_GRACE_SECONDS) -> None:
        await self.runner.drain(grace_seconds)
        if self._running is not None:
            self._running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._running
            self._running = None
        await self.client.close()

    async def _process(self, job: Job, final: bool) -> None:
        await self.server.quiet()
        await self.handler.handle(unpack(self.config.channel, job.payload["fields"]), final=final)

    async def _give_up(self, job: Job) -> None:
        await self.handler.unprocessed(unpack(self.config.channel, job.payload["fields"]))


def web_application() -> web.Application:
    # Bodies over the callback limit are refused by the handler with 400; aiohttp's own limit
    # only guards request.read()/post(), which the callback does not use.
    return http_application(MAX_BODY_BYTES)


class WeChatRuntime:
    """The channel as `chatcrm run` runs it (bot.channels.ChannelRuntime)."""

    def __init__(self, settings: Settings, app: App, notifier: ChannelNotifier) -> None:
        favour_the_event_loop()
        config = WeChatConfig.from_settings(settings)
        if not config.secret:
            logger.warning("WECHAT_SECRET is not set: messages are received but no reply can be sent")
        self.channel = WeChatChannel(app, config, notifier)

    @property
    def max_body(self) -> int:
        return self.channel.max_body

    def mount(self, web_app: web.Application) -> None:
        self.channel.mount(web_app)

    async def start(self) -> None:
        self.channel.start()
        logger.info("%s: callback at %s", self.channel.config.channel.value, self.channel.server.path)

    async def stop(self) -> None:
        return None  # the callback stops with the HTTP server; what it took is finished in close()

    async def close(self) -> None:
        logger.info("stopping: finishing the messages under way")
        await self.channel.close()
