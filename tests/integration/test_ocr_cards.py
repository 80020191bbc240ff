"""CardOcr (the tesseract engine, CHATCRM_OCR_ENGINE=tesseract) with the real tesseract on generated cards:
clean, turned, skewed, small, huge, bad files."""

from __future__ import annotations

import io
import os
import struct
import time
import zlib

import numpy as np
import pytest
from PIL import Image, ImageOps

from crm.facts import CardFacts
from nlu.card import parse_card
from ocr import CardOcr, ImageError, OcrResult
from tests.support.cardgen import Card, encode, generate_card, perturb


@pytest.fixture(scope="module")
def reader() -> CardOcr:
    return CardOcr()


def read_card(reader: CardOcr, card: Card) -> tuple[list[OcrResult], CardFacts]:
    pages = [reader.read(photo) for photo in card.encoded("JPEG", 90)]
    return pages, parse_card(pages)


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def test_clean_simplified_card(reader: CardOcr) -> None:
    card = generate_card(2, language="zh_hans", layout="left")
    pages, facts = read_card(reader, card)
    truth = card.truth
    assert facts.name == truth.name
    assert facts.company == truth.company
    assert facts.mobile == truth.mobile
    assert facts.emails == truth.emails
    assert facts.region is not None
    assert facts.region.city == truth.city
    line = pages[0].lines[0]
    assert 0 < line.confidence <= 1
    assert line.height > 0
    assert pages[0].width >= 1000


def test_clean_traditional_card_keeps_traditional_characters(reader: CardOcr) -> None:
    card = generate_card(5, language="zh_hant", layout="centered")
    _, facts = read_card(reader, card)
    truth = card.truth
    assert facts.name == truth.name
    assert facts.title == truth.title
    assert facts.mobile == truth.mobile
    assert facts.address == truth.address


def test_clean_english_card(reader: CardOcr) -> None:
    card = generate_card(6, language="en", layout="centered")
    _, facts = read_card(reader, card)
    truth = card.truth
    assert facts.name == truth.name
    assert facts.title == truth.title
    assert facts.emails == truth.emails
    assert facts.mobile == truth.mobile


def test_front_and_back_make_one_contact(reader: CardOcr) -> None:
    card = generate_card(3, language="bilingual", layout="left")
    assert len(card.images) == 2
    _, facts = read_card(reader, card)
    truth = card.truth
    assert facts.name == truth.name  # the Chinese name from the front
    assert facts.mobile == truth.mobile
    assert set(facts.phones) == set(truth.phones)


@pytest.mark.parametrize("turn", ["rotate90", "rotate180", "rotate270"])
def test_turned_cards(reader: CardOcr, turn: str) -> None:
    card = perturb(generate_card(2, language="zh_hans", layout="left"), [turn])
    _, facts = read_card(reader, card)
    assert facts.mobile == card.truth.mobile
    assert facts.name == card.truth.name


def test_skewed_card_on_a_desk(reader: CardOcr) -> None:
    card = perturb(generate_card(8, language="zh_hans", layout="two_column"), ["background", "skew"], seed=3)
    _, facts = read_card(reader, card)
    assert facts.mobile == card.truth.mobile
    assert facts.company == card.truth.company


def test_low_resolution_card_is_upscaled(reader: CardOcr) -> None:
    card = perturb(generate_card(2, language="zh_hans", layout="left"), ["lowres"])
    assert max(card.images[0].size) <= 480
    pages, facts = read_card(reader, card)
    assert pages[0].width >= 1000
    assert facts.mobile == card.truth.mobile
    assert facts.emails == card.truth.emails


def test_very_large_photo_is_downscaled_first(reader: CardOcr) -> None:
    card = generate_card(2, language="zh_hans", layout="left")
    photo = encode(card.images[0].resize((8000, 4571), Image.Resampling.BICUBIC), "JPEG", 85)
    started = time.perf_counter()
    result = reader.read(photo)
    assert time.perf_counter() - started < 15
    assert result.width <= 1600
    assert parse_card([result]).mobile == card.truth.mobile


def test_not_an_image(reader: CardOcr) -> None:
    with pytest.raises(ImageError) as random_bytes:
        reader.read(os.urandom(4096))
    assert random_bytes.value.reason == "not_image"
    with pytest.raises(ImageError) as text_file:
        reader.read(b"BEGIN:VCARD\nFN:Zhang Wei\nEND:VCARD\n" * 20)
    assert text_file.value.reason == "not_image"
    with pytest.raises(ImageError) as empty:
        reader.read(b"")
    assert empty.value.reason == "not_image"


def test_blank_image(reader: CardOcr) -> None:
    with pytest.raises(ImageError) as error:
        reader.read(png(Image.new("RGB", (1000, 600), "white")))
    assert error.value.reason == "blank"


def test_noise_has_no_readable_text(reader: CardOcr) -> None:
    noise = np.random.default_rng(1).integers(0, 256, (600, 1000), dtype=np.uint8)
    with pytest.raises(ImageError) as error:
        reader.read(png(Image.fromarray(noise)))
    assert error.value.reason == "unreadable"


def test_file_over_the_byte_limit() -> None:
    small_limit = CardOcr(max_bytes=10_000)
    photo = encode(generate_card(2, language="zh_hans", layout="left").images[0], "PNG")
    with pytest.raises(ImageError) as error:
        small_limit.read(photo)
    assert error.value.reason == "too_large"


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(("width", "height"), [(100_000, 100_000), (8_900, 8_900)])
def test_decompression_bomb(reader: CardOcr, width: int, height: int) -> None:
    # The first is past Pillow's own limit, the second only past ours (40 megapixels).
    with pytest.raises(ImageError) as error:
        reader.read(_png_header_only(width, height))
    assert error.value.reason == "too_many_pixels"
    assert error.value.limit == 40_000_000


def test_dark_card_with_light_print(reader: CardOcr) -> None:
    card = generate_card(2, language="zh_hans", layout="left")
    dark = ImageOps.invert(card.images[0].convert("RGB"))
    facts = parse_card([reader.read(encode(dark, "JPEG", 90))])
    assert facts.name == card.truth.name
    assert facts.mobile == card.truth.mobile
