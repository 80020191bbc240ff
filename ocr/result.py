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
    """The lines of one photo in reading order, their text joined by newlines, and the image size.

    `source` says which image the lines come from: "raw" (the photo as sent), "flat" (the card cut out and
    flattened), "contrast" (local contrast evened out) or "flat+contrast".
    """

    lines: tuple[OcrTextLine, ...]
    text: str
    width: int
    height: int
    source: str = "raw"
