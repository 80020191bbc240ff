"""Ports: the roles the domain needs filled, as typing.Protocols.

speech/ and ocr/ import nothing of ours; their result types satisfy these protocols structurally.
storage/ implements the unit of work and repositories; bot/ wires the adapters together.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Protocol

from crm.facts import CardFacts, Facts

# --- perception -------------------------------------------------------------------------------


class Transcript(Protocol):
    """What speech-to-text returns."""

    @property
    def text(self) -> str: ...

    @property
    def language(self) -> str: ...

    @property
    def audio_seconds(self) -> float: ...


class SpeechToText(Protocol):
    """Blocking speech recognition; the service runs it in a worker thread, one at a time.

    `progress` is called with the fraction done (0..1) from the worker thread.
    Raises an error the adapter in bot/ maps to `crm.errors.AudioRejected`.
    """

    def transcribe(
        self,
        audio: Path,
        *,
        language: str | None = None,
        prompt: str | None = None,
        progress: Callable[[float], None] | None = None,
    ) -> Transcript: ...


class OcrLine(Protocol):
    """One line of text that OCR found, with its layout."""

    @property
    def text(self) -> str: ...

    @property
    def confidence(self) -> float:
        """0..1, the mean word confidence."""
        ...

    @property
    def height(self) -> float:
        """Glyph height in pixels of the (normalised) image: the largest line is usually the name."""
        ...

    @property
    def top(self) -> float: ...

    @property
    def left(self) -> float: ...


class OcrPage(Protocol):
    """The text of one image, line by line."""

    @property
    def lines(self) -> Sequence[OcrLine]: ...

    @property
    def text(self) -> str: ...


class CardReader(Protocol):
    """Blocking OCR of one card photo; raises an error the adapter maps to `crm.errors.ImageRejected`."""

    def read(self, image: bytes) -> OcrPage: ...


class FactExtractor(Protocol):
    """nlu: text to facts. `now` is aware, in the rep's timezone; relative dates resolve against it."""

    def chat(self, text: str, now: datetime) -> Facts: ...

    def minutes(self, transcript: str, now: datetime) -> Facts:
        """Like `chat`, for a dictated visit note: also fills `summary` and `people`."""
        ...

    def card(self, pages: Sequence[OcrPage]) -> CardFacts:
        """One contact from the front (and back) of a business card."""
        ...


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...
