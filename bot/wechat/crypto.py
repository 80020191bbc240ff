"""Callback signatures and AES envelopes: the one module that imports wechatpy (untyped).

Official Account: plaintext mode signs (token, timestamp, nonce) as `signature`; compatible and safe
modes add `msg_signature` over the <Encrypt> field and AES-CBC with the EncodingAESKey. WeCom always
encrypts and signs with `msg_signature`, also for the URL check (an encrypted echostr).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from wechatpy.crypto import WeChatCrypto as OfficialCrypto
from wechatpy.enterprise.crypto import WeChatCrypto as EnterpriseCrypto
from wechatpy.exceptions import InvalidSignatureException

# An EncodingAESKey is 43 characters of base64 (32 bytes once "=" is added).
AES_KEY_LENGTH = 43


class SignatureInvalid(Exception):
    """The request is not signed with our token: answer 403."""


class EnvelopeInvalid(Exception):
    """Signed, but the envelope cannot be opened (bad base64, padding, app id): answer 400."""


@dataclass(frozen=True, slots=True)
class Query:
    """The query parameters WeChat adds to every callback."""

    timestamp: str
    nonce: str
    signature: str = ""
    msg_signature: str = ""
    echostr: str = ""
    encrypt_type: str = ""

    @classmethod
    def of(cls, params: Mapping[str, str]) -> Query:
        return cls(
            timestamp=params.get("timestamp", ""),
            nonce=params.get("nonce", ""),
            signature=params.get("signature", ""),
            msg_signature=params.get("msg_signature", ""),
            echostr=params.get("echostr", ""),
            encrypt_type=params.get("encrypt_type", ""),
        )


def sign(*parts: str) -> str:
    """WeChat's signature: SHA-1 of the sorted parts concatenated."""
    return hashlib.sha1("".join(sorted(parts)).encode(), usedforsecurity=False).hexdigest()


def _same(expected: str, given: str) -> bool:
    # wechatpy compares with `!=`; a constant-time comparison costs nothing here.
    return hmac.compare_digest(expected.encode(), given.encode())


class CallbackCrypto:
    """Verifies and opens callbacks for one Official Account (app id) or WeCom app (corp id)."""

    def __init__(self, token: str, aes_key: str | None, app_id: str, *, enterprise: bool) -> None:
        if enterprise and not aes_key:
            raise ValueError("WeCom callbacks are always encrypted: WECHAT_AES_KEY is required")
        if aes_key is not None and len(aes_key) != AES_KEY_LENGTH:
            raise ValueError(f"WECHAT_AES_KEY must be {AES_KEY_LENGTH} characters (the EncodingAESKey)")
        self.token = token
        self.enterprise = enterprise
        self.encrypted = aes_key is not None
        self._crypto = None
        if aes_key is not None:
            kind = EnterpriseCrypto if enterprise else OfficialCrypto
            self._crypto = kind(token, aes_key, app_id)

    def verify_url(self, query: Query) -> str:
        """The GET check when the callback URL is saved: the text to echo back."""
        if self.enterprise:
            self._check(query.msg_signature, query.timestamp, query.nonce, query.echostr)
            return self._decrypt(query, query.echostr)
        self._check(query.signature, query.timestamp, query.nonce)
        return query.echostr

    def open(self, query: Query, encrypted: str | None) -> str | None:
        """Checks a POST's signature. Returns the decrypted inner XML, or None for a plaintext message.

        With an EncodingAESKey configured only encrypted messages are taken (compatible mode sends both
        forms; the encrypted one is the one signed over its content).
        """
        if self._crypto is None:
            if encrypted is not None:
                raise EnvelopeInvalid("encrypted message but no WECHAT_AES_KEY configured")
            self._check(query.signature, query.timestamp, query.nonce)
            return None
        if encrypted is None:
            raise EnvelopeInvalid("plaintext message while WECHAT_AES_KEY is configured")
        self._check(query.msg_signature, query.timestamp, query.nonce, encrypted)
        return self._decrypt(query, encrypted)

    def _check(self, given: str, *parts: str) -> None:
        if not given or not _same(sign(self.token, *parts), given):
            raise SignatureInvalid()

    def _decrypt(self, query: Query, encrypted: str) -> str:
        assert self._crypto is not None
        try:
            # The signature is checked above; wechatpy checks it again, then decrypts and compares the
            # app id / corp id inside. A dict keeps wechatpy's own (xmltodict) XML parser out of it.
            text = self._crypto.decrypt_message(
                {"Encrypt": encrypted}, query.msg_signature, query.timestamp, query.nonce
            )
        except InvalidSignatureException as exc:
            raise SignatureInvalid() from exc
        except Exception as exc:  # whatever base64, struct, the cipher or the id check raised
            raise EnvelopeInvalid(type(exc).__name__) from exc
        return str(text)
