"""Where the card lies in a photo, and the photo flattened to the card (OpenCV).

A card photographed on a table at an angle is a convex quadrilateral clearly set off from the table:
by its outline (edges) or by its brightness. `find_card` looks for that quadrilateral, `flatten` warps it
to an upright rectangle, `boost_contrast` evens out faint print (grey on grey, white on a light panel).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

logger = logging.getLogger(__name__)

Rgb = npt.NDArray[np.uint8]
Quad = npt.NDArray[np.float32]  # 4x2 corners: top-left, top-right, bottom-right, bottom-left

# Printed cards: 90x54 mm (ISO 7810 and China), 90x50 mm (Japan), 3.5x2 in (US), 85x55 mm (EU).
_CARD_ASPECTS = (1.4, 2.0)


@dataclass(frozen=True, slots=True)
class CardOutline:
    """The card's corners in the photo, and how much flattening it would change."""

    corners: Quad
    area_share: float  # the card's share of the photo
    slant: float  # the largest deviation of a corner from 90 degrees

    def matrix(self, size: tuple[int, int]) -> npt.NDArray[np.float64]:
        """The perspective transform from photo pixels to the flattened card of `size` (w, h)."""
        width, height = size
        target = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], np.float32)
        return np.asarray(cv2.getPerspectiveTransform(self.corners, target), dtype=np.float64)


def _order(points: npt.NDArray[np.float32]) -> Quad:
    """Corners ordered top-left, top-right, bottom-right, bottom-left (by coordinate sums/differences)."""
    total = points.sum(axis=1)
    difference = np.diff(points, axis=1).ravel()
    return np.array(
        [
            points[np.argmin(total)],
            points[np.argmin(difference)],
            points[np.argmax(total)],
            points[np.argmax(difference)],
        ],
        dtype=np.float32,
    )


def _corner_angles(quad: Quad) -> list[float]:
    angles = []
    for index in range(4):
        previous, point, following = quad[index - 1], quad[index], quad[(index + 1) % 4]
        first, second = previous - point, following - point
        cosine = float(np.dot(first, second) / (np.linalg.norm(first) * np.linalg.norm(second) + 1e-6))
        angles.append(math.degrees(math.acos(max(-1.0, min(1.0, cosine)))))
    return angles


def _side_lengths(quad: Quad) -> tuple[float, float]:
    top = float(np.linalg.norm(quad[1] - quad[0]))
    bottom = float(np.linalg.norm(quad[2] - quad[3]))
    left = float(np.linalg.norm(quad[3] - quad[0]))
    right = float(np.linalg.norm(quad[2] - quad[1]))
    return (top + bottom) / 2, (left + right) / 2


def _masks(small: Rgb) -> list[npt.NDArray[np.uint8]]:
    """Candidate card regions: closed edges, and the lighter and the darker half by Otsu's threshold."""
    gray = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
    blurred = cv2.GaussianBlur(gray, (5, 5), 0)
    masks = []
    edges = cv2.Canny(blurred, 40, 120)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5))
    masks.append(cv2.morphologyEx(edges, cv2.MORPH_CLOSE, kernel, iterations=2))
    _, light = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    big = cv2.getStructuringElement(cv2.MORPH_RECT, (9, 9))
    light = cv2.morphologyEx(light, cv2.MORPH_CLOSE, big)
    masks.append(cv2.morphologyEx(light, cv2.MORPH_OPEN, big))
    dark = cv2.bitwise_not(light)
    masks.append(cv2.morphologyEx(dark, cv2.MORPH_OPEN, big))
    # Colour against a grey table: saturation sets a coloured card apart where brightness does not.
    saturation = cv2.cvtColor(small, cv2.COLOR_RGB2HSV)[:, :, 1]
    _, coloured = cv2.threshold(
        cv2.GaussianBlur(saturation, (5, 5), 0), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU
    )
    masks.append(cv2.morphologyEx(coloured, cv2.MORPH_OPEN, big))
    return [np.asarray(mask, dtype=np.uint8) for mask in masks]


