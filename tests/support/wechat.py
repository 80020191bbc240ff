"""Callback envelopes as WeChat sends them, made with wechatpy's own crypto (not ours): plaintext,
compatible and safe mode for an Official Account, and WeCom's always-encrypted callbacks."""

from __future__ import annotations

import hashlib
import itertools
import random
import re
import time
from dataclasses import dataclass, field
from typing import Any

from wechatpy.crypto import WeChatCrypto as OfficialCrypto
from wechatpy.enterprise.crypto import WeChatCrypto as EnterpriseCrypto

from tests.support.fake_wechat import APP_ID, CORP_ID

TOKEN = "chatcrm-callback-token"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters, as the console makes them
AGENT_ID = "1000002"
ACCOUNT = "gh_0123456789ab"  # the Official Account's own id (ToUserName)

_ids = itertools.count(24_000_000_000_000_000)


def _cdata(value: str) -> str:
    return f"<![CDATA[{value}]]>"


def message_xml(
    sender: str, kind: str, created: int | None = None, msg_id: int | None = None, **extra: Any
) -> str:
    """A message as WeChat documents it: `extra` fields are added as given (strings as CDATA)."""
    parts = [
        f"<ToUserName>{_cdata(ACCOUNT)}</ToUserName>",
        f"<FromUserName>{_cdata(sender)}</FromUserName>",
        f"<CreateTime>{created or int(time.time())}</CreateTime>",
        f"<MsgType>{_cdata(kind)}</MsgType>",
    ]
    for name, value in extra.items():
        parts.append(f"<{name}>{_cdata(value) if isinstance(value, str) else value}</{name}>")
    if kind != "event":
        parts.append(f"<MsgId>{msg_id or next(_ids)}</MsgId>")
    return "<xml>" + "".join(parts) + "</xml>"


def text(sender: str, content: str, **kw: Any) -> str:
    return message_xml(sender, "text", Content=content, **kw)


def event(sender: str, name: str, **kw: Any) -> str:
    return message_xml(sender, "event", Event=name, **kw)


def sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


@dataclass
class Envelopes:
    """Makes callbacks for one account in one mode: "plaintext", "compatible", "safe" or "wecom"."""

    mode: str
    token: str = TOKEN
    aes_key: str = AES_KEY
    now: Any = time.time
    # WeChat's nonces are random numbers; two Envelopes (two processes) must not share them.
    _nonces: itertools.count[int] = field(default_factory=lambda: itertools.count(random.randrange(10**9)))

    @property
    def enterprise(self) -> bool:
        return self.mode == "wecom"

    def _crypto(self) -> Any:
        if self.enterprise:
            return EnterpriseCrypto(self.token, self.aes_key, CORP_ID)
        return OfficialCrypto(self.token, self.aes_key, APP_ID)

    def post(
        self, xml: str, *, timestamp: int | None = None, nonce: str | None = None
    ) -> tuple[dict[str, str], str]:
        """The query string and body of a POST carrying `xml`."""
        ts = str(timestamp if timestamp is not None else int(self.now()))
        nonce = nonce or str(next(self._nonces))
        query = {"timestamp": ts, "nonce": nonce}
        if not self.enterprise:
            query["signature"] = sign(self.token, ts, nonce)
            sender = re.search(r"<FromUserName>(?:<!\[CDATA\[)?(.*?)(?:\]\]>)?</FromUserName>", xml)
            query["openid"] = sender.group(1) if sender else ""
        if self.mode == "plaintext":
            return query, xml
        sealed = self._crypto().encrypt_message(xml, nonce, ts)
        encrypted = re.search(r"<Encrypt><!\[CDATA\[(.*?)\]\]></Encrypt>", sealed).group(1)  # type: ignore[union-attr]
        query["msg_signature"] = re.search(r"<MsgSignature><!\[CDATA\[(.*?)\]\]>", sealed).group(1)  # type: ignore[union-attr]
        if self.enterprise:
            body = (
                f"<xml><ToUserName>{_cdata(CORP_ID)}</ToUserName><AgentID>{_cdata(AGENT_ID)}</AgentID>"
                f"<Encrypt>{_cdata(encrypted)}</Encrypt></xml>"
            )
            return query, body
        query["encrypt_type"] = "aes"
        if self.mode == "compatible":
            # Compatible mode: the plaintext fields and the encrypted form side by side.
            return query, xml.replace("</xml>", f"<Encrypt>{_cdata(encrypted)}</Encrypt></xml>")
        return (
            query,
            f"<xml><ToUserName>{_cdata(ACCOUNT)}</ToUserName><Encrypt>{_cdata(encrypted)}</Encrypt></xml>",
        )

    def url_check(
        self, echo: str = "echo-4711", *, timestamp: int | None = None
    ) -> tuple[dict[str, str], str]:
        """The GET WeChat sends when the callback URL is saved, and the text it expects back."""
        ts = str(timestamp if timestamp is not None else int(self.now()))
        nonce = str(next(self._nonces))
        if not self.enterprise:
            return {
                "signature": sign(self.token, ts, nonce),
                "timestamp": ts,
                "nonce": nonce,
                "echostr": echo,
            }, echo
        sealed = self._crypto().encrypt_message(echo, nonce, ts)
        encrypted = re.search(r"<Encrypt><!\[CDATA\[(.*?)\]\]></Encrypt>", sealed).group(1)  # type: ignore[union-attr]
        signature = re.search(r"<MsgSignature><!\[CDATA\[(.*?)\]\]>", sealed).group(1)  # type: ignore[union-attr]
        return {"msg_signature": signature, "timestamp": ts, "nonce": nonce, "echostr": encrypted}, echo
