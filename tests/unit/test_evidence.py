"""Guessing what a piece of evidence is and which deal it is for; typing files by their content."""

from __future__ import annotations

import io
import zipfile

import pytest

from crm.evidence import deal_tag, guess, named_deals, names_requirement, strip_tag
from crm.files import FileType, sniff
from crm.stages import default_funnel

FUNNEL = default_funnel()


@pytest.mark.parametrize(
    ("caption", "name", "content", "expected"),
    [
        ("需求确认书 已签字", None, None, "requirement_confirmation"),
        (None, "需求确认书_签字版.PDF", None, "requirement_confirmation"),
        (None, "华为-方案确认.png", None, "solution_confirmation"),  # "方案确认" beats "方案"
        (None, "华为解决方案v3.docx", None, "proposal"),
        ("#D12 合同草稿", None, None, "contract_draft"),
        (None, "Contract_Draft_v2.docx", None, "contract_draft"),
        (None, "scan.pdf", "REQUIREMENTS SIGN-OFF signed by both parties", "requirement_confirmation"),
        ("客户说没有异议，可以签", None, None, "no_objections"),
        (None, "Proposal.pdf", "solution overview, pain point mapping", "proposal"),
        (None, "IMG_2044.jpg", None, None),
        ("看一下", None, "会议纪要", None),
        (None, "sown.pdf", None, None),  # whole words only for English keywords ("sow")
    ],
)
def test_guess(caption: str | None, name: str | None, content: str | None, expected: str | None) -> None:
    found = guess(FUNNEL, caption=caption, name=name, content=content)
    assert (found.requirement.key if found.requirement else None) == expected


def test_a_tie_goes_to_what_the_deal_still_lacks() -> None:
    # "合同" (contract) and "签字" (signed requirement confirmation) score the same.
    plain = guess(FUNNEL, caption="合同签字", name=None, content=None)
    preferred = guess(
        FUNNEL, caption="合同签字", name=None, content=None, prefer=["requirement_confirmation"]
    )
    assert plain.requirement is not None and preferred.requirement is not None
    assert preferred.requirement.key == "requirement_confirmation"
    assert set(preferred.keywords) >= {"签字"}


@pytest.mark.parametrize(
    ("text", "tag"),
    [("#D12 需求确认", 12), ("请看 ＃d7", 7), ("📁 #D3 华为", 3), ("D12", None), ("#D", None), (None, None)],
)
def test_deal_tags(text: str | None, tag: int | None) -> None:
    assert deal_tag(text) == tag


def test_strip_tag() -> None:
    assert strip_tag("#D12 推进到方案匹配") == "推进到方案匹配"


def test_named_deals_prefers_the_longest_name() -> None:
    deals = [(1, ("华为", "华为技术有限公司")), (2, ("华为云", None)), (3, ("星辰科技", None))]
    assert named_deals("华为云 合同草稿", deals) == [2]
    assert named_deals("华为技术有限公司的需求确认书", deals) == [1]
    assert named_deals("星辰 方案", deals) == []
    assert named_deals(None, deals) == []


@pytest.mark.parametrize(
    ("caption", "names"),
    [("需求确认书", True), ("合同", True), ("我们的合影", False), ("", False), (None, False)],
)
def test_a_caption_names_a_requirement(caption: str | None, names: bool) -> None:
    assert names_requirement(FUNNEL, caption) is names


def _zip(*parts: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        for part in parts:
            package.writestr(part, "<x/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "name", "kind"),
    [
        (b"%PDF-1.7\n...", "a.pdf", FileType.PDF),
        (b"%PDF-1.4", "renamed.docx", FileType.PDF),  # the content decides, not the name
        (b"\xff\xd8\xff\xe0" + b"\0" * 20, None, FileType.JPEG),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 8, "s.png", FileType.PNG),
        (b"RIFF\0\0\0\0WEBPVP8 ", None, FileType.WEBP),
        (_zip("[Content_Types].xml", "word/document.xml"), "a.docx", FileType.DOCX),
        (_zip("[Content_Types].xml", "xl/workbook.xml"), "a.xlsx", FileType.XLSX),
        (_zip("hello.txt"), "a.zip", None),
        (b"From: li@example.com\nSubject: OK\nTo: me@example.com\n\nfine", "mail.eml", FileType.EMAIL),
        ("张伟: 方案没问题".encode(), "chat.txt", FileType.TEXT),
        (b"stall_days = 5\n", "stages.toml", FileType.TOML),
        (b"MZ\x90\x00\x03\x00\x00\x00", "setup.exe", None),
        (b"\x00\x01\x02binary", "x.bin", None),
        ("中文文本".encode(), "notes.exe", None),  # text, but not a kind of file we keep
    ],
)
def test_sniff(data: bytes, name: str | None, kind: FileType | None) -> None:
    assert sniff(data, name) == kind
