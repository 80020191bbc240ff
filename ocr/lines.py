"""Where the text lines are: an adaptive ink mask cut recursively into line boxes (XY-cut).

Tesseract's own page layout drops or garbles the large bold name line of many cards, so we find lines
ourselves and hand tesseract one line at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageFilter

FloatArray = npt.NDArray[np.float32]
Mask = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Box:
    """A line's ink bounding box in pixels; `inverted` when it is light text on a dark ground."""

    left: int
    top: int
    right: int
    bottom: int
    inverted: bool = False

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top


def box_mean(values: FloatArray, radius: int) -> FloatArray:
    """Mean over a (2r+1)² window, edges repeated (an integral image, so cost does not grow with r)."""
    size = 2 * radius + 1
    padded = np.pad(values.astype(np.float64), ((radius + 1, radius), (radius + 1, radius)), mode="edge")
    summed = padded.cumsum(axis=0).cumsum(axis=1)
    height, width = values.shape
    total = (
        summed[size : size + height, size : size + width]
        - summed[0:height, size : size + width]
        - summed[size : size + height, 0:width]
        + summed[0:height, 0:width]
    )
    mean: FloatArray = (total / (size * size)).astype(np.float32)
    return mean


def run_lengths(mask: Mask) -> npt.NDArray[np.int32]:
    """For each set pixel, the length of the horizontal run of set pixels it belongs to."""
    height, width = mask.shape
    padded = np.zeros((height, width + 1), dtype=bool)
    padded[:, :width] = mask
    flat = padded.ravel()
    edges = np.diff(np.concatenate(([0], flat.view(np.int8), [0])))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    lengths = (ends - starts).astype(np.int32)
    out = np.zeros(flat.shape, dtype=np.int32)
    out[flat] = np.repeat(lengths, lengths)
    return out.reshape(height, width + 1)[:, :width]


