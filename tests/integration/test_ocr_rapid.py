"""The default card reader (PP-OCRv4 through rapidocr-onnxruntime) on rendered cards: designer styles,
white on dark, a card photographed at an angle on a table, two columns, sideways, the raw photo kept when
an enhanced copy reads worse, and photos refused before they are decoded."""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from bot.card_adapter import CardReaderAdapter
from chat.messages import t
from crm.errors import ImageRejected
from crm.facts import CardFacts
from crm.model import Lang
from nlu.card import parse_card
from ocr import MAX_PIXELS, ImageError, OcrResult, PpCardOcr
from ocr.geometry import CardOutline, find_card, flatten, flattened_size
from ocr.rapid import Rgb
from tests.support.cardgen import DESIGNER_LAYOUTS, Card, encode, generate_card, perturb


@pytest.fixture(scope="module")
def reader() -> PpCardOcr:
    return PpCardOcr(threads=1)


def read_card(reader: PpCardOcr, card: Card) -> tuple[list[OcrResult], CardFacts]:
    pages = [reader.read(photo) for photo in card.encoded("JPEG", 90)]
    return pages, parse_card(pages)


@pytest.mark.parametrize("layout", DESIGNER_LAYOUTS)
def test_designer_styles(reader: PpCardOcr, layout: str) -> None:
    card = generate_card(41, language="zh_hans", layout=layout)
    _, facts = read_card(reader, card)
    truth = card.truth
    assert facts.name == truth.name
    assert facts.company == truth.company
    assert facts.mobile == truth.mobile
    assert facts.emails == truth.emails


def test_white_print_on_a_dark_card(reader: PpCardOcr) -> None:
    card = generate_card(7, language="zh_hans", layout="dark")
    _, facts = read_card(reader, card)
    assert facts.name == card.truth.name
    assert facts.title == card.truth.title
    assert facts.mobile == card.truth.mobile


def test_inverted_photo_of_a_card(reader: PpCardOcr) -> None:
    card = generate_card(2, language="zh_hans", layout="left")
    dark = ImageOps.invert(card.images[0].convert("RGB"))
    facts = parse_card([reader.read(encode(dark, "JPEG", 90))])
    assert facts.name == card.truth.name
    assert facts.mobile == card.truth.mobile


def test_card_photographed_at_an_angle_on_a_table(reader: PpCardOcr) -> None:
    card = perturb(generate_card(8, language="zh_hans", layout="two_column"), ["table"], seed=5)
    photo = np.asarray(card.images[0].convert("RGB"), dtype=np.uint8)
    outline = find_card(photo)
    assert outline is not None
    # The card is found where it lies (about a third of the table photo), and flattened to a card's shape.
    assert 0.15 < outline.area_share < 0.6
    width, height = flattened_size(outline, long_side=1600)
    assert 1.45 < width / height < 2.05
    pages, facts = read_card(reader, card)
    assert facts.mobile == card.truth.mobile
    assert facts.company == card.truth.company
    assert facts.name == card.truth.name
    # Line heights are the type's, not the height of a slanted line's upright bounding box: the name is
    # the largest type, a contact line about half its size.
    name_line = next(line for line in pages[0].lines if line.text == card.truth.name)
    mobile_digits = card.truth.mobile[-4:] if card.truth.mobile else "----"
    mobile_line = next(line for line in pages[0].lines if mobile_digits in line.text.replace(" ", ""))
    assert name_line.height > 1.5 * mobile_line.height
    assert mobile_line.width > 4 * mobile_line.height


def test_two_columns_stay_apart(reader: PpCardOcr) -> None:
    card = generate_card(8, language="zh_hans", layout="two_column")
    pages, facts = read_card(reader, card)
    assert facts.name == card.truth.name
    assert facts.company == card.truth.company
    assert facts.address == card.truth.address
    # The company (left column) and the contact lines (right column) are separate lines.
    assert card.truth.company is not None
    company = next(line for line in pages[0].lines if line.text.startswith(card.truth.company[:4]))
    assert "@" not in company.text and company.width < 0.55 * pages[0].width


