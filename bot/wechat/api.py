"""An async client for the WeChat Official Account and WeCom message APIs (aiohttp, never wechatpy's
synchronous requests client inside the event loop).

Access tokens are fetched once, cached until shortly before they expire, and fetched again when an
API answers 40001 / 40014 / 42001 (invalid or expired token: another process may have refreshed it).
Busy and rate-limit answers (-1, 45009, 45011, HTTP 429/5xx) are retried with exponential backoff.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp

from bot.http import BodyTooLarge, read_capped
from crm.errors import DeliveryFailed
from handlers.wechat.ports import Media, MediaTooLarge, MediaUnavailable

logger = logging.getLogger(__name__)

T = TypeVar("T")

OFFICIAL_API = "https://api.weixin.qq.com"
WECOM_API = "https://qyapi.weixin.qq.com"

TOKEN_ERRORS = frozenset({40001, 40014, 42001})
RETRY_ERRORS = frozenset({-1, 45009, 45011, 45033})
# Refresh this long before WeChat's stated expiry (7200 s), so a token is never used as it dies.
TOKEN_MARGIN_SECONDS = 300.0
ATTEMPTS = 4
CONCURRENT_CALLS = 8
# A 20 MB file over a slow link takes a while: downloads get minutes in all, but no 30 s of silence.
DOWNLOAD_TIMEOUT = aiohttp.ClientTimeout(total=600, sock_read=30)


class ApiError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


@dataclass(frozen=True, slots=True)
class Credentials:
    app_id: str  # AppID, or the CorpID for WeCom
    secret: str
    agent_id: str | None = None  # WeCom only

    @property
    def enterprise(self) -> bool:
        return self.agent_id is not None


class WeChatClient:
    """handlers.wechat.ports.WeChatApi over HTTP: customer-service messages (Official Account) or
    application messages (WeCom, which alone can send files), media upload and download."""

    def __init__(
        self,
        credentials: Credentials,
        base_url: str | None = None,
        *,
        backoff_seconds: float = 0.5,
        timeout_seconds: float = 15.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.credentials = credentials
        default = WECOM_API if credentials.enterprise else OFFICIAL_API
        self.base_url = (base_url or default).rstrip("/")
        self.backoff_seconds = backoff_seconds
        self._monotonic = monotonic
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session: aiohttp.ClientSession | None = None
        self._token: str | None = None
        self._token_expires = 0.0
        self._token_lock = asyncio.Lock()
        self._calls = asyncio.Semaphore(CONCURRENT_CALLS)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    # --- handlers.wechat.ports.WeChatApi --------------------------------------------------------

    async def send_text(self, user: str, text: str) -> None:
        await self._send(user, "text", {"content": text})

    async def send_markdown(self, user: str, text: str) -> None:
        """WeCom only: markdown shows in the WeCom client (the Official Account has no such type)."""
        if not self.credentials.enterprise:
            await self.send_text(user, text)
            return
        await self._send(user, "markdown", {"content": text})

    async def send_news(self, user: str, title: str, description: str, url: str, picurl: str = "") -> None:
        article = {"title": title, "description": description, "url": url, "picurl": picurl}
        await self._send(user, "news", {"articles": [article]})

    async def send_image(self, user: str, data: bytes, filename: str, mime: str) -> None:
        try:
            media_id = await self.upload("image", data, filename, mime)
        except (ApiError, aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryFailed(f"wechat upload failed: {exc}") from exc
        await self._send(user, "image", {"media_id": media_id})

    @property
    def sends_files(self) -> bool:
        # WeCom application messages have msgtype "file"; an Official Account's customer-service
        # messages do not (text, image, voice, video, music, news, mpnews, msgmenu, wxcard,
        # miniprogrampage), so there a file cannot be sent at all.
        return self.credentials.enterprise

    async def send_file(self, user: str, data: bytes, filename: str, mime: str) -> None:
        """WeCom: the file as temporary media (media/upload?type=file, up to 20 MB), then a message of
        msgtype "file" with its media_id."""
        if not self.sends_files:
            raise DeliveryFailed("an Official Account cannot send files")
        try:
            media_id = await self.upload("file", data, filename, mime)
        except (ApiError, aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryFailed(f"wechat upload failed: {exc}") from exc
        await self._send(user, "file", {"media_id": media_id})

    async def download(self, media_id: str, max_bytes: int) -> Media:
        try:
            return await self._with_token(lambda token: self._download(token, media_id, max_bytes))
        except MediaUnavailable:
            raise
        except (ApiError, aiohttp.ClientError, TimeoutError) as exc:
            raise MediaUnavailable(str(exc)) from exc

    # --- calls ------------------------------------------------------------------------------------

    async def upload(self, kind: str, data: bytes, filename: str, mime: str) -> str:
        """Temporary media (kept 3 days by WeChat); returns its media_id."""

        async def call(token: str) -> str:
            # The file name as UTF-8, not percent-encoded (aiohttp's default): WeCom shows it to the
            # member as sent, and "导出.xlsx" should not arrive as "%E5%AF%BC%E5%87%BA.xlsx".
            form = aiohttp.FormData(quote_fields=False)
            form.add_field("media", data, filename=filename, content_type=mime)
            url = f"{self.base_url}/cgi-bin/media/upload"
            async with self._http().post(url, params={"access_token": token, "type": kind}, data=form) as r:
                body = await self._json(r)
            return str(body["media_id"])

        return await self._with_token(call)

    async def _send(self, user: str, msgtype: str, content: Mapping[str, Any]) -> None:
        payload: dict[str, Any] = {"touser": user, "msgtype": msgtype, msgtype: dict(content)}
        if self.credentials.enterprise:
            path = "/cgi-bin/message/send"
            payload["agentid"] = int(self.credentials.agent_id or 0)
        else:
            path = "/cgi-bin/message/custom/send"
        # ensure_ascii=False: WeChat counts the content limit in bytes of the text as sent.
        body = json.dumps(payload, ensure_ascii=False).encode()

        async def call(token: str) -> None:
            url = f"{self.base_url}{path}"
            headers = {"Content-Type": "application/json; charset=utf-8"}
            async with self._http().post(
                url, params={"access_token": token}, data=body, headers=headers
            ) as r:
                await self._json(r)

        try:
            await self._with_token(call)
        except (ApiError, aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryFailed(f"wechat {msgtype} message refused: {exc}") from exc

    async def _download(self, token: str, media_id: str, max_bytes: int) -> Media:
        url = f"{self.base_url}/cgi-bin/media/get"
        params = {"access_token": token, "media_id": media_id}
        async with self._http().get(url, params=params, timeout=DOWNLOAD_TIMEOUT) as r:
            mime = r.content_type or "application/octet-stream"
            if mime in ("application/json", "text/plain"):
                await self._json(r)  # an error answer
                raise MediaUnavailable("no media in the answer")
            if r.status != 200:
                raise MediaUnavailable(f"HTTP {r.status}")
            if r.content_length is not None and r.content_length > max_bytes:
                raise MediaTooLarge(max_bytes)
            try:
                data = await read_capped(r.content, max_bytes)
            except BodyTooLarge as exc:
                raise MediaTooLarge(max_bytes) from exc
            return Media(data=data, mime=mime, filename=_filename(r.headers.get("Content-Disposition", "")))

    async def _with_token(self, call: Callable[[str], Awaitable[T]]) -> T:
        """Runs `call(token)` with retries: a fresh token after a token error, backoff when busy."""
        stale: str | None = None
        for attempt in range(ATTEMPTS):
            token = await self.token(refresh_if=stale)
            try:
                async with self._calls:
                    return await call(token)
            except ApiError as exc:
                if exc.code in TOKEN_ERRORS and attempt == 0:
                    logger.info("wechat access token refused (%s), fetching a new one", exc.code)
                    stale = token
                    continue
                if exc.code not in RETRY_ERRORS or attempt == ATTEMPTS - 1:
                    raise
                logger.warning("wechat busy (%s), retrying", exc.code)
            except _Retryable as exc:
                if attempt == ATTEMPTS - 1:
                    raise aiohttp.ClientError(str(exc)) from exc
                logger.warning("wechat answered %s, retrying", exc)
            await asyncio.sleep(self.backoff_seconds * 2**attempt * (1 + random.random() / 4))  # noqa: S311
        raise AssertionError("unreachable")  # pragma: no cover - every attempt returns or raises

    async def token(self, *, refresh_if: str | None = None) -> str:
        """The cached access token; fetched when missing, near expiry, or equal to `refresh_if`."""
        async with self._token_lock:
            fresh = self._token is not None and self._monotonic() < self._token_expires
            if fresh and (refresh_if is None or self._token != refresh_if):
                assert self._token is not None
                return self._token
            self._token, lifetime = await self._fetch_token()
            self._token_expires = self._monotonic() + max(lifetime - TOKEN_MARGIN_SECONDS, lifetime / 2)
            return self._token

    async def _fetch_token(self) -> tuple[str, float]:
        c = self.credentials
        if c.enterprise:
            url, params = f"{self.base_url}/cgi-bin/gettoken", {"corpid": c.app_id, "corpsecret": c.secret}
        else:
            url = f"{self.base_url}/cgi-bin/token"
            params = {"grant_type": "client_credential", "appid": c.app_id, "secret": c.secret}
        for attempt in range(ATTEMPTS):
            try:
                async with self._http().get(url, params=params) as r:
                    body = await self._json(r)
                return str(body["access_token"]), float(body.get("expires_in", 7200))
            except (ApiError, _Retryable, aiohttp.ClientError, TimeoutError) as exc:
                retry = not isinstance(exc, ApiError) or exc.code in RETRY_ERRORS
                if not retry or attempt == ATTEMPTS - 1:
                    raise DeliveryFailed(f"no wechat access token: {exc}") from exc
                await asyncio.sleep(self.backoff_seconds * 2**attempt)
        raise AssertionError("unreachable")

    async def _json(self, response: aiohttp.ClientResponse) -> dict[str, Any]:
        if response.status == 429 or response.status >= 500:
            raise _Retryable(f"HTTP {response.status}")
        try:
            body = json.loads(await response.read())
        except ValueError as exc:
            raise ApiError(-2, f"not JSON (HTTP {response.status})") from exc
        if not isinstance(body, dict):
            raise ApiError(-2, "unexpected answer")
        code = int(body.get("errcode", 0) or 0)
        if code != 0:
            raise ApiError(code, str(body.get("errmsg", "")))
        return body


class _Retryable(Exception):
    """HTTP 429 or 5xx."""


def _filename(disposition: str) -> str | None:
    marker = 'filename="'
    if marker in disposition:
        return disposition.split(marker, 1)[1].split('"', 1)[0] or None
    return None
