"""Candidate card outlines in a (downscaled) photo, and how card-like each one is.

Candidates are the four-sided contours of several segmentations, because each fails on its own
in common cases: Canny edges at three blur scales and two thresholds (busy tables, papers
touching the card) and Otsu thresholding in both polarities (soft edges). Each quad is read
two ways: as the card's outline, or as the inner edge of the card's dark outer border (when the
table has the border's colour and the outline itself is invisible), which is then widened by
the border to the card. Score = card area x edge support x aspect fit x border evidence, so the
outermost card-shaped quad wins over the art window's frame and the border's inner edge.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

_MAX_IMAGE_SHARE = 0.98  # a quad this close to the whole frame is the image border, not a card
_MAX_ASPECT_ERROR = 0.25  # |log(short/long / card aspect)| accepted (strong perspective, turn)
_ANY_ASPECT = (0.55, 0.85)  # short/long side range when the card's aspect is not known
_EDGE_SAMPLES = 24  # points per side for the edge support


@dataclass(frozen=True)
class Candidate:
    """A card hypothesis: its corners (tl, tr, br, bl, detection pixels), the quad actually
    seen (the outline, or the border's inner edge) and the score."""

    corners: np.ndarray
    seen: np.ndarray
    inner_edge: bool
    score: float


def segmentations(gray: np.ndarray) -> list[np.ndarray]:
    """Binary images whose contours may outline the card (or its border's inner edge)."""
    masks = []
    kernel = np.ones((3, 3), np.uint8)
    for sigma in (1.0, 2.0, 3.5):
        blurred = cv2.GaussianBlur(gray, (0, 0), sigma)
        level, otsu = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        for high in (max(level, 30.0), max(0.5 * level, 15.0)):
            edges = cv2.Canny(blurred, 0.5 * high, high)
            masks.append(cv2.dilate(edges, kernel))
        if sigma == 2.0:
            masks += [otsu, cv2.bitwise_not(otsu)]
    return masks


def contour_quads(mask: np.ndarray, min_area: float) -> list[np.ndarray]:
    """Four-corner approximations of every contour of `mask` at least `min_area` big."""
    quads = []
    contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    for contour in contours:
        if cv2.contourArea(contour) < min_area:
            continue
        hull = cv2.convexHull(contour)
        perimeter = cv2.arcLength(hull, True)
        for tolerance in (0.02, 0.04):
            approx = cv2.approxPolyDP(hull, tolerance * perimeter, True)
            if len(approx) == 4:
                quads.append(approx.reshape(4, 2).astype(np.float32))
                break
        else:
            rect = cv2.minAreaRect(hull)
            if (
                rect[1][0] * rect[1][1] > 0
                and cv2.contourArea(hull) / (rect[1][0] * rect[1][1]) >= 0.9
            ):
                quads.append(cv2.boxPoints(rect).astype(np.float32))
    return quads


def side_ratio(corners: np.ndarray) -> float:
    """Short / long side of ordered corners (opposite sides averaged)."""
    top = np.linalg.norm(corners[1] - corners[0]) + np.linalg.norm(corners[2] - corners[3])
    side = np.linalg.norm(corners[3] - corners[0]) + np.linalg.norm(corners[2] - corners[1])
    return float(min(top, side) / max(top, side, 1e-6))


def _angles_ok(corners: np.ndarray) -> bool:
    """Every corner within 15 degrees of square."""
    for i in range(4):
        a = corners[i - 1] - corners[i]
        b = corners[(i + 1) % 4] - corners[i]
        cos = abs(float(a @ b)) / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-9)
        if cos > np.sin(np.deg2rad(15)):
            return False
    return True


def edge_support(gradient: np.ndarray, corners: np.ndarray, level: float) -> float:
    """Share of points along the quad's sides with an image edge within 2 px of them: the
    weakest side's share (a quad made of a card's side and a paper's has one poor side)."""
    height, width = gradient.shape
    steps = (np.arange(_EDGE_SAMPLES) + 0.5) / _EDGE_SAMPLES * 0.8 + 0.1
    shares = []
    for i in range(4):
        p, q = corners[i], corners[(i + 1) % 4]
        normal = np.array([p[1] - q[1], q[0] - p[0]]) / (np.linalg.norm(q - p) + 1e-9)
        pts = p + steps[:, None] * (q - p)
        best = np.zeros(len(pts))
        for offset in (-2, -1, 0, 1, 2):
            xy = np.rint(pts + offset * normal).astype(int)
            x = np.clip(xy[:, 0], 0, width - 1)
            y = np.clip(xy[:, 1], 0, height - 1)
            best = np.maximum(best, gradient[y, x])
        shares.append(float((best > level).mean()))
    return min(shares)


def scale_quad(corners: np.ndarray, inset: float, aspect: float) -> np.ndarray:
    """Corners of the quad `inset` (share of the card width, negative to widen) inside the
    card `corners`, through the card's own perspective."""
    width, height = 1.0, 1.0 / aspect
    unit = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    matrix = cv2.getPerspectiveTransform(unit, corners.astype(np.float32))
    d = inset
    inner = np.array(
        [[[d, d], [width - d, d], [width - d, height - d], [d, height - d]]], np.float32
    )
    return cv2.perspectiveTransform(inner, matrix)[0]


