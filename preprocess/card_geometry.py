"""Find a card's outline in a photo or scan and straighten it with a perspective warp.

Detection runs on a copy downscaled to at most 640 px: card_candidates proposes and scores
quads (several edge/threshold scales; the card's aspect, dark border, edge support and area;
the outline itself or the border's inner edge widened to the card). The winner's sides are
then refined at full resolution: each moves onto the nearest strong edge along its normal
(sub-pixel peak), a robust line is fitted to each side and the corners are the lines'
intersections.
"""

from __future__ import annotations

import cv2
import numpy as np

import card_candidates

_DETECT_MAX_SIDE = 640  # detection runs on a downscaled copy: faster and less texture noise


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


def find_card_quad(
    image: np.ndarray,
    min_area_fraction: float = 0.1,
    aspect: float | None = None,
    border: float = 0.0,
) -> np.ndarray | None:
    """Return the card's four corners (ordered, full-resolution pixels) or None if not found.

    `image` is BGR or BGRA uint8; `min_area_fraction` is the smallest share of the image the
    card may cover. `aspect` (width / height) and `border` (the dark outer border's width as a
    share of the card width, 0 if unknown) make the search prefer the card's true shape; see
    card_candidates for the scoring. The chosen quad is then refined at full resolution.
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
    gradient = _gradient(gray, 1.0)
    min_contour = 0.5 * min_area_fraction * gray.size
    quads = [
        quad
        for mask in card_candidates.segmentations(gray)
        for quad in card_candidates.contour_quads(mask, min_contour)
    ]
    found = card_candidates.score_candidates(
        gray, gradient, quads, min_area_fraction, aspect, border
    )
    if not found:
        return None
    best = found[0]
    seen = (best.seen + 0.5) / scale - 0.5  # pixel centres back to full resolution
    full_gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    reach = max(2.0, 2.5 / scale)
    seen = refine_corners(full_gray, seen, reach)
    if not best.inner_edge:
        return order_corners(seen)
    return order_corners(card_candidates.widen_inner_edge(seen, border, aspect))


def _gradient(gray: np.ndarray, sigma: float) -> np.ndarray:
    """Gradient magnitude of the lightly blurred image (float32)."""
    blurred = cv2.GaussianBlur(gray.astype(np.float32), (0, 0), sigma)
    gx = cv2.Sobel(blurred, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(blurred, cv2.CV_32F, 0, 1, ksize=3)
    return cv2.magnitude(gx, gy) / 4.0


def refine_corners(gray: np.ndarray, corners: np.ndarray, reach: float) -> np.ndarray:
    """Move each side of the quad onto the strongest edge within `reach` px along its normal
    (sub-pixel peak, robust line fit) and return the sides' intersections.

    A side whose edge is not found clearly keeps its place; the result is rejected (the input
    returned) if any corner moves more than 2 x `reach`.
    """
    blurred = cv2.GaussianBlur(gray.astype(np.float32), (0, 0), 1.0)
    gx = cv2.Sobel(blurred, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(blurred, cv2.CV_32F, 0, 1, ksize=3)
    corners = np.asarray(corners, np.float64)
    offsets = np.arange(-np.ceil(reach), np.ceil(reach) + 0.5)
    lines = []
    for i in range(4):
        p, q = corners[i], corners[(i + 1) % 4]
        direction = (q - p) / (np.linalg.norm(q - p) + 1e-9)
        normal = np.array([-direction[1], direction[0]])
        steps = np.linspace(0.08, 0.92, 48)
        base = p + steps[:, None] * (q - p)
        grid = base[:, None, :] + offsets[None, :, None] * normal  # samples x offsets x 2
        map_x = grid[..., 0].astype(np.float32)
        map_y = grid[..., 1].astype(np.float32)
        sx = cv2.remap(gx, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        sy = cv2.remap(gy, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        response = np.abs(sx * normal[0] + sy * normal[1])
        # per sample, the local maximum nearest the current side among the strong ones (a
        # stronger edge a few pixels away, such as the border's inner edge, is another line)
        is_peak = np.zeros_like(response, bool)
        is_peak[:, 1:-1] = (response[:, 1:-1] >= response[:, :-2]) & (
            response[:, 1:-1] >= response[:, 2:]
        )
        is_peak &= response >= 0.4 * response.max(axis=1, keepdims=True)
        distance = np.where(is_peak, np.abs(offsets)[None, :], np.inf)
        peak = distance.argmin(axis=1)
        strength = response[np.arange(len(peak)), peak]
        inner = (peak > 0) & (peak < len(offsets) - 1) & (strength > 0.5 * np.median(strength))
        if inner.sum() < 12:
            lines.append((p, direction))
            continue
        rows = np.nonzero(inner)[0]
        left = response[rows, peak[rows] - 1]
        mid = response[rows, peak[rows]]
        right = response[rows, peak[rows] + 1]
        denom = left - 2 * mid + right
        shift = np.where(np.abs(denom) > 1e-9, 0.5 * (left - right) / denom, 0.0)
        points = base[rows] + (offsets[peak[rows]] + shift)[:, None] * normal
        vx, vy, x0, y0 = cv2.fitLine(points.astype(np.float32), cv2.DIST_HUBER, 0, 0.01, 0.01)
        lines.append((np.array([x0[0], y0[0]]), np.array([vx[0], vy[0]])))
    refined = []
    for i in range(4):
        (p1, d1), (p2, d2) = lines[i - 1], lines[i]
        matrix = np.array([d1, -d2]).T
        if abs(np.linalg.det(matrix)) < 1e-6:
            return corners.astype(np.float32)
        t = np.linalg.solve(matrix, p2 - p1)
        refined.append(p1 + t[0] * d1)
    refined = np.array(refined)
    if np.linalg.norm(refined - corners, axis=1).max() > 2 * reach:
        return corners.astype(np.float32)
    return refined.astype(np.float32)


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
