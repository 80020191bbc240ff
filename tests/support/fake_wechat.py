"""A fake WeChat / WeCom API on 127.0.0.1: access tokens with expiry, customer-service and application
messages, media upload and download. Records every call; can be told to refuse or be busy."""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

APP_ID = "wx5823bf96d3bd56c7"
CORP_ID = "ww1436e0e65a779aee"
SECRET = "s3cr3t-for-tests"
# What an Official Account's customer-service message may be: there is no "file".
CUSTOM_MESSAGE_TYPES = frozenset(
    {"text", "image", "voice", "video", "music", "news", "mpnews", "msgmenu", "wxcard", "miniprogrampage"}
)


@dataclass
class Sent:
    path: str
    token: str
    body: dict[str, Any]

    @property
    def user(self) -> str:
        return str(self.body.get("touser"))

    @property
    def kind(self) -> str:
        return str(self.body.get("msgtype", ""))

    @property
    def media_id(self) -> str | None:
        content = self.body.get(self.kind, {})
        return str(content["media_id"]) if isinstance(content, dict) and "media_id" in content else None

    @property
    def text(self) -> str:
        kind = self.body.get("msgtype", "")
        content = self.body.get(kind, {})
        return str(content.get("content", "")) if isinstance(content, dict) else ""


@dataclass
class FakeWeChat:
    expires_in: int = 7200
    tokens_issued: list[str] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    uploads: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    # media_id -> (type as the upload named it: image, file, ...; the file name of the form part)
    upload_kinds: dict[str, tuple[str, str]] = field(default_factory=dict)
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    downloads: list[str] = field(default_factory=list)
    refused_tokens: dict[str, int] = field(default_factory=dict)  # token -> errcode to answer with
    busy: list[int] = field(default_factory=list)  # errcodes (or HTTP 5xx statuses) to answer next
    base_url: str = ""
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    runner: web.AppRunner | None = None
    # While clear, sends wait unanswered (`hold()`); one whose caller is gone by `release()` (a killed
    # process) was never taken, as WeChat takes nothing it could not answer.
    _open: asyncio.Event = field(default_factory=asyncio.Event)
    held: int = 0  # sends waiting now
    dropped: int = 0  # sends whose caller went away while held
    # Media sent as a real server under load sends it: `chunk_bytes` at a time with a pause between
    # (the client's reads then return whatever has arrived, not the whole body); with `declare_length`
    # off there is no Content-Length (chunked transfer), so only the bytes themselves tell the size.
    chunk_bytes: int | None = None
    chunk_pause: float = 0.0
    declare_length: bool = True

    def __post_init__(self) -> None:
        self._open.set()

    def hold(self) -> None:
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    async def start(self) -> str:
        app = web.Application()
        app.router.add_get("/cgi-bin/token", self._token)
        app.router.add_get("/cgi-bin/gettoken", self._token)
        app.router.add_post("/cgi-bin/message/custom/send", self._send)
        app.router.add_post("/cgi-bin/message/send", self._send)
        app.router.add_post("/cgi-bin/media/upload", self._upload)
        app.router.add_get("/cgi-bin/media/get", self._media)
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

    def texts(self, user: str | None = None) -> list[str]:
        return [s.text for s in self.sent if user is None or s.user == user]

    def files(self, user: str | None = None) -> list[tuple[bytes, str]]:
        """The files sent as file messages (bytes, the uploaded file name), in order."""
        return [
            (self.uploads[sent.media_id][0], self.upload_kinds[sent.media_id][1])
            for sent in self.sent
            if sent.kind == "file" and (user is None or sent.user == user) and sent.media_id
        ]

    async def wait_for(self, predicate: Any, timeout: float = 30) -> None:
        async with asyncio.timeout(timeout):
            while not predicate():
                self._changed.clear()
                await self._changed.wait()

    def _changed_now(self) -> None:
        self._changed.set()

    def _error(self, code: int, message: str = "error") -> web.Response:
        return web.json_response({"errcode": code, "errmsg": message})

    async def _token(self, request: web.Request) -> web.Response:
        q = request.query
        app_id = q.get("appid") or q.get("corpid")
        secret = q.get("secret") or q.get("corpsecret")
        if app_id not in (APP_ID, CORP_ID) or secret != SECRET:
            return self._error(40013, "invalid appid")
        token = f"tok-{next(self._ids)}"
        self.tokens_issued.append(token)
        return web.json_response({"errcode": 0, "access_token": token, "expires_in": self.expires_in})

    def _check_token(self, request: web.Request) -> web.Response | str:
        token = request.query.get("access_token", "")
        if token not in self.tokens_issued:
            return self._error(40014, "invalid access_token")
        if token in self.refused_tokens:
            return self._error(self.refused_tokens[token], "access_token expired or invalid")
        if self.busy:
            code = self.busy.pop(0)
            if 500 <= code <= 599:
                return web.Response(status=code, text="busy")
            return self._error(code, "api freq out of limit")
        return token

    async def _send(self, request: web.Request) -> web.Response:
        checked = self._check_token(request)
        if isinstance(checked, web.Response):
            return checked
        body = json.loads(await request.read())
        if not self._open.is_set():
            self.held += 1
            try:
                await self._open.wait()
            finally:
                self.held -= 1
            if request.transport is None or request.transport.is_closing():
                self.dropped += 1
                return web.Response(status=503)
        if request.path.endswith("/message/send") and "agentid" not in body:
            return self._error(40056, "invalid agentid")
        if request.path.endswith("/custom/send") and body.get("msgtype") not in CUSTOM_MESSAGE_TYPES:
            return self._error(40008, "invalid message type")
        if request.path.endswith("/message/send") and body.get("msgtype") == "file":
            media_id = str(body.get("file", {}).get("media_id", ""))
            if self.upload_kinds.get(media_id, ("", ""))[0] != "file":
                return self._error(40007, "invalid media_id")
        self.sent.append(Sent(request.path, checked, body))
        self._changed_now()
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def _upload(self, request: web.Request) -> web.Response:
        checked = self._check_token(request)
        if isinstance(checked, web.Response):
            return checked
        form = await request.post()
        media = form["media"]
        assert isinstance(media, web.FileField)
        media_id = f"up-{next(self._ids)}"
        self.uploads[media_id] = (media.file.read(), media.content_type)
        self.upload_kinds[media_id] = (request.query.get("type", ""), media.filename)
        return web.json_response({"type": request.query.get("type"), "media_id": media_id, "created_at": 1})

    async def _media(self, request: web.Request) -> web.StreamResponse:
        checked = self._check_token(request)
        if isinstance(checked, web.Response):
            return checked
        media_id = request.query.get("media_id", "")
        self.downloads.append(media_id)
        self._changed_now()
        if media_id not in self.media:
            return self._error(40007, "invalid media_id")
        data, mime = self.media[media_id]
        disposition = {"Content-Disposition": f'attachment; filename="{media_id}"'}
        if self.chunk_bytes is None:
            return web.Response(body=data, content_type=mime, headers=disposition)
        response = web.StreamResponse(headers=disposition)
        response.content_type = mime
        if self.declare_length:
            response.content_length = len(data)
        await response.prepare(request)
        for start in range(0, len(data), self.chunk_bytes):
            await response.write(data[start : start + self.chunk_bytes])
            await asyncio.sleep(self.chunk_pause)
        await response.write_eof()
        return response
