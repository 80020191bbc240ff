"""The one HTTP server of a process, which the channels share: each mounts its routes (Telegram's
webhook at /telegram, the WeChat / WeCom callback at /wechat) before it starts; another route (an
intake API) is one more mount. And stopping on SIGTERM / SIGINT."""

from __future__ import annotations

import asyncio
import logging
import signal

from aiohttp import StreamReader, web

logger = logging.getLogger(__name__)

READ_CHUNK = 64 * 1024


class BodyTooLarge(Exception):
    """A body (a request's, a download's) went past its limit: refused whole, never cut short."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"over {limit} bytes")
        self.limit = limit


async def read_capped(stream: StreamReader, limit: int) -> bytes:
    """The whole body, read to its end however many TCP reads it takes (`read(n)` alone returns what
    happens to be buffered); BodyTooLarge as soon as it passes `limit` bytes."""
    data = bytearray()
    while piece := await stream.read(READ_CHUNK):
        data += piece
        if len(data) > limit:
            raise BodyTooLarge(limit)
    return bytes(data)


def web_application(max_body: int | None = None) -> web.Application:
    """An aiohttp application refusing request bodies over `max_body` (aiohttp's default: 1 MiB)."""
    if max_body is None:
        return web.Application()
    return web.Application(client_max_size=max_body)


class HttpServer:
    """`app` takes the routes; `start` serves them on host:port (when there are any), `close` stops."""

    def __init__(self, host: str, port: int, *, max_body: int | None = None) -> None:
        self.host = host
        self.port = port
        self.app = web_application(max_body)
        self._runner: web.AppRunner | None = None

    @property
    def has_routes(self) -> bool:
        return len(self.app.router.routes()) > 0

    async def start(self) -> None:
        if not self.has_routes:
            return
        runner = web.AppRunner(self.app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, self.host, self.port).start()
        self._runner = runner
        paths = sorted({route.resource.canonical for route in self.app.router.routes() if route.resource})
        logger.info("HTTP on %s:%s: %s", self.host, self.port, ", ".join(paths))

    async def close(self) -> None:
        """Stops taking requests; the application's shutdown hooks run (Telegram's drains updates)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


def stop_on_signals() -> asyncio.Event:
    """An event set by SIGTERM or SIGINT: the caller finishes what it acknowledged, then returns."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop
