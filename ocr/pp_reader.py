"""PpCardOcr: one business-card photo to text lines with PP-OCR, the photo as sent read first.

Preprocessing may only add. The photo as sent is always read; a flattened copy of the card (when the
photo shows a card lying at an angle on a table) and a contrast-evened copy (when the read is weak) are
read as well only where they can help, and one replaces the raw read only when it reads better: more
contact fields found, and a higher recognizer confidence without losing text.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ocr.errors import ImageError
from ocr.geometry import (
    CardOutline,
    boost_contrast,
    find_card,
    flatten,
    flattened_size,
    inside,
    map_points,
)
from ocr.preprocess import MAX_PIXELS, decode, is_blank
from ocr.rapid import PpOcr, Rgb, TextBox
from ocr.result import OcrResult, OcrTextLine

logger = logging.getLogger(__name__)

# What makes a read useful for a contact, counted without the parser (ocr knows nothing of nlu).
_EMAIL = re.compile(r"[\w.+-]+\s?@\s?[\w-]+(?:\.[\w-]+)+")
_WEB = re.compile(r"(?i)\b(?:https?://|www\.)\S+|\b[\w-]+\.(?:com|cn|net|org|co\.\w\w|com\.\w\w)\b")
_PHONE = re.compile(r"(?:\+?\(?\d[\d\s()./-]{6,}\d)")
_KEEP = 0.5  # below this the recognizer is guessing (PP-OCR's own default cut-off)
_MOST_LINES = 80


@dataclass(frozen=True, slots=True)
class _Read:
    """One read of one version of the photo, boxes in the coordinates of the image that was read."""

    source: str  # raw | flat | contrast
    boxes: tuple[TextBox, ...]
    size: tuple[int, int]  # width, height of the image read

    @property
    def kept(self) -> list[TextBox]:
        return [box for box in self.boxes if box.confidence >= _KEEP]

    def fields(self) -> int:
        text = "\n".join(box.text for box in self.kept)
        phones = {re.sub(r"\D", "", m) for m in _PHONE.findall(text) if len(re.sub(r"\D", "", m)) >= 7}
        return len(set(_EMAIL.findall(text))) + len(set(_WEB.findall(text))) + len(phones)

    def confidence(self) -> float:
        """Character-weighted mean confidence of the kept boxes."""
        weights = [len(box.text) for box in self.kept]
        if not sum(weights):
            return 0.0
        return sum(box.confidence * n for box, n in zip(self.kept, weights, strict=True)) / sum(weights)

    def sure_characters(self) -> int:
        return sum(len(box.text) for box in self.kept if box.confidence >= 0.8)


def better(candidate: _Read, incumbent: _Read) -> bool:
    """Whether `candidate` (an enhanced image) reads better than `incumbent` (the raw one, or the best so
    far): more contact fields, or as many with a higher confidence and (nearly) as much sure text."""
    fields, incumbent_fields = candidate.fields(), incumbent.fields()
    if fields != incumbent_fields:
        return fields > incumbent_fields
    return (
        candidate.confidence() > incumbent.confidence() + 0.005
        and candidate.sure_characters() >= 0.85 * incumbent.sure_characters()
    )


class PpCardOcr:
    """Reads business-card photos with PP-OCRv4 (satisfies crm.ports.CardReader).

    Photos over `max_bytes` or `max_pixels` are refused before their pixels are decoded; larger than
    `max_side` they are scaled down first. Raises ImageError for a bad photo, OcrEngineError when the
    engine itself fails. Thread-safe: `sessions` reads at once, `threads` onnxruntime threads each.
    """

    def __init__(
        self,
        *,
        threads: int = 1,
        sessions: int = 1,
        max_bytes: int = 25_000_000,
        max_pixels: int = MAX_PIXELS,
        max_side: int = 2000,
        detect_side: int = 1280,
        min_confidence: float = 0.6,
        sure: float = 0.93,
        engine: PpOcr | None = None,
    ) -> None:
        self.engine = engine or PpOcr(threads=threads, sessions=sessions)
        self.max_bytes = max_bytes
        self.max_pixels = max_pixels
        self.max_side = max_side
        self.detect_side = detect_side
        self.min_confidence = min_confidence
        # A raw read at least this confident (and with two contact fields) is not read again enhanced.
        self.sure = sure

    def warm_up(self) -> None:
        self.engine.warm_up()

    def read(self, image: bytes) -> OcrResult:
        started = time.perf_counter()
        photo = decode(
            image, max_bytes=self.max_bytes, max_pixels=self.max_pixels, work_side=self.max_side, mode="RGB"
        )
        if is_blank(photo.convert("L")):
            raise ImageError("blank", "the picture is nearly one colour")
        rgb: Rgb = np.asarray(photo, dtype=np.uint8)
        best = self._read(rgb, "raw")
        tried = ["raw"]
        outline = self._outline(rgb)
        base = rgb
        # A sure read of the photo as sent (most are) is kept as it is: the copies cost a read each. Nor is
        # a picture of a hundred specks read again: a card has a few dozen lines at most.
        weak = (best.confidence() < self.sure or best.fields() < 2) and len(best.boxes) <= _MOST_LINES
        if weak and outline is not None and _worth_flattening(outline):
            size = flattened_size(outline, long_side=self.max_side)
            flat_image = flatten(rgb, outline, size)
            flat = self._read(flat_image, "flat")
            tried.append("flat")
            if better(flat, best):
                best, base = flat, flat_image
        if weak and (best.confidence() < self.sure or best.fields() < 2):
            contrast = self._read(boost_contrast(base), "contrast")
            tried.append("contrast")
            if better(contrast, best):
                best = replace_source(contrast, best.source)
        if best.source == "raw" and outline is not None:
            best = _onto_card(best, outline, self.max_side)
        lines = _lines(best)
        if not any(line.confidence >= self.min_confidence and len(line.text) >= 2 for line in lines):
            raise ImageError("unreadable", "no text found with usable confidence")
        width, height = _page_size(best)
        result = OcrResult(
            lines=tuple(lines),
            text="\n".join(line.text for line in lines),
            width=width,
            height=height,
            source=best.source,
        )
        logger.info(
            "card read (PP-OCR): %d lines from the %s image (tried %s), confidence %.2f, %.2f s",
            len(lines),
            best.source,
            "+".join(tried),
            best.confidence(),
            time.perf_counter() - started,
        )
        return result

    def _outline(self, image: Rgb) -> CardOutline | None:
        """Where the card lies in the photo (None: no clear outline, the photo is read as it is)."""
        return find_card(image)

    def _read(self, image: Rgb, source: str) -> _Read:
        boxes = self.engine.read(image, detect_side=self.detect_side)
        height, width = image.shape[:2]
        return _Read(source, tuple(boxes), (width, height))


def replace_source(read: _Read, base: str) -> _Read:
    """A contrast read of the flattened card is still in the flattened card's coordinates."""
    return _Read("contrast" if base == "raw" else f"{base}+contrast", read.boxes, read.size)


