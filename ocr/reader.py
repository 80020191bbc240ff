"""CardOcr: one business-card photo to text lines, in well under a second on two cores."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps

from ocr.errors import ImageError
from ocr.lines import Box, find_lines
from ocr.preprocess import (
    MAX_PIXELS,
    card_crop,
    card_edges,
    decode,
    deskew,
    is_blank,
    light_ground,
    scale_to_width,
)
from ocr.result import OcrResult, OcrTextLine
from ocr.tesseract import Word, check_languages, recognize_lines

logger = logging.getLogger(__name__)

_IDEOGRAPH = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Signs that a card comes from Taiwan, Hong Kong or Macau and is printed in traditional characters, as
# the simplified model reads them: their country codes, Taiwan's 09xx mobiles and (0X) area codes, and
# place names at the start of a line (an address), in either script.
_TRADITIONAL_SIGNS = (
    re.compile(r"(?:\+\s*|\(\+?|(?<!\d)00)(?:886|852|853)"),
    re.compile(r"(?<!\d)09\d{2}[\s-]?\d{3}[\s-]?\d{3}(?!\d)"),
    re.compile(r"\(0[2-9]\)\s*\d{3,4}[\s-]?\d{4}"),
    re.compile(
        r"(?:^|[:：\s]|地址)(?:台北|臺北|新北|台中|臺中|台南|臺南|高雄|桃园|桃園|新竹|基隆|台湾|台灣|臺灣|"
        r"香港|九龙|九龍|新界|澳门|澳門)"
    ),
)
_MAINLAND_SIGNS = (
    re.compile(r"(?:\+\s*|\(\+?|(?<!\d)00)86"),
    re.compile(r"(?<!\d)1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}(?!\d)"),
    re.compile(r"(?<![\d+])0\d{2,3}[\s)-]+\d{7,8}(?!\d)"),
)


@dataclass(slots=True)
class _Line:
    box: Box
    crop: Image.Image
    text: str = ""
    confidence: float = 0.0  # 0..100, as tesseract reports


class CardOcr:
    """Reads business-card photos with tesseract after Pillow preprocessing (satisfies crm.ports.CardReader).

    `languages` is the first read of every line, one tesseract process for all lines; doubtful lines are
    read again with its Chinese part alone. `traditional` (its Chinese part) re-reads the Chinese lines
    of cards that look like Taiwan or Hong Kong ones (None: never). Photos over `max_bytes` or
    `max_pixels` are refused; larger than `max_side` they are scaled down first. Raises ImageError for a
    bad photo and OcrEngineError when tesseract itself is unusable. Thread-safe: no state between reads.
    """

    def __init__(
        self,
        languages: str = "chi_sim+eng",
        *,
        traditional: str | None = "chi_tra+eng",
        max_bytes: int = 25_000_000,
        max_pixels: int = MAX_PIXELS,
        max_side: int = 2400,
        card_width: tuple[int, int] = (1100, 1600),
        line_height: int = 24,
        min_confidence: float = 0.5,
        timeout: float = 30.0,
    ) -> None:
        check_languages(languages, *([traditional] if traditional else []))
        self.languages = languages
        self.traditional = traditional
        # Without the "+eng" part: big bold Chinese names are read as Latin noise when English competes.
        self._chinese_only = _chinese_part(languages)
        self._traditional_only = _chinese_part(traditional) if traditional else None
        self.max_bytes = max_bytes
        self.max_pixels = max_pixels
        self.max_side = max_side
        self.card_width = card_width
        self.line_height = line_height
        self.min_confidence = min_confidence
        self.timeout = timeout

    def read(self, image: bytes) -> OcrResult:
        started = time.perf_counter()
        gray = decode(image, max_bytes=self.max_bytes, max_pixels=self.max_pixels, work_side=self.max_side)
        if is_blank(gray):
            raise ImageError("blank", "the picture is nearly one colour")
        card, angle, sideways = deskew(card_crop(gray))
        card = light_ground(card_edges(card))
        card = scale_to_width(card, min_width=self.card_width[0], max_width=self.card_width[1])
        if sideways:
            card = card.transpose(Image.Transpose.ROTATE_270)
        card, lines = self._oriented_read(card)
        if _quality(lines) < 50:
            # Still poor: the projection profiles may have mistaken a rule or a card edge for text
            # direction. Try the card turned a quarter and keep whichever reads better.
            turned, turned_lines = self._oriented_read(card.transpose(Image.Transpose.ROTATE_90))
            if _quality(turned_lines) > _quality(lines) + 10:
                card, lines = turned, turned_lines
        quality = _quality(lines)
        self._second_look(card, lines, self._chinese_only)
        if self.traditional and _looks_traditional(lines):
            self._reread_traditional(card, lines)
        kept = [line for line in lines if line.text and line.confidence >= 25]
        if not any(line.confidence >= self.min_confidence * 100 and len(line.text) >= 2 for line in kept):
            raise ImageError("unreadable", "no text found with usable confidence")
        result = OcrResult(
            lines=tuple(
                OcrTextLine(
                    text=line.text,
                    confidence=round(line.confidence / 100, 3),
                    height=float(line.box.height),
                    top=float(line.box.top),
                    left=float(line.box.left),
                )
                for line in kept
            ),
            text="\n".join(line.text for line in kept),
            width=card.width,
            height=card.height,
        )
        logger.info(
            "card read: %d lines, quality %.0f, skew %.1f°, sideways %s, %.2f s",
            len(kept),
            quality,
            angle,
            sideways,
            time.perf_counter() - started,
        )
        return result

    def _oriented_read(self, card: Image.Image) -> tuple[Image.Image, list[_Line]]:
        """The first read of `card`, or of `card` turned half round when a poor read looks upside down."""
        lines = self._first_read(card)
        if _quality(lines) < 66 and self._upside_down(lines):
            card = card.transpose(Image.Transpose.ROTATE_180)
            lines = self._first_read(card)
        return card, lines

    def _first_read(self, card: Image.Image) -> list[_Line]:
        lines = [_Line(box, _crop(card, box, self.line_height)) for box in find_lines(card)]
        if lines:
            self._recognize(lines, self.languages)
        return lines

    def _upside_down(self, lines: Sequence[_Line]) -> bool:
        """Whether the widest lines read better turned half round: a few lines decide, not a full read."""
        sample = sorted(
            (line for line in lines if line.box.width >= 3 * line.box.height), key=lambda x: -x.box.width
        )
        sample = sample[:3]
        if not sample:
            return False
        # The start of each line turned round (its end as printed) is enough to tell, and cheap.
        turned = []
        for line in sample:
            crop = line.crop.rotate(180)
            crop = crop.crop((0, 0, min(crop.width, 10 * crop.height), crop.height))
            turned.append(_Line(line.box, crop))
        self._recognize(turned, self.languages)
        return _quality(turned) > _quality(sample) + 10

    def _recognize(self, lines: Sequence[_Line], languages: str) -> None:
        words = recognize_lines([line.crop for line in lines], languages, timeout=self.timeout)
        for line, found in zip(lines, words, strict=True):
            line.text, line.confidence = _join(found, self.line_height)

    def _second_look(self, card: Image.Image, lines: Sequence[_Line], languages: str | None) -> None:
        """Doubtful lines re-read with the Chinese model alone (`languages`), at the usual and a larger
        text size; the more confident reading stays. The biggest few lines only: noise makes many.
        """
        if not lines or not languages:
            return
        doubtful_pool = lines
        typical = float(np.median([line.box.height for line in lines]))
        doubtful = [line for line in lines if _doubtful(line, typical)]
        lines = sorted(doubtful, key=lambda line: -line.box.width * line.box.height)[:8]
        if not lines:
            return
        larger = self.line_height * 4 // 3
        crops = [line.crop for line in lines] + [_crop(card, line.box, larger) for line in lines]
        # --psm 13 (raw line): --psm 7 still runs line finding, which drops a short big-glyph line outright.
        words = recognize_lines(crops, languages, psm=13, timeout=self.timeout)
        count = len(lines)
        chinese_card = sum(len(_IDEOGRAPH.findall(line.text)) >= 2 for line in doubtful_pool) >= 2
        for index, line in enumerate(lines):
            # On a Chinese card, a big line the mixed model read as a few Latin letters is a Chinese name
            # it garbled: a Chinese reading wins even at a lower confidence.
            garbled = (
                chinese_card and not _IDEOGRAPH.search(line.text) and len(line.text.replace(" ", "")) <= 6
            )
            for found, height in ((words[index], self.line_height), (words[index + count], larger)):
                text, confidence = _join(found, height)
                chinese = len(_IDEOGRAPH.findall(text)) >= 2 and confidence >= 40
                if text and (confidence > line.confidence or (garbled and chinese)):
                    line.text, line.confidence = text, confidence
                    garbled = False

    def _reread_traditional(self, card: Image.Image, lines: list[_Line]) -> None:
        """Mostly-Chinese lines read again with the traditional model alone (labels and numbers in mixed
        lines read well either way, and the English model would double the cost)."""
        if self._traditional_only is None:
            return
        chinese = [
            line
            for line in lines
            if len(_IDEOGRAPH.findall(line.text)) * 2 >= len(line.text.replace(" ", ""))
        ]
        chinese = [line for line in chinese if line.text]
        if not chinese:
            return
        before = [(line.text, line.confidence) for line in chinese]
        self._recognize(chinese, self._traditional_only)
        for line, (text, confidence) in zip(chinese, before, strict=True):
            if not _IDEOGRAPH.search(line.text) or line.confidence < 0.6 * confidence:
                line.text, line.confidence = text, confidence
        self._second_look(card, chinese, self._traditional_only)
        logger.debug("re-read %d lines as traditional Chinese", len(chinese))


def _chinese_part(languages: str) -> str | None:
    parts = [part for part in languages.split("+") if part.startswith("chi_")]
    return "+".join(parts) or None


def _doubtful(line: _Line, typical_height: float) -> bool:
    """Low confidence, or a big line read as Latin only: the card's name, garbled by the English model."""
    if line.confidence < 80:
        return True
    latin_only = not _IDEOGRAPH.search(line.text)
    return latin_only and line.box.height > 1.3 * typical_height and line.confidence < 93


def _crop(card: Image.Image, box: Box, line_height: int) -> Image.Image:
    """The line alone on clean paper, dark on light, scaled so its text is `line_height` pixels tall."""
    grow = 2
    region = card.crop(
        (
            max(0, box.left - grow),
            max(0, box.top - grow),
            min(card.width, box.right + grow),
            min(card.height, box.bottom + grow),
        )
    )
    if box.inverted:
        region = ImageOps.invert(region)
    region = ImageOps.autocontrast(region, cutoff=1)
    scale = min(4.0, max(0.2, line_height / max(1, box.height)))
    size = (max(1, round(region.width * scale)), max(1, round(region.height * scale)))
    region = region.resize(size, Image.Resampling.LANCZOS if scale < 1 else Image.Resampling.BICUBIC)
    # A margin of plain paper: tesseract reads a tight line crop badly, a crop with neighbours' ink worse.
    pad = max(4, line_height // 3)
    paper = Image.new("L", (region.width + 2 * pad, region.height + 2 * pad), 255)
    paper.paste(region, (pad, pad))
    return paper


def _join(words: Sequence[Word], line_height: int) -> tuple[str, float]:
    """Words to a line: no space between Chinese characters (tesseract puts one after each), one between
    Latin words, and one wherever the printed gap is wide. Returns the text and its char-weighted confidence.
    """
    if not words:
        return "", 0.0
    parts: list[str] = []
    previous: Word | None = None
    for word in words:
        if previous is not None:
            gap = word.left - (previous.left + previous.width)
            cjk_before = bool(_IDEOGRAPH.match(previous.text[-1]))
            cjk_after = bool(_IDEOGRAPH.match(word.text[0]))
            if cjk_before and cjk_after:
                spaced = gap > 0.8 * line_height
            elif cjk_before or cjk_after:
                spaced = gap > 0.35 * line_height
            else:
                spaced = True
            if spaced:
                parts.append(" ")
        parts.append(word.text)
        previous = word
    weights = [len(word.text) for word in words]
    confidence = sum(w.confidence * n for w, n in zip(words, weights, strict=True)) / sum(weights)
    return "".join(parts), confidence


def _quality(lines: Sequence[_Line]) -> float:
    """Character-weighted mean confidence of a read: how the orientation guesses are compared."""
    weights = [len(line.text.replace(" ", "")) for line in lines]
    if not sum(weights):
        return 0.0
    return sum(line.confidence * n for line, n in zip(lines, weights, strict=True)) / sum(weights)


def _looks_traditional(lines: Sequence[_Line]) -> bool:
    text = "\n".join(line.text for line in lines)
    if not _IDEOGRAPH.search(text):
        return False
    taiwan_or_hong_kong = sum(len(pattern.findall(text)) for pattern in _TRADITIONAL_SIGNS)
    mainland = sum(len(pattern.findall(text)) for pattern in _MAINLAND_SIGNS)
    return taiwan_or_hong_kong > mainland
