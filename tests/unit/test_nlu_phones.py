"""Phone numbers: Chinese habits (0086, 转), dates that look like numbers, and foreign numbers with a cue."""

from __future__ import annotations

import pytest

from nlu.phones import find_phones


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("0086 139-2222-3333", ["+8613922223333"]),  # not a landline with an extension
        ("86 138 1234 5678", ["+8613812345678"]),
        ("021-58881234转8001", ["+862158881234;ext=8001"]),
        ("电话：0755 8888 6666 分机 12", ["+8675588886666;ext=12"]),
        ("手机13812345678", ["+8613812345678"]),
        # A national number with a country cue is read in that country, not as +86
        ("UK office: 020 7946 0958", ["+442079460958"]),
        ("伦敦办公室 020 7946 0958", ["+442079460958"]),
        ("HQ +44 20 7946 0000, mobile 07911 123456", ["+442079460000", "+447911123456"]),
        ("香港辦公室 2123 4567", ["+85221234567"]),
        ("Taipei office (02) 2345-6789", ["+886223456789"]),
        # North American shape
        ("call me at (541) 754-3010", ["+15417543010"]),
    ],
)
def test_phones(text: str, numbers: list[str]) -> None:
    assert [p.e164 for p in find_phones(text)] == numbers


@pytest.mark.parametrize("text", ["生日23-05-2011", "签约日期 2011-05-23", "2011/5/23到期", "订单20250318"])
def test_dates_are_not_phones(text: str) -> None:
    assert find_phones(text) == []