@pytest.mark.parametrize("turn", ["rotate90", "rotate270", "rotate180"])
def test_turned_card_reads_upright(reader: PpCardOcr, turn: str) -> None:
    card = perturb(generate_card(2, language="zh_hans", layout="left"), [turn])
    pages, facts = read_card(reader, card)
    assert facts.mobile == card.truth.mobile
    assert facts.name == card.truth.name
    assert pages[0].width > pages[0].height  # the page is upright again: wider than tall


def test_english_labels_on_a_real_style_card(reader: PpCardOcr) -> None:
    card = generate_card(6, language="en", layout="centered")
    _, facts = read_card(reader, card)
    assert facts.name == card.truth.name
    assert facts.emails == card.truth.emails
    assert facts.mobile == card.truth.mobile


class HalfCardOutline(PpCardOcr):
    """A reader whose card finder gets the outline wrong: it finds only the top half of the card (as a
    coloured panel can mislead it), so the flattened copy loses the contact lines."""

    def _outline(self, image: Rgb) -> CardOutline | None:
        height, width = image.shape[:2]
        corners = np.array(
            [[0, 0], [width - 1, 0], [width - 1, height * 0.45], [0, height * 0.45]], np.float32
        )
        return CardOutline(corners, 0.45, 10.0)


def test_raw_photo_wins_when_the_enhanced_copy_reads_worse() -> None:
    card = generate_card(2, language="zh_hans", layout="left")
    # `sure` above 1: the enhanced copies are read even though the raw read is sure.
    reader = HalfCardOutline(threads=1, sure=1.01)
    photo = np.asarray(card.images[0].convert("RGB"), dtype=np.uint8)
    outline = reader._outline(photo)
    assert outline is not None
    half = flatten(photo, outline, flattened_size(outline, long_side=1600))
    assert half.shape[0] < photo.shape[0]  # the enhanced copy really is missing the lower half
    page = reader.read(card.encoded("JPEG", 90)[0])
    assert page.source == "raw"
    facts = parse_card([page])
    assert facts.mobile == card.truth.mobile
    assert facts.emails == card.truth.emails


