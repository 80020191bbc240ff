"""Image to text lines: PP-OCRv4 (rapidocr-onnxruntime) by default, tesseract as the alternative.

`card_ocr("rapidocr", workers=2).read(photo_bytes)` gives an OcrResult or raises ImageError.
"""

from typing import Literal

from ocr.errors import ImageError, OcrEngineError
from ocr.pp_reader import PpCardOcr
from ocr.preprocess import MAX_PIXELS
from ocr.rapid import default_threads
from ocr.reader import CardOcr
from ocr.result import OcrResult, OcrTextLine

Engine = Literal["rapidocr", "tesseract"]
ENGINES: tuple[Engine, ...] = ("rapidocr", "tesseract")


def card_ocr(
    engine: Engine = "rapidocr", *, workers: int = 2, max_bytes: int = 25_000_000
) -> PpCardOcr | CardOcr:
    """The card reader of that engine, sized for `workers` reads at once on this machine.

    Raises OcrEngineError when tesseract (or one of its languages) is missing.
    """
    if engine == "tesseract":
        return CardOcr(max_bytes=max_bytes)
    return PpCardOcr(threads=default_threads(workers), sessions=workers, max_bytes=max_bytes)


__all__ = [
    "ENGINES",
    "MAX_PIXELS",
    "CardOcr",
    "Engine",
    "ImageError",
    "OcrEngineError",
    "OcrResult",
    "OcrTextLine",
    "PpCardOcr",
    "card_ocr",
]
