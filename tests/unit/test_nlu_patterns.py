"""Web addresses by the Public Suffix List: short links and new top-level domains, not file names,
abbreviations run into the next word or clock times."""

from __future__ import annotations

import pytest

from nlu.patterns import find_emails, find_websites


@pytest.mark.parametrize(
    ("text", "websites"),
    [
        ("官网 www.hengxin.com.cn/about 了解一下", ["www.hengxin.com.cn/about"]),
        ("官网：https://www.huawei.com/cn/。", ["https://www.huawei.com/cn"]),
        ("更多详情:https://bit.ly/2jm6eu3", ["https://bit.ly/2jm6eu3"]),
        ("五月五.https://t.co/YCUZfuyyHZ", ["https://t.co/ycuzfuyyhz"]),
        ("请访问https://luis.ai?action=add以获取更多信息", ["https://luis.ai?action=add"]),
        ("short links: bit.ly, nyti.ms, sound.academy", ["bit.ly", "nyti.ms", "sound.academy"]),
        ("shop at lanyang.shop or 27.pm", ["lanyang.shop", "27.pm"]),
        ("(see bit.ly/x)", ["bit.ly/x"]),
        ("our site abc.com.", ["abc.com"]),
        ("WWW.ABC.COM", ["www.abc.com"]),
        # not web addresses
        ("see readme.md and setup.py", []),
        ("Mr.Li from Acme Pvt.Ltd", []),
        ("meet at 9.am", []),
        ("Pvt. Ltd.,Ahmedabad.we are requiring an ERP", []),
        ("version v1.2 and zhang.wei", []),
        ("mail zhang@abc.com", []),
    ],
)
def test_websites(text: str, websites: list[str]) -> None:
    assert find_websites(text) == websites


@pytest.mark.parametrize(
    ("text", "emails"),
    [
        ("邮箱 Zhang.Wei@Hengxin.com.cn，电话", ["zhang.wei@hengxin.com.cn"]),
        ("Email：sfyu@lanyang-food.com.tw", ["sfyu@lanyang-food.com.tw"]),
        ("write to a@b", []),
    ],
)
def test_emails(text: str, emails: list[str]) -> None:
    assert find_emails(text) == emails