def _png_rows(width: int, height: int, rows: bytes | None = None) -> bytes:
    """A valid grey PNG of `width` x `height` built row by row (a few MB of memory for any size): the
    pixels are white, or `rows` is the (bad) compressed data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    if rows is None:
        compressor = zlib.compressobj(9)
        line = b"\0" + b"\xff" * width
        parts = [compressor.compress(line) for _ in range(height)]
        rows = b"".join(parts) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def test_a_picture_over_40_megapixels_is_refused_before_decoding(reader: PpCardOcr) -> None:
    # Its pixel data is garbage: had the reader decoded it, the refusal would be "not an image".
    with pytest.raises(ImageError) as error:
        reader.read(_png_rows(8900, 8900, rows=zlib.compress(b"not pixels")))
    assert error.value.reason == "too_many_pixels"
    assert error.value.limit == MAX_PIXELS == 40_000_000


def test_the_refusal_names_the_megapixel_limit(reader: PpCardOcr) -> None:
    adapter = CardReaderAdapter(reader, max_mb=20)
    with pytest.raises(ImageRejected) as error:
        adapter.read(_png_rows(8000, 6000, rows=zlib.compress(b"x")))
    assert error.value.key == "card.rejected.too_many_pixels"
    zh = t(Lang.ZH, error.value.key, **error.value.params)
    en = t(Lang.EN, error.value.key, **error.value.params)
    assert "40 百万像素" in zh and "40 megapixels" in en
    assert "MB" not in en


def test_a_small_file_claiming_79_megapixels_costs_no_memory(tmp_path: Path) -> None:
    """8900x8900 white pixels compress to a few hundred KB; decoded they would take gigabytes."""
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(_png_rows(8900, 8900))
    assert bomb.stat().st_size < 1_000_000
    # VmHWM (this process's own peak), not ru_maxrss, which a child inherits from its parent.
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from ocr import PpCardOcr, ImageError\n"
        "def peak():\n"
        "    status = Path('/proc/self/status').read_text().splitlines()\n"
        "    return next(int(line.split()[1]) for line in status if line.startswith('VmHWM:'))\n"
        "reader = PpCardOcr(threads=1)\n"
        "before = peak()\n"
        "try:\n"
        "    reader.read(open(sys.argv[1], 'rb').read())\n"
        "except ImageError as error:\n"
        "    print(error.reason, peak() - before)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(bomb)], capture_output=True, text=True, check=True, timeout=120
    )
    reason, grown_kb = done.stdout.split()
    assert reason == "too_many_pixels"
    assert int(grown_kb) < 100_000  # decoding would add 79 MB as grey, 237 MB as RGB


def test_not_an_image_blank_and_noise(reader: PpCardOcr) -> None:
    with pytest.raises(ImageError) as not_image:
        reader.read(b"BEGIN:VCARD\nFN:Zhang Wei\nEND:VCARD\n" * 20)
    assert not_image.value.reason == "not_image"
    buffer = io.BytesIO()
    Image.new("RGB", (1000, 600), "white").save(buffer, "PNG")
    with pytest.raises(ImageError) as blank:
        reader.read(buffer.getvalue())
    assert blank.value.reason == "blank"
    noise = np.random.default_rng(1).integers(0, 256, (600, 1000), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(noise).save(buffer, "PNG")
    with pytest.raises(ImageError) as unreadable:
        reader.read(buffer.getvalue())
    assert unreadable.value.reason == "unreadable"


def _encoded(image: Image.Image, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


_RNG = np.random.default_rng(3)


@pytest.mark.parametrize(
    ("photo", "reasons"),
    [
        (_encoded(Image.fromarray(_RNG.integers(0, 255, (16, 6000), dtype=np.uint8))), {"unreadable"}),
        (_encoded(Image.fromarray(_RNG.integers(0, 255, (6000, 16), dtype=np.uint8))), {"unreadable"}),
        (_encoded(Image.fromarray(_RNG.integers(0, 65535, (300, 500), dtype=np.uint16))), {"unreadable"}),
        (_encoded(Image.new("CMYK", (600, 400), (0, 0, 0, 0)), "JPEG"), {"blank"}),
        (_encoded(Image.new("RGBA", (600, 400), (0, 0, 0, 0))), {"blank"}),
        (
            _encoded(Image.fromarray(_RNG.integers(0, 255, (400, 600, 3), dtype=np.uint8)), "JPEG")[:3000],
            {"not_image"},
        ),
    ],
    ids=["thin", "tall", "16-bit", "cmyk", "transparent", "truncated"],
)
def test_odd_pictures_are_refused_not_crashed_on(reader: PpCardOcr, photo: bytes, reasons: set[str]) -> None:
    with pytest.raises(ImageError) as error:
        reader.read(photo)
    assert error.value.reason in reasons


def test_the_engine_setting_chooses_the_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.card_adapter import card_reader
    from bot.settings import Settings
    from ocr import CardOcr

    monkeypatch.delenv("CHATCRM_OCR_ENGINE", raising=False)
    assert Settings().ocr_engine == "rapidocr"
    monkeypatch.setenv("CHATCRM_OCR_ENGINE", "tesseract")
    settings = Settings()
    chosen = card_reader(2, engine=settings.ocr_engine, workers=settings.ocr_workers)
    assert chosen is not None and isinstance(chosen.ocr, CardOcr)
    default = card_reader(2)
    assert default is not None and isinstance(default.ocr, PpCardOcr)
    # Two workers on this machine's cores: each read gets its share of the threads, two sessions at most.
    assert default.ocr.engine.threads == max(1, (os.cpu_count() or 1) // 2)
    monkeypatch.setenv("CHATCRM_OCR_ENGINE", "easyocr")
    with pytest.raises(ValueError, match=r"CHATCRM_OCR_ENGINE"):
        Settings()