def _ring_median(card: np.ndarray, pad: int, width: int, a: float, b: float) -> float:
    """Median of the ring between insets `a` and `b` (shares of the quad's width, negative:
    outside it) of a quad warped to start at (`pad`, `pad`) in `card`, `width` wide."""
    rows, cols = card.shape
    lo = min(max(0, pad + round(a * width)), rows // 2 - 1)
    hi = min(max(lo + 1, pad + round(b * width)), rows // 2 - 1, cols // 2 - 1)
    mask = np.zeros(card.shape, bool)
    mask[lo : rows - lo, lo : cols - lo] = True
    mask[hi : rows - hi, hi : cols - hi] = False
    values = card[mask]
    return float(np.median(values)) if values.size else 255.0


def widen_inner_edge(seen: np.ndarray, border: float, aspect: float | None) -> np.ndarray:
    """The card whose dark border's inner edge is the quad `seen` (border: share of the
    card width; aspect: the card's, or None to take it from `seen`)."""
    if aspect is None:
        inner_aspect = side_ratio(seen)
    else:
        inner_aspect = (1.0 - 2.0 * border) / (1.0 / aspect - 2.0 * border)
    return scale_quad(seen, -border / (1.0 - 2.0 * border), inner_aspect)


def _border_evidence(gray: np.ndarray, seen: np.ndarray, border: float, inner: bool) -> float:
    """How much the quad `seen` looks like the card's outline (`inner` False) or like its
    dark border's inner edge (`inner` True), in 0..1.

    Outline: a dark rim just inside it (the darkest of five thin bands across the expected
    border, so a thinner border than expected still counts), a lighter frame further in, and
    outside it nothing darker than the rim (else it is more likely the border's inner edge on
    a border-coloured table). Inner edge: a dark band outside it, lighter inside; scored lower
    so that a visible outline wins over its own widening.
    """
    width = 200
    height = round(width / side_ratio(seen))
    pad = round(border * width) + 2
    target = np.array(
        [[pad, pad], [pad + width, pad], [pad + width, pad + height], [pad, pad + height]],
        np.float32,
    )
    matrix = cv2.getPerspectiveTransform(seen.astype(np.float32), target)
    card = cv2.warpPerspective(
        gray, matrix, (width + 2 * pad, height + 2 * pad), borderMode=cv2.BORDER_REPLICATE
    )
    outside = _ring_median(card, pad, width, -0.8 * border, -0.15 * border)
    if inner:
        light = _ring_median(card, pad, width, 0.15 * border, 0.8 * border)
        return 0.6 * (0.25 + 0.75 * float(np.clip((light - outside) / 40.0, 0.0, 1.0)))
    rim = min(
        _ring_median(card, pad, width, k * border / 5, (k + 1) * border / 5) for k in range(5)
    )
    light = _ring_median(card, pad, width, 1.3 * border, 2.3 * border)
    contrast = 0.25 + 0.75 * float(np.clip((light - rim) / 40.0, 0.0, 1.0))
    return contrast * (1.0 - 0.75 * float(np.clip((rim - outside) / 40.0, 0.0, 1.0)))


def score_candidates(
    gray: np.ndarray,
    gradient: np.ndarray,
    quads: list[np.ndarray],
    min_area_fraction: float,
    aspect: float | None,
    border: float,
) -> list[Candidate]:
    """Every plausible card reading of `quads`, best first (see the module docstring)."""
    from card_geometry import order_corners  # local: card_geometry imports this module

    height, width = gray.shape
    image_area = float(width * height)
    level = max(12.0, float(np.percentile(gradient, 80)))
    found = []
    for quad in quads:
        seen = order_corners(quad)
        if not cv2.isContourConvex(seen.reshape(-1, 1, 2)) or not _angles_ok(seen):
            continue
        if (seen.min(axis=0) < 2).any() or (seen.max(axis=0) > [width - 3, height - 3]).any():
            continue  # touches the frame: a card partly in view, or the frame itself
        support = edge_support(gradient, seen, level)
        if support < 0.5:
            continue
        readings = [(seen, False)]
        if border > 0:
            readings.append((widen_inner_edge(seen, border, aspect), True))
        for corners, inner in readings:
            area = cv2.contourArea(corners)
            if not (min_area_fraction * image_area <= area <= _MAX_IMAGE_SHARE * image_area):
                continue
            ratio = side_ratio(corners)
            if aspect is None:
                fit = 1.0 if _ANY_ASPECT[0] <= ratio <= _ANY_ASPECT[1] else 0.0
            else:
                error = abs(np.log(ratio / aspect))
                fit = float(np.exp(-((error / 0.15) ** 2))) if error < _MAX_ASPECT_ERROR else 0.0
            if fit == 0.0:
                continue
            evidence = 1.0
            if border > 0:
                evidence = _border_evidence(gray, seen, border, inner)
            score = area / image_area * support * fit * evidence
            found.append(Candidate(corners, seen, inner, score))
    found.sort(key=lambda c: -c.score)
    return found
