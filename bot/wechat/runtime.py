"""The WeChat / WeCom channel in a running process: crypto, API client, handler, per-sender workers,
callback routes and the notifier, built from settings. It runs on the HTTP server the channels share
(bot/http.py)."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from bot.http import web_application as http_application
from bot.queues import SenderQueues
from bot.settings import Settings
from bot.wechat.api import Credentials, WeChatClient
from bot.wechat.crypto import CallbackCrypto
from bot.wechat.envelope import MAX_BODY_BYTES
from bot.wechat.server import CallbackServer
from chat.app import App
from chat.delivery import ChannelNotifier
from crm.errors import StorageError
from crm.model import Channel
from handlers.wechat.inbound import Inbound
from handlers.wechat.messages import WeChatHandler
from handlers.wechat.notify import WeChatNotifier

logger = logging.getLogger(__name__)

# Acknowledged messages are finished at shutdown; a voice note may take a minute to transcribe.
SHUTDOWN_GRACE_SECONDS = 120.0
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
            inbound_leads=settings.wechat_inbound_leads,
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
            app, self.client, max_file_bytes=config.max_file_bytes, inbound_leads=config.inbound_leads
        )
        self.queues: SenderQueues[Inbound] = SenderQueues(
            self._process, workers=config.workers, name="wechat"
        )
        crypto = CallbackCrypto(config.token, config.aes_key, config.app_id, enterprise=enterprise)
        self.server = CallbackServer(crypto, config.channel, self.queues, now=now)
        if notifier is not None:
            notifier.register(config.channel, WeChatNotifier(self.handler.conversation, self.client))

    @property
    def max_body(self) -> int:
        return MAX_BODY_BYTES

    def mount(self, web_app: web.Application) -> None:
        self.server.mount(web_app)

    def start(self) -> None:
        self.queues.start()

    async def close(self, grace_seconds: float = SHUTDOWN_GRACE_SECONDS) -> None:
        await self.queues.drain(grace_seconds)
        await self.client.close()

    async def _process(self, message: Inbound) -> None:
        try:
            first = await self.app.inbox.claim(message.key)
        except StorageError:
            # Better handled twice than lost: the services keep their own keys for captures.
            logger.warning("could not record a %s message key; handling it anyway", message.channel.value)
            first = True
        if not first:
            logger.info("%s message handled before (a retry after a restart)", message.channel.value)
            return
        await self.handler.handle(message)


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
        logger.info("stopping: finishing acknowledged messages")
        await self.channel.close()
