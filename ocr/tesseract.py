"""The one module that runs tesseract (through pytesseract): many line images per process."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytesseract
from PIL import Image

from ocr.errors import OcrEngineError

logger = logging.getLogger(__name__)

OMP_THREAD_LIMIT = "OMP_THREAD_LIMIT"


class TesseractEnvironment(Mapping[str, str]):
    """The process environment as tesseract's subprocess sees it: OMP_THREAD_LIMIT=1 added.

    With its default OpenMP threading tesseract is 3-8x slower on a 2-core machine (threads spin
    against each other and against the other worker); one thread per process is fastest. Setting it in
    os.environ would also hold torch (Whisper, in the same process) to one thread, so the limit goes
    only to tesseract. An operator's explicit value wins.
    """

    def __getitem__(self, key: str) -> str:
        if key == OMP_THREAD_LIMIT and key not in os.environ:
            return "1"
        return os.environ[key]

    def __iter__(self) -> Iterator[str]:
        yield from os.environ
        if OMP_THREAD_LIMIT not in os.environ:
            yield OMP_THREAD_LIMIT

    def __len__(self) -> int:
        return len(os.environ) + (OMP_THREAD_LIMIT not in os.environ)


# pytesseract passes its module-level `environ` to every tesseract subprocess it starts.
pytesseract.pytesseract.environ = TesseractEnvironment()


@dataclass(frozen=True, slots=True)
class Word:
    """A word as tesseract saw it: `confidence` 0..100, box in pixels of the line image it came from."""

    text: str
    confidence: float
    left: int
    top: int
    width: int
    height: int


@cache
def installed_languages() -> frozenset[str]:
    try:
        return frozenset(pytesseract.get_languages(config=""))
    except (pytesseract.TesseractNotFoundError, pytesseract.TesseractError, OSError) as error:
        raise OcrEngineError(f"tesseract is not usable: {error}") from error


def check_languages(*languages: str) -> None:
    """Raises OcrEngineError naming the traineddata that is missing (Debian: tesseract-ocr-chi-sim ...)."""
    wanted = {part for spec in languages for part in spec.split("+") if part}
    missing = sorted(wanted - installed_languages())
    if missing:
        packages = " ".join("tesseract-ocr-" + name.replace("_", "-") for name in missing)
        raise OcrEngineError(f"tesseract languages missing: {', '.join(missing)} (install {packages})")


def recognize_lines(
    images: Sequence[Image.Image], languages: str, *, psm: int = 7, timeout: float = 30.0
) -> list[list[Word]]:
    """The words of each image, each image being one line of text (`--psm 7`).

    All images go to one tesseract process as the pages of a TIFF: the models load once, which costs
    more than recognising a short line.
    """
    if not images:
        return []
    with tempfile.TemporaryDirectory(prefix="chatcrm-ocr-") as tmp:
        path = Path(tmp) / "lines.tif"
        images[0].save(path, save_all=True, append_images=list(images[1:]))
        try:
            data = pytesseract.image_to_data(
                str(path),
                lang=languages,
                config=f"--psm {psm}",
                output_type=pytesseract.Output.DICT,
                timeout=timeout,
            )
        except pytesseract.TesseractNotFoundError as error:
            raise OcrEngineError("tesseract is not installed (Debian: tesseract-ocr)") from error
        except pytesseract.TesseractError as error:
            raise OcrEngineError(f"tesseract failed: {error}") from error
        except RuntimeError as error:  # pytesseract's timeout
            raise OcrEngineError(
                f"tesseract timed out after {timeout:.0f} s on {len(images)} lines"
            ) from error
    words: list[list[Word]] = [[] for _ in images]
    for index, raw in enumerate(data["text"]):
        confidence = float(data["conf"][index])
        text = str(raw).strip()
        if confidence < 0 or not text:
            continue
        page = int(data["page_num"][index]) - 1
        if 0 <= page < len(words):
            words[page].append(
                Word(
                    text=text,
                    confidence=confidence,
                    left=int(data["left"][index]),
                    top=int(data["top"][index]),
                    width=int(data["width"][index]),
                    height=int(data["height"][index]),
                )
            )
    logger.debug("tesseract %s read %d lines", languages, len(images))
    return words
