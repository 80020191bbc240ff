"""Photo to a clean grayscale card image: decode within limits, EXIF orientation, crop, deskew, scale."""

from __future__ import annotations

import io
import logging
import math

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageOps, UnidentifiedImageError

from ocr.errors import ImageError
from ocr.lines import ink_mask

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float32]

# The most pixels a card photo may claim: a 48-megapixel phone camera's default output is 12 MP (it bins
# four pixels into one), and 40 MP decode within about 120 MB as RGB. An 8900x8900 PNG (79 MP, 325 KB)
# took 1.7 GB when it was decoded before being refused.
MAX_PIXELS = 40_000_000


def open_photo(data: bytes, *, max_bytes: int, max_pixels: int) -> Image.Image:
    """The photo opened but not decoded: its header read and checked against the limits.

    Pillow reads only the header here; the pixels are decoded later, so a 325 KB PNG that claims
    8900x8900 pixels is refused before it costs gigabytes.
    """
    if not data:
        raise ImageError("not_image", "empty file")
    if len(data) > max_bytes:
        raise ImageError("too_large", f"{len(data)} bytes, the limit is {max_bytes}", limit=max_bytes)
    try:
        image = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        # Pillow refuses (or, where warnings are errors, warns about) more pixels than Image.MAX_IMAGE_PIXELS.
        raise ImageError("too_many_pixels", f"decompression bomb: {error}", limit=max_pixels) from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise ImageError(
            "not_image", f"not a picture Pillow can open ({error.__class__.__name__})"
        ) from error
    width, height = image.size
    if width * height > max_pixels:
        raise ImageError(
            "too_many_pixels", f"{width}x{height} pixels, the limit is {max_pixels}", limit=max_pixels
        )
    if min(width, height) < 16:
        raise ImageError("unreadable", f"{width}x{height} pixels is too small to hold text")
    return image