def find_card(image: Rgb, *, work_side: int = 480) -> CardOutline | None:
    """The card's outline in a photo of a card on a table, or None when no clear quadrilateral is there
    (a scan or a render cut to the card, a card filling the frame, a cluttered picture)."""
    height, width = image.shape[:2]
    factor = min(1.0, work_side / max(height, width))
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    small = np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
    small_area = float(small.shape[0] * small.shape[1])
    best: tuple[float, Quad] | None = None
    for mask in _masks(small):
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        for contour in sorted(contours, key=cv2.contourArea, reverse=True)[:3]:
            area = float(cv2.contourArea(contour))
            if not 0.15 * small_area <= area <= 0.96 * small_area:
                continue
            hull = cv2.convexHull(contour)
            perimeter = cv2.arcLength(hull, closed=True)
            polygon = cv2.approxPolyDP(hull, 0.02 * perimeter, closed=True)
            if len(polygon) != 4:
                # A rounded or partly shaded corner: the smallest rotated rectangle, if it fits closely.
                rectangle = cv2.minAreaRect(hull)
                if area < 0.9 * rectangle[1][0] * rectangle[1][1]:
                    continue
                polygon = cv2.boxPoints(rectangle)
            quad = _order(np.asarray(polygon, dtype=np.float32).reshape(4, 2))
            if not cv2.isContourConvex(quad.reshape(-1, 1, 2)):
                continue
            angles = _corner_angles(quad)
            if max(abs(angle - 90) for angle in angles) > 35:
                continue
            long_side, short_side = sorted(_side_lengths(quad), reverse=True)
            aspect = long_side / max(1.0, short_side)
            if not _CARD_ASPECTS[0] - 0.25 <= aspect <= _CARD_ASPECTS[1] + 0.35:
                continue
            # The mask must fill the quadrilateral: a table corner's outline is not filled.
            fill = area / max(1.0, float(cv2.contourArea(quad)))
            score = area * min(1.0, fill)
            if fill >= 0.85 and (best is None or score > best[0]):
                best = (score, quad)
    if best is None:
        return None
    corners = best[1] / np.float32(factor)
    share = float(cv2.contourArea(corners)) / float(height * width)
    slant = max(abs(angle - 90) for angle in _corner_angles(corners))
    logger.debug("card outline: %.0f%% of the photo, slant %.1f°", 100 * share, slant)
    return CardOutline(corners.astype(np.float32), share, slant)


def flattened_size(outline: CardOutline, *, long_side: int) -> tuple[int, int]:
    """Width and height of the flattened card: its own proportions, `long_side` pixels at most."""
    width, height = _side_lengths(outline.corners)
    factor = min(1.0, long_side / max(width, height))
    return max(32, round(width * factor)), max(32, round(height * factor))


def flatten(image: Rgb, outline: CardOutline, size: tuple[int, int]) -> Rgb:
    """The card alone, upright and rectangular, `size` (w, h) pixels."""
    warped = cv2.warpPerspective(
        image, outline.matrix(size), size, flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
    )
    return np.asarray(warped, dtype=np.uint8)


def map_points(points: npt.NDArray[np.float32], matrix: npt.NDArray[np.float64]) -> npt.NDArray[np.float32]:
    """Photo pixels to flattened-card pixels."""
    mapped = cv2.perspectiveTransform(points.reshape(-1, 1, 2).astype(np.float64), matrix)
    return np.asarray(mapped.reshape(-1, 2), dtype=np.float32)


def inside(polygon: npt.NDArray[np.float32], point: tuple[float, float]) -> float:
    """Positive inside the polygon, 0 on its edge, negative outside."""
    return float(cv2.pointPolygonTest(polygon.reshape(-1, 1, 2), point, measureDist=False))


def boost_contrast(image: Rgb) -> Rgb:
    """Local contrast evened out (CLAHE on lightness): faint print and light-on-mid-tone panels stand out."""
    lab = cv2.cvtColor(image, cv2.COLOR_RGB2LAB)
    clahe = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8))
    lab[:, :, 0] = clahe.apply(lab[:, :, 0])
    return np.asarray(cv2.cvtColor(lab, cv2.COLOR_LAB2RGB), dtype=np.uint8)
