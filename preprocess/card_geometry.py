"""Find a card's outline in a photo or scan and straighten it with a perspective warp.

The card is taken to be the largest roughly rectangular outer contour that covers a minimum
share of the image. Candidates come from two independent segmentations, because each fails
on its own in common cases: Canny edges (closed morphologically) work on busy backgrounds,
Otsu thresholding works when the card edge is soft but contrasts in brightness with the
background. A quad comes from `approxPolyDP` on the convex hull (rounded card corners are
absorbed by the 2% tolerance) or, failing that, from `minAreaRect`.
"""

from __future__ import annotations

import cv2
import numpy as np

_DETECT_MAX_SIDE = 800  # detection runs on a downscaled copy: faster and less texture noise
_MAX_IMAGE_SHARE = 0.98  # a quad this close to the whole frame is the image border, not a card
_MIN_SIDE_RATIO = 0.45  # short/long side ratio accepted for a (perspective-distorted) card
_MIN_RECT_FILL = 0.85  # contour area / minAreaRect area for the minAreaRect fallback


def order_corners(quad: np.ndarray) -> np.ndarray:
    """Order four points clockwise from the top-left, with the short side on top.

    A card lying in landscape orientation is thus turned to portrait by taking its left
    side as the top (a 90-degree clockwise turn); upside-down cards cannot be told apart.
    """
    pts = np.asarray(quad, dtype=np.float32).reshape(4, 2)
    centre = pts.mean(axis=0)
    angles = np.arctan2(pts[:, 1] - centre[1], pts[:, 0] - centre[0])
    pts = pts[np.argsort(angles)]  # clockwise in image coordinates (y points down)
    start = int(np.argmin(pts.sum(axis=1)))
    pts = np.roll(pts, -start, axis=0)
    top = np.linalg.norm(pts[1] - pts[0]) + np.linalg.norm(pts[2] - pts[3])
    side = np.linalg.norm(pts[3] - pts[0]) + np.linalg.norm(pts[2] - pts[1])
    if top > side:
        pts = np.roll(pts, 1, axis=0)
    return pts


def _quad_from_contour(contour: np.ndarray) -> np.ndarray | None:
    """Four corners approximating `contour`, or None when it is not rectangular enough."""
    hull = cv2.convexHull(contour)
    perimeter = cv2.arcLength(hull, True)
    approx = cv2.approxPolyDP(hull, 0.02 * perimeter, True)
    if len(approx) == 4:
        return approx.reshape(4, 2).astype(np.float32)
    rect = cv2.minAreaRect(hull)
    rect_area = rect[1][0] * rect[1][1]
    if rect_area > 0 and cv2.contourArea(hull) / rect_area >= _MIN_RECT_FILL:
        return cv2.boxPoints(rect).astype(np.float32)
    return None


def _plausible(quad: np.ndarray, image_area: float, min_area_fraction: float) -> float:
    """Area of `quad` if it could be a card in this image, else 0."""
    area = cv2.contourArea(quad.astype(np.float32))
    if not (min_area_fraction * image_area <= area <= _MAX_IMAGE_SHARE * image_area):
        return 0.0
    if not cv2.isContourConvex(quad.astype(np.float32).reshape(-1, 1, 2)):
        return 0.0
    ordered = order_corners(quad)
    top = np.linalg.norm(ordered[1] - ordered[0]) + np.linalg.norm(ordered[2] - ordered[3])
    side = np.linalg.norm(ordered[3] - ordered[0]) + np.linalg.norm(ordered[2] - ordered[1])
    if side == 0 or top / side < _MIN_SIDE_RATIO:
        return 0.0
    return float(area)


def _candidate_masks(gray: np.ndarray) -> list[np.ndarray]:
    """Binary images whose outer contours may outline the card."""
    blurred = cv2.GaussianBlur(gray, (5, 5), 0)
    otsu_level, otsu = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    high = max(otsu_level, 30.0)
    edges = cv2.Canny(blurred, 0.5 * high, high)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5))
    edges = cv2.morphologyEx(edges, cv2.MORPH_CLOSE, kernel)
    return [edges, otsu, cv2.bitwise_not(otsu)]


def find_card_quad(image: np.ndarray, min_area_fraction: float = 0.1) -> np.ndarray | None:
    """Return the card's four corners (ordered, full-resolution pixels) or None if not found.

    `image` is BGR or BGRA uint8; `min_area_fraction` is the smallest share of the image the
    card may cover, which keeps text boxes and background clutter from being taken for it.
    """
    bgr = image[:, :, :3]
    height, width = bgr.shape[:2]
    scale = min(1.0, _DETECT_MAX_SIDE / max(height, width))
    small = (
        bgr
        if scale == 1.0
        else cv2.resize(bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    )
    gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    image_area = float(gray.shape[0] * gray.shape[1])
    best, best_area = None, 0.0
    for mask in _candidate_masks(gray):
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        for contour in contours:
            if cv2.contourArea(contour) < min_area_fraction * image_area * 0.5:
                continue
            quad = _quad_from_contour(contour)
            if quad is None:
                continue
            area = _plausible(quad, image_area, min_area_fraction)
            if area > best_area:
                best, best_area = quad, area
    if best is None:
        return None
    full = (best + 0.5) / scale - 0.5  # pixel centres back to full resolution
    return order_corners(full)


def warp_to_card(image: np.ndarray, corners: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Warp the quad `corners` (ordered tl, tr, br, bl) to an upright `size` = (w, h) image."""
    width, height = size
    corners = np.asarray(corners, dtype=np.float32)
    # Shrink a much larger card with INTER_AREA first: a perspective warp only interpolates,
    # so downscaling by more than ~2x there would alias fine print and halftone patterns.
    card_width = max(
        np.linalg.norm(corners[1] - corners[0]), np.linalg.norm(corners[2] - corners[3])
    )
    shrink = 1.5 * width / card_width if card_width > 0 else 1.0
    if shrink < 1.0:
        image = cv2.resize(image, None, fx=shrink, fy=shrink, interpolation=cv2.INTER_AREA)
        corners = (corners + 0.5) * shrink - 0.5
    target = np.array(
        [[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], dtype=np.float32
    )
    matrix = cv2.getPerspectiveTransform(corners, target)
    return cv2.warpPerspective(
        image, matrix, (width, height), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
    )
