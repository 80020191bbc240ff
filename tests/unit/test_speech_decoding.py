"""Which decodings of a window count as failed (and are decoded again), and which of two is kept."""

from __future__ import annotations

import pytest
import torch
from whisper.decoding import DecodingResult

from speech.whisper_stt import Problem, Span, problems, rank, read_timestamps


def _result(text: str, avg_logprob: float = -0.3) -> DecodingResult:
    return DecodingResult(audio_features=torch.zeros(1), language="zh", text=text, avg_logprob=avg_logprob)


@pytest.mark.parametrize(
    ("text", "seconds", "language", "avg_logprob", "expected"),
    [
        ("今天下午我去见了王经理，他们下个月要买五十台设备。", 7.0, "zh", -0.3, Problem.NONE),
        # Whisper's own gzip-ratio check: a runaway repetition.
        ("预算是" + "4" * 150, 20.0, "zh", -0.2, Problem.LOOP),
        # A 27 s passage collapsed into its first phrase said three times: under the gzip ratio.
        ("秋天总是那么富有诗意。" * 3, 27.0, "zh", -0.3, Problem.LOOP),
        # Far too little text for 20 s of speech: a passage skipped.
        ("秋天总是那么富有诗意。", 20.0, "zh", -0.3, Problem.SPARSE),
        ("好的。", 3.0, "zh", -0.3, Problem.NONE),  # short windows may hold little
        ("He hoped there would be stew for dinner.", 5.0, "en", -0.3, Problem.NONE),
        ("Yes.", 12.0, "en", -0.3, Problem.SPARSE),
        ("客户觉得价格有点高，我们再谈一谈。", 5.0, "zh", -1.4, Problem.UNSURE),
    ],
)
def test_problems(text: str, seconds: float, language: str, avg_logprob: float, expected: Problem) -> None:
    assert problems(_result(text, avg_logprob), seconds, language) == expected


def test_whisper_checks_only_without_collapse_detection() -> None:
    collapsed = _result("秋天总是那么富有诗意。" * 3)
    assert problems(collapsed, 27.0, "zh", collapse=False) == Problem.NONE


def test_rank_prefers_no_loop_then_fewer_problems_then_likelier() -> None:
    loop = rank(_result("x", -0.1), Problem.LOOP)
    guess = rank(_result("y", -1.5), Problem.UNSURE | Problem.SPARSE)
    sparse = rank(_result("z", -0.5), Problem.SPARSE)
    clean_unlikely = rank(_result("w", -0.9), Problem.NONE)
    clean_likely = rank(_result("v", -0.2), Problem.NONE)
    assert sorted([loop, guess, sparse, clean_unlikely, clean_likely]) == [
        clean_likely,
        clean_unlikely,
        sparse,
        guess,
        loop,
    ]


B = 50_000  # a stand-in for the tokenizer's timestamp_begin: tokens from B on are timestamps, 0.02 s each


@pytest.mark.parametrize(
    ("tokens", "spans", "used"),
    [
        # Two complete segments, then a lone timestamp: nothing heard after it, the whole window is used.
        (
            [B, 1, 2, B + 150, B + 150, 3, B + 300],
            [Span(0, 300, (B, 1, 2, B + 150)), Span(300, 600, (B + 150, 3, B + 300))],
            3000,
        ),
        # The last segment is unfinished: dropped, and the next window starts where the complete one ended.
        ([B, 1, B + 150, B + 150, 2, 3], [Span(0, 300, (B, 1, B + 150))], 300),
        # Segments that all end in a pair of timestamps: the next window starts at the last of them.
        (
            [B, 1, B + 100, B + 100, 2, B + 200, B + 200],
            [Span(0, 200, (B, 1, B + 100)), Span(200, 400, (B + 100, 2, B + 200))],
            400,
        ),
        # No pair at all: one segment over the window, or up to its last timestamp.
        ([B, 1, 2, 3], [Span(0, 3000, (B, 1, 2, 3))], 3000),
        ([B, 1, 2, B + 120], [Span(0, 240, (B, 1, 2, B + 120))], 3000),
        ([], [Span(0, 3000, ())], 3000),
        # The only complete segment ends at 0.00: the window is used up rather than decoded forever.
        ([B, B, 1, 2], [Span(0, 0, (B,))], 3000),
    ],
)
def test_read_timestamps_as_transcribe_does(tokens: list[int], spans: list[Span], used: int) -> None:
    assert read_timestamps(tokens, B, 3000) == (spans, used)
