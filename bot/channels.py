"""What a messenger running in this process looks like to `chatcrm run` (bot/runner.py).

A channel mounts its HTTP routes on the shared server (if it has any), starts (registers its sender
with the notifier, starts polling or its workers), and stops in two steps: `stop` before the server
stops taking requests, `close` after it did (finishing what was acknowledged).
"""

from __future__ import annotations

from typing import Protocol

from aiohttp import web


class ChannelRuntime(Protocol):
    @property
    def max_body(self) -> int | None:
        """The largest request body its routes take (None: aiohttp's default)."""
        ...

    def mount(self, web_app: web.Application) -> None: ...
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def close(self) -> None: ...
