"""The VAD's cut audio and the map back to the recording (pure functions; the model is in
tests/integration/test_speech_whisper.py)."""

from __future__ import annotations

import numpy as np
import pytest

from speech.vad import Piece, Timeline, cut_to_speech, keep_short_edges


def test_cut_to_speech_keeps_the_stretches_back_to_back() -> None:
    samples = np.arange(100, dtype=np.float32)
    cut, timeline = cut_to_speech(samples, [(10, 20), (50, 55), (90, 100)])
    assert cut.tolist() == [*range(10, 20), *range(50, 55), *range(90, 100)]
    assert timeline.pieces == (Piece(0, 10, 10), Piece(10, 50, 5), Piece(15, 90, 10))
    assert timeline.kept == 25


def test_cut_to_speech_without_speech_is_empty() -> None:
    cut, timeline = cut_to_speech(np.ones(10, dtype=np.float32), [])
    assert len(cut) == 0
    assert timeline.kept == 0


@pytest.mark.parametrize(
    ("position", "end", "expected"),
    [
        (0, False, 10),
        (5, False, 15),
        (10, False, 50),  # the seam: where the second stretch starts…
        (10, True, 20),  # …or, for the end of a window, where the first one ends
        (14, False, 54),
        (25, True, 100),
        (25, False, 100),
    ],
)
def test_timeline_maps_back_to_the_recording(position: int, end: bool, expected: int) -> None:
    timeline = Timeline((Piece(0, 10, 10), Piece(10, 50, 5), Piece(15, 90, 10)))
    assert timeline.original(position, end=end) == expected


def test_span_of_a_window() -> None:
    timeline = Timeline((Piece(0, 10, 10), Piece(10, 50, 5)))
    assert timeline.span(0, 10) == (10, 20)
    assert timeline.span(10, 15) == (50, 55)
    assert Timeline(()).span(3, 7) == (3, 7)


@pytest.mark.parametrize(
    ("regions", "expected"),
    [
        # Quiet shorter than 3 s (48,000 samples) before the first and after the last word stays.
        ([(8_000, 50_000), (120_000, 150_000)], [(0, 50_000), (120_000, 160_000)]),
        # Longer quiet at either edge is removed like a long silence between words.
        ([(60_000, 100_000)], [(60_000, 100_000)]),
        ([(0, 120_000)], [(0, 160_000)]),
        ([], []),
    ],
)
def test_only_long_quiet_is_removed_at_the_edges(
    regions: list[tuple[int, int]], expected: list[tuple[int, int]]
) -> None:
    assert keep_short_edges(regions, 160_000, 48_000) == expected
