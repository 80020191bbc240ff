"""Which language a typed message is clearly in (crm.text.language_of): what a text channel, which
brings no language code, goes by for a member who never chose one."""

from __future__ import annotations

import pytest

from crm.text import language_of

CASES = [
    # Chinese, simplified and traditional, with the Latin names reps type all the time
    ("王总说下周要CRM方案", "zh"),
    ("跟进一下 Apple 和 Huawei 的报价", "zh"),
    ("李雷 13912345678 想了解SaaS版本 price list", "zh"),
    ("明天和張經理開會", "zh"),
    ("OK 好的", "zh"),
    ("  客户  ", "zh"),
    # English
    ("Please remind me to call Mr Wang tomorrow", "en"),
    ("Wang Fang +86 139 1111 2222 wants a demo", "en"),
    ("new lead: Acme Ltd", "en"),
    ("ok thanks", "en"),
    # nothing to go by
    ("", None),
    ("   ", None),
    ("13912345678", None),
    ("+86 139 1111 2222", None),
    ("👍", None),
    ("👍🙏😀", None),
    ("2", None),
    ("OK", None),  # one word decides nothing: "OK", "CRM" are typed in either language
    ("CRM 👍", None),
    ("/lang en", None),
    ("/start 8F3K2Q", None),
    ("/find 金桥", None),  # a command's argument is not the member's language either
    # addresses are Latin in any language
    ("https://example.com/a", None),
    ("www.acme-tools.com", None),
    ("wang.fang@xingchen.cn 13911112222", None),
    ("wang.fang@xingchen.cn 王芳", "zh"),
    ("Mail the quote to wang.fang@acme.com please", "en"),
    ("See https://example.com/pricing for the plans", "en"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_language_of(text: str, expected: str | None) -> None:
    assert language_of(text) == expected