def _onto_card(read: _Read, outline: CardOutline, long_side: int) -> _Read:
    """The raw read's boxes in the flattened card's coordinates, when the outline holds all the text (so it
    is the card, not a panel on it): the far side of a card photographed at an angle is no longer smaller
    type, nor a level line slanted."""
    corners = outline.corners.reshape(-1, 1, 2)
    for box in read.kept:
        x, y = np.asarray(box.corners, dtype=np.float32).mean(axis=0)
        if inside(corners, (float(x), float(y))) < 0:
            return read
    size = flattened_size(outline, long_side=long_side)
    matrix = outline.matrix(size)
    boxes = []
    for box in read.boxes:
        mapped = map_points(np.asarray(box.corners, dtype=np.float32), matrix)
        corners_mapped = tuple((float(px), float(py)) for px, py in mapped)
        boxes.append(TextBox(corners_mapped, box.text, box.confidence, box.turned))  # type: ignore[arg-type]
    return _Read(read.source, tuple(boxes), size)


def _worth_flattening(outline: CardOutline) -> bool:
    """A card lying at an angle, or small in the frame (a table around it): flattening changes something."""
    return outline.slant > 3 or outline.area_share < 0.7


# --- page geometry ----------------------------------------------------------------------------------


def _turn(read: _Read) -> int:
    """Quarter turns (counter-clockwise) that bring the text upright, from the boxes' shapes and the
    direction classifier's verdicts: 0, 1, 2 or 3."""
    upright = sideways = 0
    turned_sideways = turned_upright = 0
    for box in read.kept:
        corners = np.asarray(box.corners, dtype=np.float32)
        width = float(np.linalg.norm(corners[1] - corners[0]))
        height = float(np.linalg.norm(corners[3] - corners[0]))
        weight = len(box.text)
        if height >= 1.5 * width:
            sideways += weight
            turned_sideways += weight if box.turned else 0
        else:
            upright += weight
            turned_upright += weight if box.turned else 0
    if sideways > upright:
        # A tall crop is turned a quarter counter-clockwise before reading: upright text then means the
        # card lies turned clockwise, and the classifier's "upside down" means the other way.
        return 3 if turned_sideways * 2 > sideways else 1
    return 2 if turned_upright * 2 > upright else 0