def decode(data: bytes, *, max_bytes: int, max_pixels: int, work_side: int, mode: str = "L") -> Image.Image:
    """The photo as 8-bit grayscale ("L") or colour ("RGB"), upright per EXIF, at most `work_side` pixels
    on its long side."""
    image = open_photo(data, max_bytes=max_bytes, max_pixels=max_pixels)
    width, height = image.size
    scale = work_side / max(width, height)
    if scale < 1 and image.format == "JPEG":
        # JPEG can decode at 1/2, 1/4 or 1/8 scale directly (DCT scaling): a 12000 px photo costs little.
        image.draft(mode, (math.ceil(width * scale), math.ceil(height * scale)))
    try:
        image.load()
        upright = ImageOps.exif_transpose(image)
        picture = _grayscale(upright) if mode == "L" else _colour(upright)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise ImageError("not_image", f"cannot decode the picture ({error.__class__.__name__})") from error
    if max(picture.size) >= 2 * work_side:
        # Whole-pixel box averaging first: LANCZOS over 40 megapixels costs seconds, this a few ms.
        picture = picture.reduce(max(picture.size) // work_side)
    if max(picture.size) > work_side:
        factor = work_side / max(picture.size)
        size = (max(1, round(picture.width * factor)), max(1, round(picture.height * factor)))
        picture = picture.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    return picture


def _colour(image: Image.Image) -> Image.Image:
    """RGB on white paper: transparency flattened, 16-bit and float images scaled to 8 bits."""
    if image.mode in {"RGBA", "LA", "PA"} or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(paper, rgba).convert("RGB")
    if image.mode in {"I", "I;16", "I;16B", "I;16L", "F"}:
        return _grayscale(image).convert("RGB")
    return image.convert("RGB")


def _grayscale(image: Image.Image) -> Image.Image:
    if image.mode in {"RGBA", "LA", "PA"} or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(paper, rgba).convert("L")
    if image.mode in {"I", "I;16", "I;16B", "I;16L", "F"}:
        values = np.asarray(image, dtype=np.float32)
        low, high = float(values.min()), float(values.max())
        scaled = (values - low) * (255.0 / max(high - low, 1e-6))
        return Image.fromarray(scaled.astype(np.uint8), "L")
    return image.convert("L")


def is_blank(gray: Image.Image) -> bool:
    """Near-uniform: a white sheet, a lens cap, a wall. Text needs some dark-to-light range."""
    values = np.asarray(gray.reduce(4) if min(gray.size) >= 64 else gray, dtype=np.float32)
    low, high = np.percentile(values, (0.5, 99.5))
    return bool(high - low < 24 or values.std() < 4)


def _otsu(values: npt.NDArray[np.uint8]) -> float:
    histogram = np.bincount(values.ravel(), minlength=256).astype(np.float64)
    total = histogram.sum()
    levels = np.arange(256, dtype=np.float64)
    weight = histogram.cumsum()
    mean = (histogram * levels).cumsum()
    between = (mean[-1] * weight - mean * total) ** 2 / np.maximum(weight * (total - weight), 1e-9)
    return float(np.argmax(between))


def _longest_run(flags: npt.NDArray[np.bool_]) -> tuple[int, int] | None:
    index = np.flatnonzero(flags)
    if index.size == 0:
        return None
    breaks = np.flatnonzero(np.diff(index) > max(2, flags.size // 50))
    starts = np.concatenate(([index[0]], index[breaks + 1]))
    ends = np.concatenate((index[breaks], [index[-1]])) + 1
    longest = int(np.argmax(ends - starts))
    return int(starts[longest]), int(ends[longest])


def card_edges(gray: Image.Image) -> Image.Image:
    """A level card cut out at its edges, where there are any.

    An edge is a row (column) where the brightness steps the same way across most of the image; the top
    of a text line steps only where glyphs begin, a fraction of the row.
    """
    factor = min(1.0, 600 / max(gray.size))
    small = gray.resize((max(1, round(gray.width * factor)), max(1, round(gray.height * factor))))
    values = np.asarray(small, dtype=np.float32)
    height, width = values.shape
    if min(height, width) < 40:
        return gray
    low, high = np.percentile(values, (2, 98))
    threshold = max(8.0, 0.15 * float(high - low))

    def edges(steps: FloatArray) -> tuple[int | None, int | None]:
        """First strong edge in the leading 40% and last in the trailing 40% of the rows of `steps`."""
        rising = (steps > threshold).mean(axis=1)
        falling = (steps < -threshold).mean(axis=1)
        share = np.maximum(rising, falling)
        size = share.size
        head = np.flatnonzero(share[: int(0.4 * size)] >= 0.75)
        tail = np.flatnonzero(share[int(0.6 * size) :] >= 0.75)
        start = int(head[-1]) + 2 if head.size else None
        end = int(0.6 * size) + int(tail[0]) + 2 if tail.size else None
        return start, end

    # Steps over four pixels, so a slightly slanted (perspective) edge still lines up in one row.
    top, bottom = edges(values[4:] - values[:-4])
    left, right = edges((values[:, 4:] - values[:, :-4]).T)
    inset_y, inset_x = 0.01 * height, 0.01 * width
    box = (
        round((left + inset_x) / factor) if left is not None else 0,
        round((top + inset_y) / factor) if top is not None else 0,
        round((right - inset_x) / factor) if right is not None else gray.width,
        round((bottom - inset_y) / factor) if bottom is not None else gray.height,
    )
    if box[2] - box[0] < 0.5 * gray.width or box[3] - box[1] < 0.5 * gray.height:
        return gray  # not a card's outline: too much would go
    return gray.crop(box)


def card_crop(gray: Image.Image) -> Image.Image:
    """The card without the desk around it, when the card is clearly lighter (or darker) than its frame."""
    factor = 320 / max(gray.size)
    small_image = gray.resize((max(1, round(gray.width * factor)), max(1, round(gray.height * factor))))
    small = np.asarray(small_image, dtype=np.uint8)
    threshold = _otsu(small)
    height, width = small.shape
    for card in (small > threshold, small <= threshold):
        border = max(2, min(height, width) // 25)
        frame = np.concatenate(
            (
                card[:border].ravel(),
                card[-border:].ravel(),
                card[:, :border].ravel(),
                card[:, -border:].ravel(),
            )
        )
        coverage = float(card.mean())
        if frame.mean() > 0.35 or not 0.12 < coverage < 0.92:
            continue
        rows = _longest_run(card.mean(axis=1) > 0.25 * card.mean(axis=1).max())
        columns = _longest_run(card.mean(axis=0) > 0.25 * card.mean(axis=0).max())
        if rows is None or columns is None:
            continue
        pad_y, pad_x = (rows[1] - rows[0]) * 0.02, (columns[1] - columns[0]) * 0.02
        box = (
            max(0, math.floor((columns[0] - pad_x) / factor)),
            max(0, math.floor((rows[0] - pad_y) / factor)),
            min(gray.width, math.ceil((columns[1] + pad_x) / factor)),
            min(gray.height, math.ceil((rows[1] + pad_y) / factor)),
        )
        if (box[2] - box[0]) * (box[3] - box[1]) < 0.08 * gray.width * gray.height:
            continue
        # A card is 1.55-1.75 times as wide as high (90x54 mm, 85x55 mm, 3.5x2 in); skew and perspective
        # widen the range. A dark band across a white card is not a card.
        aspect = (box[2] - box[0]) / max(1, box[3] - box[1])
        if not (1.15 <= aspect <= 2.4 or 1 / 2.4 <= aspect <= 1 / 1.15):
            continue
        logger.debug("card crop %s of %s", box, gray.size)
        return gray.crop(box)
    return gray


def _profile_score(mask: Image.Image, angle: float) -> tuple[float, float]:
    """How sharply ink starts and stops from row to row (and column to column) with the mask turned.

    Level text lines switch ink on and off along the rows; along the columns the characters of different
    lines fall at different places and the profile stays smooth. Sideways text is the other way round.
    """
    turned = np.asarray(mask.rotate(angle, resample=Image.Resampling.NEAREST), dtype=np.float32) / 255
    # The middle of the picture only: a card edge or its shadow near the border is one long line that
    # would outweigh the text.
    height, width = turned.shape
    turned = turned[height // 12 : height - height // 12, width // 12 : width - width // 12]
    total = float(turned.sum()) or 1.0
    return _sharpness(turned.sum(axis=1), total), _sharpness(turned.sum(axis=0), total)


def _sharpness(profile: FloatArray, total: float) -> float:
    """Sum of squared steps of a projection profile, with spikes (a rule, a column divider) cut down to
    twice the usual level first, so that one line cannot outweigh many lines of text."""
    filled = profile[profile > 0]
    if filled.size == 0:
        return 0.0
    capped = np.minimum(profile, 2 * float(np.percentile(filled, 75)))
    return float((np.diff(capped) ** 2).sum() / total)


def deskew(gray: Image.Image, *, max_angle: float = 15.0) -> tuple[Image.Image, float, bool]:
    """The card turned so text lines run level; also whether they now run top to bottom (a sideways card).

    The angle is the one whose horizontal projection profile is sharpest: a coarse search over whole
    degrees, then quarter degrees around the best.
    """
    factor = min(1.0, 700 / max(gray.size))
    small = gray.resize((max(1, round(gray.width * factor)), max(1, round(gray.height * factor))))
    ink, _ = ink_mask(small)
    mask = Image.fromarray(ink.astype(np.uint8) * 255, "L")
    scores = {float(a): _profile_score(mask, float(a)) for a in range(-int(max_angle), int(max_angle) + 1)}
    coarse = max(scores, key=lambda a: scores[a][0])
    for step in (-0.75, -0.5, -0.25, 0.25, 0.5, 0.75):
        scores[coarse + step] = _profile_score(mask, coarse + step)
    angle = max(scores, key=lambda a: scores[a][0])
    # Sideways: at its best angle the text gathers into columns much more sharply than into rows.
    sideways_scores = {a: s[1] for a, s in scores.items() if a == int(a)}
    best_column = max(sideways_scores.values())
    sideways = best_column > 1.1 * scores[angle][0]
    if sideways:
        angle = max(sideways_scores, key=lambda a: sideways_scores[a])
    if abs(angle) >= 0.25:
        # Fill the corners with what surrounds the card (the desk, or the paper of a tight scan), so a
        # later crop still tells card from surroundings.
        pixels = np.asarray(small)
        frame = np.concatenate((pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]))
        gray = gray.rotate(
            angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=int(np.median(frame))
        )
    return gray, angle, sideways


def light_ground(gray: Image.Image) -> Image.Image:
    """A dark card printed in light ink (black "premium" cards), turned into dark ink on light paper."""
    values = np.asarray(gray.reduce(4) if min(gray.size) >= 64 else gray, dtype=np.float32)
    ground, light = np.percentile(values, (50, 99.5))
    # Light pixels are few (type), not a quarter of the picture (a white card on a dark desk, uncropped).
    if ground < 110 and light > ground + 60 and float((values > ground + 60).mean()) < 0.25:
        return ImageOps.invert(gray)
    return gray


def scale_to_width(gray: Image.Image, *, min_width: int, max_width: int) -> Image.Image:
    """Small photos up (text under ~12 px tall is lost in the ink mask), large ones down (cost)."""
    longest = max(gray.size)
    if min_width <= longest <= max_width:
        return gray
    factor = (min_width if longest < min_width else max_width) / longest
    size = (max(1, round(gray.width * factor)), max(1, round(gray.height * factor)))
    return gray.resize(size, Image.Resampling.LANCZOS if factor < 1 else Image.Resampling.BICUBIC)
