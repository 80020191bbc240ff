"""The card reader the application gets: ocr.CardOcr behind crm.ports.CardReader, with ocr's reasons for
refusing a photo turned into crm's refusals (crm never imports ocr)."""

from __future__ import annotations

import logging

from crm.errors import ImageRejected
from crm.ports import OcrPage
from ocr import CardOcr, ImageError, OcrEngineError

logger = logging.getLogger(__name__)


class CardReaderAdapter:
    """crm.ports.CardReader over tesseract. Blocking: the card service runs it in a worker thread."""

    def __init__(self, ocr: CardOcr, *, max_mb: int) -> None:
        self.ocr = ocr
        self.max_mb = max_mb

    def read(self, image: bytes) -> OcrPage:
        try:
            return self.ocr.read(image)
        except ImageError as exc:
            raise ImageRejected(f"card.rejected.{exc.reason}", limit=self.max_mb) from exc
        except OcrEngineError as exc:
            # Tesseract crashed or timed out on this photo (a missing install is found at start): the
            # rep can only try another photo.
            logger.exception("tesseract failed on a card photo")
            raise ImageRejected("card.rejected.unreadable") from exc


def card_reader(max_mb: int) -> CardReaderAdapter | None:
    """The reader, or None (cards answered as unavailable) when tesseract or its languages are missing."""
    try:
        ocr = CardOcr(max_bytes=max_mb * 1024 * 1024)
    except OcrEngineError as exc:
        logger.warning("business cards disabled: %s", exc)
        return None
    return CardReaderAdapter(ocr, max_mb=max_mb)
