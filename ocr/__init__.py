"""Image to text with tesseract, after Pillow preprocessing: `CardOcr().read(photo_bytes)`."""

from ocr.errors import ImageError
from ocr.reader import CardOcr
from ocr.result import OcrResult, OcrTextLine
from ocr.tesseract import OcrEngineError

__all__ = ["CardOcr", "ImageError", "OcrEngineError", "OcrResult", "OcrTextLine"]
