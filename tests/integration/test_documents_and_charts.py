"""The document reader (real PDF, DOCX, XLSX and e-mail files made here) and the funnel chart."""

from __future__ import annotations

import io
import zipfile

import pytest

from bot.charts import FunnelChart
from bot.documents import DocumentText
from tests.support.deals import docx, pdf, xlsx

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EMAIL = (
    "From: 张伟 <zhang@example.com>\nTo: li@example.com\nSubject: 方案确认\nMIME-Version: 1.0\n"
    'Content-Type: text/plain; charset="utf-8"\n\n方案没问题，我们确认。\n'
).encode()


@pytest.mark.parametrize(
    ("data", "mime", "expected"),
    [
        (pdf("需求确认书", "甲方签字：张伟"), PDF, ["需求确认书", "甲方签字"]),
        (docx("解决方案", "客户痛点对照表"), DOCX, ["解决方案", "痛点对照"]),
        (
            xlsx(("条款", "金额"), ("合同总价", 500000), title="合同草稿"),
            XLSX,
            ["合同草稿", "合同总价 500000"],
        ),
        (EMAIL, "message/rfc822", ["方案确认", "方案没问题"]),
        ("张伟: 没有异议".encode(), "text/plain", ["没有异议"]),
    ],
)
def test_text_of_documents(data: bytes, mime: str, expected: list[str]) -> None:
    found = DocumentText().text(data, mime, 20_000)
    for piece in expected:
        assert piece in found


def test_only_the_beginning_is_read() -> None:
    long = docx(*[f"第{i}段 需求说明" for i in range(500)])
    assert len(DocumentText().text(long, DOCX, 300)) <= 300


@pytest.mark.parametrize(
    ("data", "mime"),
    [(b"%PDF-1.4\n garbage", PDF), (b"PK\x03\x04 not a zip", DOCX), (b"\x00\x01", "image/png")],
)
def test_damaged_files_are_a_value_error(data: bytes, mime: str) -> None:
    with pytest.raises(ValueError, match=r"unreadable|no reader"):
        DocumentText().text(data, mime, 1000)


def test_a_zip_bomb_is_refused_before_parsing() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as package:
        package.writestr("word/document.xml", b"0" * (80 * 1024 * 1024))
    with pytest.raises(ValueError, match="inflates"):
        DocumentText().text(buffer.getvalue(), DOCX, 1000)


def test_the_funnel_chart_is_a_png_with_a_cjk_font() -> None:
    chart = FunnelChart()
    png = chart.funnel("销售漏斗", [("① 线索激活", 40), ("② 需求锁定", 0), ("③ 方案匹配", 7)])
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert 600 <= width <= 800 and 200 <= height <= 600
    assert chart.families[0] in ("Noto Sans CJK SC", "WenQuanYi Zen Hei", "Noto Serif CJK SC")
