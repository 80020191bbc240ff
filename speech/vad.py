"""Where the speech is: Silero VAD, whose model ships inside the silero-vad wheel (nothing is downloaded).

Whisper, given long silences or room noise, invents text ("谢谢观看", "Thank you.") and falls into
repetition loops; and every 30 s window costs a full encoder pass whether anyone spoke in it or not.
So long silences are cut out of a note (short pauses stay: Whisper reads sentence boundaries from them)
before it is planned into windows; a `Timeline` maps positions in the cut audio back to the recording.
"""

from __future__ import annotations

import bisect
import threading
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from speech.audio import SAMPLE_RATE, FloatArray

# Silero's own default threshold (0.5) misses soft syllables at the ends of Mandarin phrases; 0.35
# keeps them.
THRESHOLD = 0.35
# Only silences (or noise) longer than this are removed, and at the start and end of a note only as
# long a stretch. Whisper reads sentence boundaries from pauses and starts its first timestamp from the
# quiet before the first word: on the development set's real recordings, trimming the half second
# before the first word changed words, and shortening the 1.8 s pauses of a note made of several
# recordings made greedy decoding drop whole sentences. Stretches of 3 s and more are where Whisper
# invents text ("谢谢观看") and spends encoder passes on nothing.
MIN_SILENCE_MS = 3000
# Quiet kept on each side of a stretch, so a removed silence leaves a natural pause of 0.8 s.
PAD_MS = 400
MIN_SPEECH_MS = 120


@dataclass(frozen=True)
class Piece:
    """`length` samples that start at `cut` in the cut audio and at `original` in the recording."""

    cut: int
    original: int
    length: int


@dataclass(frozen=True)
class Timeline:
    """Positions in the cut audio mapped back to the recording."""

    pieces: tuple[Piece, ...]

    def original(self, position: int, *, end: bool = False) -> int:
        """Where `position` of the cut audio lies in the recording; with `end`, a position on the seam
        of two pieces is the end of the first rather than the start of the second."""
        if not self.pieces:
            return position
        starts = [p.cut for p in self.pieces]
        found = bisect.bisect_left(starts, position) if end else bisect.bisect_right(starts, position)
        piece = self.pieces[max(0, found - 1)]
        return piece.original + min(max(0, position - piece.cut), piece.length)

    def span(self, start: int, end: int) -> tuple[int, int]:
        return self.original(start), self.original(end, end=True)

    @property
    def kept(self) -> int:
        return sum(p.length for p in self.pieces)


class SpeechFinder:
    """Silero VAD over 16 kHz mono float32; the model is loaded on first use and calls are serialised
    (the model keeps state between windows)."""

    def __init__(
        self,
        *,
        threshold: float = THRESHOLD,
        min_silence_ms: int = MIN_SILENCE_MS,
        pad_ms: int = PAD_MS,
        min_speech_ms: int = MIN_SPEECH_MS,
    ) -> None:
        self._threshold = threshold
        self._min_silence_ms = min_silence_ms
        self._pad_ms = pad_ms
        self._min_speech_ms = min_speech_ms
        self._model: Any = None
        self._lock = threading.Lock()

    def load(self) -> None:
        with self._lock:
            self._load()

    def _load(self) -> Any:
        if self._model is None:
            from silero_vad import load_silero_vad

            with warnings.catch_warnings():
                # torch 2.13 flags TorchScript loading as deprecated; the wheel's model is TorchScript
                # and loads and runs as it should (its ONNX form would need onnxruntime).
                warnings.filterwarnings(
                    "ignore", message=r"`torch\.jit\.load` is deprecated", category=DeprecationWarning
                )
                self._model = load_silero_vad()
        return self._model

    def regions(self, samples: FloatArray) -> list[tuple[int, int]]:
        """(start, end) sample indices of speech, margins included, sorted and not overlapping."""
        from silero_vad import get_speech_timestamps

        with self._lock, torch.inference_mode():
            model = self._load()
            found: list[dict[str, int]] = get_speech_timestamps(
                torch.from_numpy(samples),
                model,
                threshold=self._threshold,
                sampling_rate=SAMPLE_RATE,
                min_speech_duration_ms=self._min_speech_ms,
                min_silence_duration_ms=self._min_silence_ms,
                speech_pad_ms=self._pad_ms,
            )
        regions: list[tuple[int, int]] = []
        for item in found:
            start, end = max(0, int(item["start"])), min(len(samples), int(item["end"]))
            if regions and start <= regions[-1][1]:
                regions[-1] = (regions[-1][0], max(regions[-1][1], end))
            elif end > start:
                regions.append((start, end))
        return keep_short_edges(regions, len(samples), self._min_silence_ms * SAMPLE_RATE // 1000)


def keep_short_edges(regions: list[tuple[int, int]], total: int, shortest: int) -> list[tuple[int, int]]:
    """The first region from the note's start and the last to its end, unless the quiet there is at
    least `shortest` samples: only long silences are removed, at the edges as between words."""
    if not regions:
        return regions
    kept = list(regions)
    if kept[0][0] < shortest:
        kept[0] = (0, kept[0][1])
    if total - kept[-1][1] < shortest:
        kept[-1] = (kept[-1][0], total)
    return kept


def cut_to_speech(samples: FloatArray, regions: list[tuple[int, int]]) -> tuple[FloatArray, Timeline]:
    """The speech stretches back to back, and where each came from."""
    pieces: list[Piece] = []
    at = 0
    for start, end in regions:
        pieces.append(Piece(at, start, end - start))
        at += end - start
    if not pieces:
        return samples[:0], Timeline(())
    cut: FloatArray = np.concatenate([samples[p.original : p.original + p.length] for p in pieces])
    return cut, Timeline(tuple(pieces))
