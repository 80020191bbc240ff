"""The HTTP server the webhook and callback channels share, and stopping on SIGTERM / SIGINT."""

from __future__ import annotations

import asyncio
import signal

from aiohttp import web


async def serve_http(web_app: web.Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


def stop_on_signals() -> asyncio.Event:
    """An event set by SIGTERM or SIGINT: the caller finishes what it acknowledged, then returns."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop
