"""The card reader the application gets: ocr's reader (PP-OCR or tesseract, CHATCRM_OCR_ENGINE) behind
crm.ports.CardReader, with ocr's reasons for refusing a photo turned into crm's refusals (crm never
imports ocr)."""

from __future__ import annotations

import logging

from crm.errors import ImageRejected
from crm.ports import OcrPage
from ocr import CardOcr, Engine, ImageError, OcrEngineError, PpCardOcr, card_ocr

logger = logging.getLogger(__name__)

_MB = 1024 * 1024


class CardReaderAdapter:
    """crm.ports.CardReader over the configured engine. Blocking: the card service runs it in a worker
    thread."""

    def __init__(self, ocr: PpCardOcr | CardOcr, *, max_mb: int) -> None:
        self.ocr = ocr
        self.max_mb = max_mb

    def read(self, image: bytes) -> OcrPage:
        try:
            return self.ocr.read(image)
        except ImageError as exc:
            if exc.reason == "too_many_pixels":
                # The limit that was hit, in the unit it was hit in: megapixels, not megabytes.
                megapixels = round((exc.limit or 0) / 1_000_000)
                raise ImageRejected("card.rejected.too_many_pixels", limit=megapixels) from exc
            limit = max(1, round(exc.limit / _MB)) if exc.reason == "too_large" and exc.limit else self.max_mb
            raise ImageRejected(f"card.rejected.{exc.reason}", limit=limit) from exc
        except OcrEngineError as exc:
            # Tesseract crashed or timed out on this photo (a missing install is found at start): the
            # rep can only try another photo.
            logger.exception("the OCR engine failed on a card photo")
            raise ImageRejected("card.rejected.unreadable") from exc


def card_reader(max_mb: int, *, engine: Engine = "rapidocr", workers: int = 2) -> CardReaderAdapter | None:
    """The reader, or None (cards answered as unavailable) when the engine cannot run here (tesseract or
    its languages missing)."""
    try:
        ocr = card_ocr(engine, workers=workers, max_bytes=max_mb * _MB)
    except OcrEngineError as exc:
        logger.warning("business cards disabled: %s", exc)
        return None
    logger.info("business cards read with %s", engine)
    return CardReaderAdapter(ocr, max_mb=max_mb)
