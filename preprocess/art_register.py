"""Snap the layout's art box to the art window's own frame line on a straightened card.

A few percent of perspective left after straightening, or a printing whose window sits a
little off the template, shifts the fixed box by several pixels. Each side of the box is
searched for, within `SEARCH` of the card, the line across which the card changes most
consistently: the median (over the middle 80% of the side) of the gradient across it, so a
feature of the art that crosses only part of the side does not count. Of the strong lines
(at least half the strongest, and clearly above the local level) the innermost is the art's
edge; the box side goes `INSET` inside it. A side without a clear line keeps its layout place.
"""

from __future__ import annotations

import cv2
import numpy as np

SEARCH = 0.02  # search reach, share of the card's width (x sides) or height (y sides)
INSET = 0.003  # crop this far inside the found line (share of the card size), as the layouts do
_MIN_CONTRAST = 3.0  # strongest line / median of the profile, for a side to snap at all


def _profile(gradient: np.ndarray, span: tuple[int, int]) -> np.ndarray:
    """Median over the middle 80% of `span` (columns) of each row of `gradient`."""
    a, b = span
    cut = (b - a) // 10
    return np.median(gradient[:, a + cut : b - cut], axis=1)


def _snap_side(profile: np.ndarray, inward: int) -> int | None:
    """Index of the innermost strong line in `profile`, or None if there is none.

    `inward` is +1 when the art lies towards larger indices, -1 otherwise.
    """
    peak = float(profile.max())
    if peak <= 0 or peak < _MIN_CONTRAST * max(float(np.median(profile)), 1.0):
        return None
    strong = np.nonzero(
        (profile >= 0.5 * peak)
        & (profile >= np.roll(profile, 1))
        & (profile >= np.roll(profile, -1))
    )[0]
    if strong.size == 0:
        return None
    return int(strong.max() if inward > 0 else strong.min())


def register_art_box(card: np.ndarray, box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """The art box (x0, y0, x1, y1 pixels) of the straightened BGR `card`, snapped to its frame."""
    height, width = card.shape[:2]
    gray = cv2.GaussianBlur(cv2.cvtColor(card, cv2.COLOR_BGR2GRAY).astype(np.float32), (0, 0), 1)
    gy = np.abs(cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3))
    gx = np.abs(cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3))
    x0, y0, x1, y1 = box
    reach_x, reach_y = round(SEARCH * width), round(SEARCH * height)
    inset_x, inset_y = max(1, round(INSET * width)), max(1, round(INSET * height))
    result = [x0, y0, x1, y1]
    # (value index, position, reach, inset, inward, gradient, span, transpose)
    sides = (
        (0, x0, reach_x, inset_x, +1, gx, (y0, y1), True),
        (1, y0, reach_y, inset_y, +1, gy, (x0, x1), False),
        (2, x1, reach_x, inset_x, -1, gx, (y0, y1), True),
        (3, y1, reach_y, inset_y, -1, gy, (x0, x1), False),
    )
    for index, position, reach, inset, inward, gradient, span, transpose in sides:
        lo = max(1, position - reach)
        hi = min((width if transpose else height) - 2, position + reach)
        window = gradient[:, lo : hi + 1].T if transpose else gradient[lo : hi + 1]
        found = _snap_side(_profile(window, span), inward)
        if found is not None:
            # the gradient peak sits between the two pixels of the edge; step inside the art
            result[index] = lo + found + inward * inset
    x0, y0, x1, y1 = result
    if x1 - x0 < 0.8 * (box[2] - box[0]) or y1 - y0 < 0.8 * (box[3] - box[1]):
        return box
    return x0, y0, x1, y1
