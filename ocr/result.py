"""What the card reader returns; satisfies crm.ports.OcrPage and OcrLine structurally."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class OcrTextLine:
    """One line of text: `confidence` 0..1, geometry in pixels of the upright card image (`width` 0 when
    the reader does not measure it)."""

    text: str
    confidence: float
    height: float
    top: float
    left: float
    width: float = 0.0


@dataclass(frozen=True, slots=True)
class OcrResult:
    """The lines of one photo in reading order, their text joined by newlines, and the image size."""

    lines: tuple[OcrTextLine, ...]
    text: str
    width: int
    height: int
