"""`chatcrm run`: the configured channels (the console when none is) and the background jobs.

The channels share one HTTP server (Telegram's webhook, the WeChat / WeCom callback) and stop on
SIGTERM / SIGINT, finishing what they acknowledged."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from bot.channels import ChannelRuntime
from bot.claim import announce_claim
from bot.http import HttpServer, stop_on_signals
from bot.settings import Settings
from bot.wiring import Runtime, background_services, build

logger = logging.getLogger(__name__)


def _wechat(runtime: Runtime) -> ChannelRuntime | None:
    if not runtime.settings.wechat_enabled:
        return None
    from bot.wechat.runtime import WeChatRuntime

    return WeChatRuntime(runtime.settings, runtime.app, runtime.notifier)


def _telegram(runtime: Runtime) -> ChannelRuntime | None:
    if not runtime.settings.telegram_enabled:
        return None
    from bot.telegram import TelegramRuntime

    return TelegramRuntime(runtime)


def _intake(runtime: Runtime) -> ChannelRuntime | None:
    from bot.intake import intake_api

    return intake_api(runtime.settings, runtime.app)


# The messengers a process can run, in the order they start; each is None when its settings are
# missing. A new messenger is one more entry (its runtime in bot/, its handlers in handlers/). The lead
# intake API (POST /api/leads) mounts its route the same way but is no messenger: alone, it runs
# beside the console.
CHANNELS: tuple[Callable[[Runtime], ChannelRuntime | None], ...] = (_wechat, _telegram, _intake)


async def run(settings: Settings) -> None:
    runtime = await build(settings)
    jobs = [asyncio.create_task(job) for job in background_services(runtime)]
    try:
        channels = [channel for make in CHANNELS if (channel := make(runtime)) is not None]
        from bot.intake import LeadIntakeApi

        if any(not isinstance(channel, LeadIntakeApi) for channel in channels):
            # Before any messenger takes a message: on an empty database a public channel's first /start
            # must carry the code printed here (the console founds the team directly).
            await announce_claim(runtime.app.members)
            await serve(settings, channels)
        else:
            from bot.console import run_console

            http = HttpServer(settings.http_host, settings.http_port)
            for channel in channels:
                channel.mount(http.app)
            await http.start()
            try:
                await run_console(runtime)
            finally:
                await http.close()
    finally:
        for job in jobs:
            job.cancel()
        for job in jobs:
            with contextlib.suppress(asyncio.CancelledError):
                await job
        await runtime.close()


async def serve(settings: Settings, channels: list[ChannelRuntime]) -> None:
    """The channels on the shared HTTP server until SIGTERM / SIGINT; then the server stops taking
    requests and the acknowledged messages are finished before returning."""
    limits = [channel.max_body for channel in channels if channel.max_body is not None]
    http = HttpServer(settings.http_host, settings.http_port, max_body=min(limits) if limits else None)
    for channel in channels:
        channel.mount(http.app)
    for channel in channels:
        await channel.start()
    stop = stop_on_signals()
    await http.start()
    try:
        await stop.wait()
    finally:
        for channel in channels:
            await channel.stop()
        await http.close()
        for channel in channels:
            await channel.close()
