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


@pytest.mark.parametrize(
    ("text", "region", "numbers"),
    [
        # extensions after a word or a sign, in any numbering
        ("电话 0518-81220000 转 3306", "CN", ["+8651881220000;ext=3306"]),
        ("我的分機是 04-2359-1234 #615", "TW", ["+886423591234;ext=615"]),
        ("電話 07-536-1234 分機 218", "TW", ["+88675361234;ext=218"]),
        ("TEL：03-9541234 分機 305", "TW", ["+88639541234;ext=305"]),
        ("Tel +1 212 555 0100 ext. 512", "CN", ["+12125550100;ext=512"]),
        ("office 6861 2345 x12", "SG", ["+6568612345;ext=12"]),
        ("+852 2845 6789 內線 12", "HK", ["+85228456789;ext=12"]),
        ("订单号 123456 #5", "CN", []),
        # a number read out and transcribed in Chinese numerals
        ("我电话是一三八六七七八九零一二", "CN", ["+8613867789012"]),
        ("我電話是零九二一三三三四五六", "TW", ["+886921333456"]),
        # a country code said is believed even where the metadata lists no such range
        ("我的电话号是+44 7700900397.", "CN", ["+447700900397"]),
        ("我的电话号是0044 07700 900873.", "CN", ["+447700900873"]),
    ],
)
def test_extensions_and_spoken_numbers(text: str, region: str, numbers: list[str]) -> None:
    assert [p.e164 for p in find_phones(text, region)] == numbers


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        # a labelled number valid in one partner country only, in that country's grouping
        ("我的电话号是(21) 996205563.", ["+5521996205563"]),
        ("我的电话号是( 19 ) 38294427.", ["+551938294427"]),
        ("my mobile is 07877 954 457", ["+447877954457"]),
        # valid in several countries: no guess
        ("我的电话号是280930640.", []),
        ("phone 0412 345 678", []),
        # no label: a run of digits stays a run of digits
        ("PO 21 995556144", []),
    ],
)
def test_foreign_numbers_by_their_shape(text: str, numbers: list[str]) -> None:
    assert [p.e164 for p in find_phones(text)] == numbers
