"""The one module that runs PP-OCR (PP-OCRv4 through rapidocr-onnxruntime): text boxes with positions.

The detector, the direction classifier and the recognizer are ONNX models inside the wheel (nothing is
downloaded). The stages are called one by one rather than through RapidOCR's own `__call__`: detection
runs on a smaller copy of the image (its cost grows with the pixels, while the text on a card is large),
the recognizer reads crops from the full image (small print keeps its detail), and the classifier's
verdict (was the crop turned half round?) is kept, as it tells which way up a sideways card lies.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image
from rapidocr_onnxruntime import RapidOCR

from ocr.errors import OcrEngineError

logger = logging.getLogger(__name__)

Rgb = npt.NDArray[np.uint8]
Point = tuple[float, float]


@dataclass(frozen=True, slots=True)
class TextBox:
    """One detected run of text: corners clockwise from top-left (pixels of the image that was read),
    the recognised text, the recognizer's confidence 0..1, and whether the classifier found it upside down
    in the crop it was given."""

    corners: tuple[Point, Point, Point, Point]
    text: str
    confidence: float
    turned: bool = False


class PpOcr:
    """PP-OCRv4 detector + recognizer on the CPU. Thread-safe: at most `sessions` reads run at once, each
    on a set of models of its own (loaded when first needed, then reused by whichever thread reads next).

    `threads` is onnxruntime's intra-op thread count per read; the card service runs CHATCRM_OCR_WORKERS
    reads at once, so threads x workers should not exceed the cores (more threads only contend).
    """

    def __init__(self, *, threads: int = 1, sessions: int = 2, max_boxes: int = 120) -> None:
        self.threads = max(1, threads)
        # A noise picture can yield hundreds of "text" boxes; a card has a few dozen at most.
        self.max_boxes = max_boxes
        self._idle: queue.LifoQueue[Any] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(max(1, sessions))

    @contextmanager
    def _engine(self) -> Iterator[Any]:
        with self._slots:
            try:
                engine = self._idle.get_nowait()
            except queue.Empty:
                engine = RapidOCR(
                    intra_op_num_threads=self.threads,
                    inter_op_num_threads=1,
                    text_score=0.0,  # we filter ourselves, and a low score is evidence too
                )
                logger.debug("PP-OCR models loaded (%d threads)", self.threads)
            try:
                yield engine
            finally:
                self._idle.put(engine)

    def warm_up(self) -> None:
        """Loads the models in this thread (about a second) and runs them once."""
        blank = np.full((64, 256, 3), 255, np.uint8)
        blank[20:44, 20:236] = 0
        self.read(blank)

    def read(self, image: Rgb, *, detect_side: int = 1280) -> list[TextBox]:
        """The text boxes of an RGB image, top to bottom. Detection sees the image at most `detect_side`
        pixels on its long side; recognition reads each box from the image as given."""
        with self._engine() as engine:
            try:
                return self._read(engine, image, detect_side)
            except (cv2.error, ValueError, RuntimeError, IndexError) as error:
                # onnxruntime or the library's own geometry failing on an odd picture: not the rep's fault,
                # and no reason to take the bot down.
                raise OcrEngineError(f"PP-OCR failed: {error.__class__.__name__}: {error}") from error

    def _read(self, engine: Any, image: Rgb, detect_side: int) -> list[TextBox]:
        bgr = np.ascontiguousarray(image[:, :, ::-1])
        height, width = bgr.shape[:2]
        factor = min(1.0, detect_side / max(height, width))
        small = bgr
        if factor < 1.0:
            size = (max(32, round(width * factor)), max(32, round(height * factor)))
            small = np.asarray(Image.fromarray(image).resize(size, Image.Resampling.BILINEAR))[:, :, ::-1]
            small = np.ascontiguousarray(small)
        boxes, _ = engine.text_det(small)
        if boxes is None or len(boxes) == 0:
            return []
        boxes = [np.asarray(box, dtype=np.float32) / np.float32(factor) for box in boxes]
        boxes = sorted(boxes, key=lambda b: (float(b[:, 1].min()), float(b[:, 0].min())))
        if len(boxes) > self.max_boxes:
            # The biggest boxes are the text a person would read; specks of noise are small.
            boxes = sorted(boxes, key=_area, reverse=True)[: self.max_boxes]
        for box in boxes:
            box[:, 0] = np.clip(box[:, 0], 0, width - 1)
            box[:, 1] = np.clip(box[:, 1], 0, height - 1)
        crops = engine.get_crop_img_list(bgr, boxes)
        crops, verdicts, _ = engine.text_cls(crops)
        results, _ = engine.text_rec(crops)
        if factor < 1.0:  # else the detector saw the very same pixels
            results = self._second_look(
                engine, small, [box * np.float32(factor) for box in boxes], verdicts, results
            )
        found = []
        for box, verdict, (raw, score) in zip(boxes, verdicts, results, strict=True):
            text = str(raw).strip()
            if not text:
                continue
            corners = tuple((float(x), float(y)) for x, y in box)
            turned = str(verdict[0]) == "180" and float(verdict[1]) > 0.9
            found.append(TextBox(corners, text, float(score), turned))  # type: ignore[arg-type]
        return found

    def _second_look(
        self,
        engine: Any,
        small: npt.NDArray[np.uint8],
        boxes: list[npt.NDArray[np.float32]],
        verdicts: Any,
        results: Any,
    ) -> list[tuple[str, float]]:
        """Doubtful lines read again from the image the detector saw (text smaller, strokes smoother): the
        surer of the two readings stays. A few lines only, the least sure first."""
        readings: list[tuple[str, float]] = [(str(text), float(score)) for text, score in results]
        doubtful = sorted(
            (i for i, (_, score) in enumerate(readings) if score < _DOUBTFUL), key=lambda i: readings[i][1]
        )
        doubtful = doubtful[:_SECOND_LOOKS]
        if not doubtful:
            return readings
        crops = engine.get_crop_img_list(small, [boxes[i] for i in doubtful])
        turned = [
            np.ascontiguousarray(np.rot90(crop, 2))
            if str(verdicts[i][0]) == "180" and float(verdicts[i][1]) > 0.9
            else crop
            for i, crop in zip(doubtful, crops, strict=True)
        ]
        again, _ = engine.text_rec(turned)
        for index, (text, score) in zip(doubtful, again, strict=True):
            if str(text).strip() and float(score) > readings[index][1] + 0.02:
                readings[index] = (str(text), float(score))
        return readings


_DOUBTFUL = 0.9
_SECOND_LOOKS = 6


def _area(box: npt.NDArray[np.float32]) -> float:
    x, y = box[:, 0], box[:, 1]
    return float(abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1))) / 2)


def default_threads(workers: int) -> int:
    """onnxruntime threads per read when `workers` reads run at once on this machine's cores."""
    return max(1, (os.cpu_count() or 1) // max(1, workers))
