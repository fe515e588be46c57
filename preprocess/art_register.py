"""Snap the layout's art box to the art window's own frame line on a straightened card.

A few percent of perspective left after straightening, or a printing whose window sits a
little off the template, shifts the fixed box by several pixels. Each side of the box is
searched, within `SEARCH` of the card, for the change of brightness across it that holds
along the side: the median, over the middle 80% of the side, of the signed gradient going
into the art, so a feature of the art that crosses only part of the side does not count.
The strongest change is either the art's own edge or the outer edge of a thin frame line; in
the second case a change of the opposite sign follows within `_MAX_LINE` further in, and that
is where the art starts. Where the art next to the line is as dark as the line, only the
line's outer edge shows (a change that darkens going in, with nothing after it): that side then
steps in by the line's width as measured on the sides where both its edges were seen (two at
least), so the crop does not take the line in. The box side goes `INSET` inside the art's edge
(as the layouts are pulled in). A side with no clear change keeps its layout place, and a
result that would shrink the box by more than a fifth is dropped.
"""

from __future__ import annotations

import cv2
import numpy as np

SEARCH = 0.02  # search reach, share of the card's width (x sides) or height (y sides)
INSET = 0.003  # crop this far inside the found line (share of the card size), as the layouts do
_MIN_CONTRAST = 3.0  # strongest change / median of the profile, for a side to snap at all
_MAX_LINE = 0.015  # widest frame line looked through, share of the card size


def _profile(gradient: np.ndarray, span: tuple[int, int]) -> np.ndarray:
    """Median over the middle 80% of `span` (columns) of each row of `gradient`."""
    a, b = span
    cut = (b - a) // 10
    return np.median(gradient[:, a + cut : b - cut], axis=1)


def _peaks(profile: np.ndarray) -> np.ndarray:
    """Indices of the local maxima of `profile`."""
    inner = (profile[1:-1] >= profile[:-2]) & (profile[1:-1] >= profile[2:])
    return np.nonzero(inner)[0] + 1


def _snap_side(signed: np.ndarray, line: int) -> tuple[int, int | None, bool] | None:
    """Where the art's edge is in `signed` (the median change per pixel going into the art):
    (index, the frame line's width when both its edges were seen, whether the change there
    darkens going in), or None when no line stands out.

    The strongest change is the frame line's edge or the art's own edge: if a change of the
    opposite sign follows within `line` pixels further in, the strongest one was the line's
    outer edge and the art starts at that second one.
    """
    strength = np.abs(signed)
    peak = float(strength.max())
    if peak <= 0 or peak < _MIN_CONTRAST * max(float(np.median(strength)), 1.0):
        return None
    first = int(strength.argmax())
    sign = np.sign(signed[first])
    opposite = np.maximum(-sign * signed, 0.0)
    later = [i for i in _peaks(opposite) if first < i <= first + line]
    later = [i for i in later if opposite[i] >= 0.25 * peak]
    if later:
        second = max(later, key=lambda i: opposite[i])
        return second, second - first, False
    return first, None, bool(sign < 0)


def register_art_box(card: np.ndarray, box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """The art box (x0, y0, x1, y1 pixels) of the straightened BGR `card`, snapped to its frame."""
    height, width = card.shape[:2]
    gray = cv2.GaussianBlur(cv2.cvtColor(card, cv2.COLOR_BGR2GRAY).astype(np.float32), (0, 0), 1)
    gy = cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3)
    gx = cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3)
    x0, y0, x1, y1 = box
    result = [x0, y0, x1, y1]
    darkening: list[int] = []  # sides whose only change darkens going in
    widths: list[int] = []  # frame line widths seen on the other sides
    for index in range(4):
        vertical = index % 2 == 0  # sides 0 and 2 (x0, x1) are vertical lines
        size = width if vertical else height
        position = box[index]
        inward = 1 if index < 2 else -1
        reach, inset = round(SEARCH * size), max(1, round(INSET * size))
        lo, hi = max(1, position - reach), min(size - 2, position + reach)
        window = (gx[:, lo : hi + 1].T if vertical else gy[lo : hi + 1]) * inward
        span = (y0, y1) if vertical else (x0, x1)
        signed = _profile(window, span)
        if inward < 0:  # scan from the outside in
            signed = signed[::-1]
        found = _snap_side(signed, max(3, round(_MAX_LINE * size)))
        if found is not None:
            offset, line_width, darkens = found
            edge = lo + offset if inward > 0 else hi - offset
            result[index] = edge + inward * inset
            if line_width is not None:
                widths.append(line_width)
            elif darkens:
                darkening.append(index)
    if len(widths) >= 2:
        # a dark frame line next to art as dark as itself shows only its outer edge: the art
        # starts one line width further in, as measured where both edges were seen
        step = round(float(np.median(widths)))
        for index in darkening:
            result[index] += step if index < 2 else -step
    x0, y0, x1, y1 = result
    if x1 - x0 < 0.8 * (box[2] - box[0]) or y1 - y0 < 0.8 * (box[3] - box[1]):
        return box
    return x0, y0, x1, y1