def _rotate(points: npt.NDArray[np.float32], turns: int, size: tuple[int, int]) -> npt.NDArray[np.float32]:
    width, height = size
    x, y = points[:, 0], points[:, 1]
    if turns == 1:  # the page turned a quarter counter-clockwise
        return np.stack([y, width - x], axis=1)
    if turns == 2:
        return np.stack([width - x, height - y], axis=1)
    if turns == 3:
        return np.stack([height - y, x], axis=1)
    return points


def _page_size(read: _Read) -> tuple[int, int]:
    width, height = read.size
    return (height, width) if _turn(read) in (1, 3) else (width, height)


def _lines(read: _Read) -> list[OcrTextLine]:
    """The kept boxes as lines in page coordinates (upright), in reading order: top to bottom, and left
    to right within a row (boxes whose middles are within half a line of each other)."""
    turns = _turn(read)
    placed: list[tuple[float, float, float, float, TextBox]] = []
    for box in read.kept:
        corners = np.asarray(box.corners, dtype=np.float32)
        along = float(np.linalg.norm(corners[1] - corners[0]) + np.linalg.norm(corners[2] - corners[3])) / 2
        across = float(np.linalg.norm(corners[3] - corners[0]) + np.linalg.norm(corners[2] - corners[1])) / 2
        # The box's own sides, not its upright bounding box: a line on a card at an angle stays as tall
        # as its type.
        width, height = (across, along) if turns in (1, 3) else (along, across)
        centre = _rotate(corners, turns, read.size).mean(axis=0)
        placed.append((float(centre[0]) - width / 2, float(centre[1]) - height / 2, width, height, box))
    placed.sort(key=lambda item: item[1] + item[3] / 2)
    rows: list[list[tuple[float, float, float, float, TextBox]]] = []
    for item in placed:
        middle = item[1] + item[3] / 2
        if rows:
            row = rows[-1]
            row_middle = sum(i[1] + i[3] / 2 for i in row) / len(row)
            row_height = max(i[3] for i in row)
            if abs(middle - row_middle) < 0.5 * min(row_height, item[3]):
                row.append(item)
                continue
        rows.append([item])
    lines = []
    for row in rows:
        for left, top, width, height, box in sorted(row, key=lambda item: item[0]):
            lines.append(
                OcrTextLine(
                    text=box.text,
                    confidence=round(box.confidence, 3),
                    height=round(height, 1),
                    top=round(top, 1),
                    left=round(left, 1),
                    width=round(width, 1),
                )
            )
    return lines