def ink_mask(image: Image.Image) -> tuple[Mask, Mask]:
    """Text pixels of a grayscale image, and where the ground is dark (light text on a coloured band).

    A pixel is ink when it is darker than its neighbourhood by a margin scaled to the image's contrast,
    so glare and shading across the card do not matter. Rules (long thin lines) and speckle are removed.
    """
    smooth = np.asarray(image.filter(ImageFilter.GaussianBlur(0.8)), dtype=np.float32)
    height, width = smooth.shape
    # Paper is the typical pixel; ink the darkest half percent (a sparse card has little ink to sample).
    low, high = np.percentile(smooth, (0.5, 50))
    margin = float(np.clip(0.12 * (high - low), 8.0, 30.0))
    radius = max(7, min(height, width) // 40)
    local = box_mean(smooth, radius)
    # Dark ground: a wide neighbourhood far darker than the paper. Dense bold text never gets this dark
    # on average; a dark coloured band with white type does.
    ground = box_mean(smooth, radius * 4)
    inverted = ground < low + 0.35 * (high - low)
    mask = np.where(inverted, smooth > local + margin, smooth < local - margin)
    # Speckle (sensor noise, paper grain): an ink pixel needs ink neighbours.
    mask &= box_mean(mask.astype(np.float32), 1) * 9 >= 3.5
    # Rules and card edges: no stroke of a character runs a third of the card across or a quarter down.
    # Vertical runs are measured with 3-pixel breaks bridged, as a thin rule thresholds into dashes
    # (not horizontal ones: letters on a line are that close).
    mask &= ~(run_lengths(mask) > 0.3 * width)
    mask &= ~(0.25 * height < run_lengths(_bridge(np.ascontiguousarray(mask.T))).T)
    mask = _drop_edge_lines(mask)
    # The card's own edge, left by the crop: print keeps a margin of several percent.
    border_y, border_x = max(2, height // 33), max(2, width // 33)
    mask[:border_y] = False
    mask[-border_y:] = False
    mask[:, :border_x] = False
    mask[:, -border_x:] = False
    return mask, inverted


def _drop_edge_lines(mask: Mask) -> Mask:
    """Thin lines along most of the image (a card edge thresholded into dots and dashes, a frame).

    A text block also puts ink in many rows of a column, but its neighbouring columns are as full; an
    edge is a narrow ridge in the column profile.
    """
    mask = mask.copy()
    for axis in (0, 1):
        counts = mask.sum(axis=axis).astype(np.float32)
        length = mask.shape[axis]
        ridge = np.convolve(counts, np.ones(3, dtype=np.float32), mode="same") / 3
        around = (np.convolve(counts, np.ones(25, dtype=np.float32), mode="same") - 3 * ridge) / 22
        lines = np.flatnonzero((ridge > 0.15 * length) & (ridge > 4 * around + 2))
        for index in lines:
            low, high = max(0, index - 2), index + 3
            if axis == 0:
                mask[:, low:high] = False
            else:
                mask[low:high, :] = False
    return mask


def _bridge(mask: Mask, gap: int = 3) -> Mask:
    """The mask with horizontal breaks of up to `gap` pixels filled (a closing along the rows)."""
    grown = mask.copy()
    for shift in range(1, gap + 1):
        grown[:, shift:] |= mask[:, :-shift]
    shrunk = grown.copy()
    for shift in range(1, gap + 1):
        shrunk[:, :-shift] &= grown[:, shift:]
    return shrunk | mask


def _runs(flags: npt.NDArray[np.bool_] | np.bool_, min_gap: int) -> list[tuple[int, int]]:
    """[start, end) of the set stretches of `flags`, joining stretches separated by less than min_gap."""
    index = np.flatnonzero(flags)
    if index.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(index) > min_gap)
    starts = np.concatenate(([index[0]], index[breaks + 1]))
    ends = np.concatenate((index[breaks], [index[-1]])) + 1
    return [(int(s), int(e)) for s, e in zip(starts, ends, strict=True)]


def _xy_cut(
    mask: Mask,
    box: tuple[int, int, int, int],
    gap_x: int,
    out: list[tuple[int, int, int, int]],
    *,
    tolerance: int = 0,
) -> None:
    """Split at every blank row, then at wide blank columns, recursively, down to single lines.

    A region still far too tall for a line is cut again counting rows with a few ink pixels as blank:
    a leftover piece of a rule or a stray mark that joins two lines.
    """
    left, top, right, bottom = box
    rows = mask[top:bottom, left:right].sum(axis=1) > tolerance
    bands = _runs(rows, 1)
    if not bands:
        return
    if len(bands) > 1:
        for start, end in bands:
            _xy_cut(mask, (left, top + start, right, top + end), gap_x, out)
        return
    top, bottom = top + bands[0][0], top + bands[0][1]
    columns = mask[top:bottom, left:right].any(axis=0)
    pieces = _runs(columns, gap_x)
    if len(pieces) > 1:
        for start, end in pieces:
            _xy_cut(mask, (left + start, top, left + end, bottom), gap_x, out)
        return
    left, right = left + pieces[0][0], left + pieces[0][1]
    if bottom - top > 2 * gap_x and tolerance == 0:
        _xy_cut(mask, (left, top, right, bottom), gap_x, out, tolerance=max(1, (right - left) // 50))
        return
    out.append((left, top, right, bottom))


def _trim(mask: Mask, box: tuple[int, int, int, int]) -> tuple[int, int, int, int] | None:
    left, top, right, bottom = box
    sub = mask[top:bottom, left:right]
    rows = np.flatnonzero(sub.any(axis=1))
    columns = np.flatnonzero(sub.any(axis=0))
    if rows.size == 0:
        return None
    return left + int(columns[0]), top + int(rows[0]), left + int(columns[-1]) + 1, top + int(rows[-1]) + 1


def _split_by_height(
    mask: Mask, box: tuple[int, int, int, int], gap_x: int
) -> list[tuple[int, int, int, int]]:
    """A name with its title printed beside it ("张伟  销售经理"), a logo beside the company name, or a
    column rule touching a line: two parts of clearly different height. Read together, the small part is
    squeezed to the big part's scale and comes out as noise. A rule (a thin, tall end piece) is dropped.
    """
    left, top, right, bottom = box
    height = bottom - top
    pieces = _runs(mask[top:bottom, left:right].any(axis=0), max(3, int(0.12 * height)))
    if len(pieces) > 1:
        # A piece of a rule at either end (a few pixels wide, the box's full height): not text.
        for start, end in (pieces[0], pieces[-1]):
            ends = _trim(mask, (left + start, top, left + end, bottom))
            if ends and ends[2] - ends[0] <= max(3, 0.1 * height) and ends[3] - ends[1] >= 0.7 * height:
                rest = [p for p in pieces if p != (start, end)]
                inner: list[tuple[int, int, int, int]] = []
                # Without the rule the rows may come apart into lines: cut again.
                _xy_cut(mask, (left + rest[0][0], top, left + rest[-1][1], bottom), gap_x, inner)
                return [piece for box in inner for piece in _split_by_height(mask, box, gap_x)]
    best: tuple[float, tuple[int, int, int, int], tuple[int, int, int, int]] | None = None
    for index in range(1, len(pieces)):
        first = _trim(mask, (left, top, left + pieces[index - 1][1], bottom))
        second = _trim(mask, (left + pieces[index][0], top, right, bottom))
        if first is None or second is None:
            continue
        heights = (first[3] - first[1], second[3] - second[1])
        ratio = max(heights) / max(1, min(heights))
        gap = pieces[index][0] - pieces[index - 1][1]
        # A logo or a rule: the taller part, at either end of the line, apart by any visible gap.
        end_piece = first if index == 1 else second if index == len(pieces) - 1 else None
        end_is_block = False
        if end_piece is not None and end_piece[3] - end_piece[1] == max(heights):
            aspect = (end_piece[2] - end_piece[0]) / max(1, end_piece[3] - end_piece[1])
            end_is_block = 0.6 < aspect < 1.6 or aspect < 0.15
        if gap < 0.4 * height and not end_is_block:
            continue
        if ratio > 1.7 and (best is None or ratio > best[0]):
            best = (ratio, first, second)
    if best is None:
        return [box]
    parts = [best[1], best[2]]
    # A rule left over from a column divider: thin and tall, nothing to read.
    return [
        p
        for p in parts
        if (p[2] - p[0]) >= 0.15 * (p[3] - p[1]) or (p[3] - p[1]) < 1.5 * min(q[3] - q[1] for q in parts)
    ]


def _merge_slivers(
    boxes: list[tuple[int, int, int, int]], line_height: float
) -> list[tuple[int, int, int, int]]:
    """Glue thin pieces (the strokes of 三, a dot, an underline) to the line just above or below."""
    boxes = sorted(boxes, key=lambda b: (b[1], b[0]))
    changed = True
    while changed:
        changed = False
        for i, thin in enumerate(boxes):
            if thin[3] - thin[1] >= 0.45 * line_height:
                continue
            nearest: tuple[float, int] | None = None
            for j, other in enumerate(boxes):
                if j == i:
                    continue
                overlap = min(thin[2], other[2]) - max(thin[0], other[0])
                gap = max(other[1] - thin[3], thin[1] - other[3])
                if overlap > 0 and gap < 0.5 * line_height and (nearest is None or gap < nearest[0]):
                    nearest = (gap, j)
            if nearest is None:
                continue
            other = boxes[nearest[1]]
            merged = (
                min(thin[0], other[0]),
                min(thin[1], other[1]),
                max(thin[2], other[2]),
                max(thin[3], other[3]),
            )
            boxes = [b for k, b in enumerate(boxes) if k not in (i, nearest[1])] + [merged]
            changed = True
            break
    return boxes


def find_lines(image: Image.Image) -> list[Box]:
    """Line boxes of a deskewed grayscale card image, top to bottom, left to right."""
    mask, inverted = ink_mask(image)
    height, width = mask.shape
    band_heights = [
        end - start for start, end in _runs(mask.any(axis=1), 1) if 5 < end - start < 0.15 * height
    ]
    estimate = float(np.median(band_heights)) if band_heights else 20.0
    raw: list[tuple[int, int, int, int]] = []
    # Columns of a two-column card are further apart than two line heights; words on a line are closer.
    gap_x = max(12, int(2.0 * estimate))
    _xy_cut(mask, (0, 0, width, height), gap_x, raw)
    # The usual line height: the lower half of the line-shaped boxes (names, logos and merged blocks are the
    # upper half; dots and dashes of an edge are not line-shaped).
    tall = [b[3] - b[1] for b in raw if b[3] - b[1] > 5 and b[2] - b[0] >= 1.5 * (b[3] - b[1])]
    line_height = float(np.percentile(tall, 35)) if tall else estimate
    boxes = _merge_slivers(raw, line_height)
    kept: list[Box] = []
    for candidate in boxes:
        box_width, box_height = candidate[2] - candidate[0], candidate[3] - candidate[1]
        if box_height < max(6.0, 0.3 * line_height) or box_width < max(6.0, 0.3 * line_height):
            continue
        if box_height > 4.5 * line_height:  # a photo or a logo, not a line of text
            continue
        density = float(mask[candidate[1] : candidate[3], candidate[0] : candidate[2]].mean())
        if not 0.04 <= density <= 0.85:  # specks of noise, or a solid block
            continue
        for piece in _split_by_height(mask, candidate, gap_x):
            left, top, right, bottom = piece
            if bottom - top < max(6.0, 0.3 * line_height) or right - left < 4:
                continue
            dark_ground = bool(inverted[(top + bottom) // 2, (left + right) // 2])
            kept.append(Box(left, top, right, bottom, inverted=dark_ground))
    kept.sort(key=lambda b: (b.top, b.left))
    return kept
