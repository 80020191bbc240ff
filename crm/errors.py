"""Domain errors. Each carries the key of its user-facing text; handlers/errors.py renders it.

Hierarchy::

    ChatCrmError                 any refusal the user should read about
     ├── NotRegistered           the sender is no member of any team
     ├── NotAllowed              the member's role or ownership forbids it
     ├── NotFound                no such record, or not one this member may see
     ├── InputRejected           text or a file we will not take (empty, too long, binary, too large…)
     │    ├── AudioRejected      a voice note that cannot be transcribed (corrupt, silent, too long…)
     │    └── ImageRejected      a photo that cannot be read (not an image, blank, unreadable…)
     ├── InviteInvalid           an unknown, used or expired invite code
     ├── StorageUnavailable      the database failed; the input was kept for a retry
     └── StageGateRefused        a deal lacks the evidence its next stage requires
"""

from __future__ import annotations

from typing import Any


class ChatCrmError(Exception):
    """A refusal with a message for the user: `key` names the text in chat.messages, `params` fill it."""

    key = "error.generic"

    def __init__(self, key: str | None = None, /, **params: Any) -> None:
        self.key = key or type(self).key
        self.params = params
        super().__init__(self.key, params)


class NotRegistered(ChatCrmError):
    key = "error.not_registered"


class NotAllowed(ChatCrmError):
    key = "error.not_allowed"


class NotFound(ChatCrmError):
    key = "error.not_found"


class InputRejected(ChatCrmError):
    key = "error.input_rejected"


class AudioRejected(InputRejected):
    key = "voice.rejected.not_audio"


class ImageRejected(InputRejected):
    key = "card.rejected.not_image"


class InviteInvalid(ChatCrmError):
    key = "error.invite_invalid"


class StorageUnavailable(ChatCrmError):
    """The database failed. `retry_token` names the kept input, for a retry button."""

    key = "error.storage_unavailable"

    def __init__(self, retry_token: str | None = None) -> None:
        super().__init__(self.key)
        self.retry_token = retry_token


class StageGateRefused(ChatCrmError):
    key = "deal.gate.refused"


class StorageError(Exception):
    """The storage layer failed for an operational reason (connection, lock, disk). Not a user error:
    services catch it, keep the input, and raise StorageUnavailable."""


class StorageConflict(StorageError):
    """A uniqueness rule stopped a write, usually because another process did the same just now."""


class DeliveryFailed(Exception):
    """A channel did not take a message for a member (blocked bot, network, unknown user). Not a user
    error: whoever sends retries later or gives up and logs."""
