"""Transcript clean-up: runaway repetitions, prompt fitting (pure functions)."""

from __future__ import annotations

import pytest

from speech.errors import AudioError
from speech.text import Segment, collapse_loops, cut_repetitions, fit_prompt, has_loop


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Whisper's numeric loop on a mumbled amount (seen on an espeak-ng clip).
        ("李总说预算是" + "4" * 200, "李总说预算是4"),
        ("我们是" * 12, "我们是"),
        ("Kill the fire. " + "Slam sight the " * 8, "Kill the fire. Slam sight the"),
        ("客户说好的好的好的，明天见。", "客户说好的好的好的，明天见。"),  # short and natural: kept
        ("对对对", "对对对"),
        ("电话13800000000", "电话13800000000"),  # a phone number's zeros are not a loop
        ("", ""),
    ],
)
def test_collapse_loops(text: str, expected: str) -> None:
    assert collapse_loops(text) == expected
    assert has_loop(text) is (collapse_loops(text) != text.strip())


@pytest.mark.parametrize(
    ("text", "loops"),
    [
        # A read passage collapsed into its first phrase, said three times: short enough that the
        # gzip ratio stays under Whisper's 2.4, still a loop.
        ("秋天总是那么富有诗意。秋天总是那么富有诗意。秋天总是那么富有诗意。", True),
        ("Thank you. Thank you. Thank you. Thank you.", True),
        ("好的好的好的", False),  # 6 characters: how people talk
        ("一二三四五六七八九十，十九八七六五四三二一", False),
        ("我们下周三再谈，下周三下午三点，在他们公司。", False),
    ],
)
def test_has_loop(text: str, loops: bool) -> None:
    assert has_loop(text) is loops


def test_cut_repetitions_on_segments() -> None:
    segments = [
        Segment(0.0, 28.0, "今天拜访了王经理，他们要五十台设备。"),
        Segment(28.0, 55.0, "谢谢观看" * 10),
        Segment(55.0, 80.0, "谢谢观看。"),  # the same text again in the next chunk: a loop across chunks
        Segment(80.0, 90.0, "  。 "),
        Segment(90.0, 100.0, "周五前发报价。"),
    ]
    assert cut_repetitions(segments) == [
        Segment(0.0, 28.0, "今天拜访了王经理，他们要五十台设备。"),
        Segment(28.0, 80.0, "谢谢观看"),
        Segment(90.0, 100.0, "周五前发报价。"),
    ]


def _chars(text: str) -> list[int]:
    """A stand-in tokenizer: one token per character."""
    return [ord(c) for c in text]


def test_fit_prompt_keeps_everything_that_fits() -> None:
    assert fit_prompt("王经理, 李总", _chars, 50) == _chars(" 王经理, 李总")


def test_fit_prompt_drops_whole_items_from_the_front() -> None:
    prompt = "、".join(f"客户{i:03d}" for i in range(100))
    tokens = fit_prompt(prompt, _chars, 40)
    text = "".join(map(chr, tokens))
    assert len(tokens) <= 40
    assert text.endswith("客户099")
    assert text.startswith(" 客户")  # an item boundary, not half a name
    assert text == " " + ", ".join(f"客户{i:03d}" for i in range(95, 100))  # 6 items would need 41


def test_fit_prompt_cuts_one_huge_item_by_tokens() -> None:
    tokens = fit_prompt("x" * 500, _chars, 223)
    assert tokens == _chars("x" * 223)


@pytest.mark.parametrize("prompt", ["", "  ", "，、"])
def test_fit_prompt_empty(prompt: str) -> None:
    assert fit_prompt(prompt, _chars, 223) == []


def test_audio_error_carries_reason() -> None:
    error = AudioError("too_long", "1800.0 s > limit 600 s")
    assert error.reason == "too_long"
    assert "1800" in str(error)
