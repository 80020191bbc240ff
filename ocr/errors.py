"""Why a photo could not be read as a card: `ImageError.reason` is one of five fixed words."""

from __future__ import annotations

from typing import Literal

ImageProblem = Literal["not_image", "too_large", "too_many_pixels", "blank", "unreadable"]


class ImageError(ValueError):
    """The photo was rejected before or after OCR.

    - not_image: Pillow cannot decode it (random bytes, a text file, a truncated upload)
    - too_large: over the byte limit (`limit` is that limit in bytes)
    - too_many_pixels: its header claims more pixels than we decode (`limit` in pixels): refused before
      the pixels are decoded, as a small file can claim gigapixels (a decompression bomb)
    - blank: a near-uniform image, nothing printed on it
    - unreadable: OCR found no text with usable confidence
    """

    def __init__(self, reason: ImageProblem, detail: str = "", *, limit: int | None = None) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason: ImageProblem = reason
        self.detail = detail
        self.limit = limit


class OcrEngineError(RuntimeError):
    """The OCR engine is missing, lacks a language, crashed or timed out: a deployment problem (or an
    engine fault on one odd picture), not something the photo's sender can fix by retaking it."""
