"""A fake Telegram Bot API server on 127.0.0.1: serves queued updates to getUpdates, records every
call, and serves files for getFile downloads."""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "42:WIRE-TEST-TOKEN"


@dataclass
class Call:
    method: str
    params: dict[str, Any]


@dataclass
class FakeTelegram:
    updates: list[dict[str, Any]] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    # getFile answers 400 with this description for these file ids ("Bad Request: file is too big")
    refused_files: dict[str, str] = field(default_factory=dict)
    # getFile of an id not in `files`: refused as the Bot API does, or a path that answers 404
    unknown_files_refused: bool = False
    acknowledged: int = 0  # the highest offset getUpdates was called with
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    runner: web.AppRunner | None = None
    base_url: str = ""
    # While clear, sendMessage calls wait unanswered (`hold()`); one whose caller is gone by
    # `release()` (a killed process) was never taken, as the Bot API takes nothing it did not answer.
    _open: asyncio.Event = field(default_factory=asyncio.Event)
    held: int = 0  # sends waiting now
    dropped: int = 0  # sends whose caller went away while held

    def __post_init__(self) -> None:
        self._open.set()

    def hold(self) -> None:
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    def push(self, update: dict[str, Any]) -> None:
        update.setdefault("update_id", next(self._ids) + 1000)
        self.updates.append(update)

    def sent_texts(self) -> list[str]:
        return [str(c.params.get("text", "")) for c in self.calls if c.method == "sendMessage"]

    async def wait_for(self, predicate: Any, timeout: float = 20) -> None:
        async with asyncio.timeout(timeout):
            while not predicate():
                self._changed.clear()
                await self._changed.wait()

    async def _method(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != TOKEN:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        params = dict(await request.post()) if request.can_read_body else {}
        if method == "sendMessage" and not self._open.is_set():
            self.held += 1
            try:
                await self._open.wait()
            finally:
                self.held -= 1
            if request.transport is None or request.transport.is_closing():
                self.dropped += 1
                return web.Response(status=503)
        self.calls.append(Call(method, params))
        self._changed.set()
        result: Any = True
        if method == "getMe":
            result = {"id": 42, "is_bot": True, "first_name": "chatcrm", "username": "chatcrm_bot"}
        elif method == "getUpdates":
            offset = int(str(params.get("offset") or 0))
            self.acknowledged = max(self.acknowledged, offset)
            # Confirmed updates are gone for good, also for a process that starts again without an
            # offset: "an update is considered confirmed as soon as getUpdates is called with an
            # offset higher than its update_id" (Bot API).
            pending = [u for u in self.updates if u["update_id"] >= self.acknowledged]
            if not pending:
                await asyncio.sleep(0.2)  # a short long-poll
            result = pending
        elif method in ("sendMessage", "editMessageText", "sendPhoto"):
            chat_id = int(str(params.get("chat_id", "0")))
            result = {
                "message_id": next(self._ids),
                "date": 1_790_000_000,
                "chat": {"id": chat_id, "type": "private"},
                "text": params.get("text", ""),
            }
        elif method == "getFile" and str(params.get("file_id")) in self.refused_files:
            description = self.refused_files[str(params.get("file_id"))]
            return web.json_response({"ok": False, "error_code": 400, "description": description}, status=400)
        elif (
            method == "getFile"
            and self.unknown_files_refused
            and str(params.get("file_id")) not in self.files
        ):
            # what the Bot API answers for a file id that is not this bot's
            return web.json_response(
                {"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"}, status=400
            )
        elif method == "getFile":
            file_id = str(params.get("file_id"))
            result = {"file_id": file_id, "file_unique_id": file_id, "file_path": f"docs/{file_id}"}
        return web.Response(text=json.dumps({"ok": True, "result": result}), content_type="application/json")

    async def _file(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["path"].rsplit("/", 1)[-1]
        if name not in self.files:
            raise web.HTTPNotFound()
        return web.Response(body=self.files[name])


def user(user_id: int, name: str, lang: str = "zh-hans") -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": name, "language_code": lang}


def message(
    sender: dict[str, Any], text: str, message_id: int, forward_from: dict[str, Any] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "message_id": message_id,
        "date": 1_790_000_000,
        "chat": {"id": sender["id"], "type": "private"},
        "from": sender,
        "text": text,
    }
    if forward_from is not None:
        body["forward_origin"] = {"type": "user", "date": 1_790_000_000, "sender_user": forward_from}
    if text.startswith("/"):
        body["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split(maxsplit=1)[0])}]
    return {"message": body}
