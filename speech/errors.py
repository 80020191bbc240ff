"""Errors of the speech package; bot/ maps `AudioError` to the domain's `AudioRejected`.

SpeechError
 ├── AudioError        the recording itself is unusable (reason says why)
 └── ModelNotFoundError the Whisper checkpoint is missing (a deployment problem, not the user's)
"""

from __future__ import annotations

from typing import Literal

AudioRejectReason = Literal["empty", "too_large", "not_audio", "too_long", "silent"]


class SpeechError(Exception):
    """Base class of the speech package's errors."""


class AudioError(SpeechError):
    """A recording we refuse to transcribe; `reason` is stable, `detail` is for logs."""

    def __init__(self, reason: AudioRejectReason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason: AudioRejectReason = reason
        self.detail = detail


class ModelNotFoundError(SpeechError):
    """No local checkpoint for the requested model; nothing is ever downloaded at run time."""
