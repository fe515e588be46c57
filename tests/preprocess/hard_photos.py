"""Hard synthetic card photos with known truth, for the card-art cropper's tests and benchmark.

Each photo: a card (dark outer border, coloured frame, name bar, art window with its own frame
line, text box) whose art window is printed slightly off the layout box, photographed at up to
±12° with a few percent of perspective on a cluttered table (wood grain or plain, lines, papers,
blotches, sometimes a paper touching the card), with a second card partly in view, glare,
uneven light, blur and sensor noise. One photo in five puts the card on a table the colour of
its border. The truth returned is the art as printed and the corners of card and art window.

The benchmark imports this module by path (`benchmarks/crop_card_art_benchmark.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

import card_layouts


@dataclass(frozen=True)
class HardPhoto:
    """One photo and its truth: the art as printed, card and art corners (tl, tr, br, bl)."""

    image: np.ndarray
    art: np.ndarray
    card_corners: np.ndarray
    art_corners: np.ndarray
    same_colour_background: bool


def _fields(rng: np.random.Generator, shape: tuple[int, int], cells: tuple[int, ...]) -> np.ndarray:
    """Random colour fields at several scales, summed (float32 BGR in 0..255)."""
    height, width = shape
    out = np.zeros((height, width, 3), np.float32)
    weights = rng.dirichlet(np.ones(len(cells)))
    for count, weight in zip(cells, weights, strict=True):
        blocks = rng.uniform(0, 255, (count, max(1, round(count * width / height)), 3))
        out += weight * cv2.resize(
            blocks.astype(np.float32), (width, height), interpolation=cv2.INTER_CUBIC
        )
    return out


def draw_art(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """An art picture: colour fields at four scales plus shapes and strokes (detail at every
    scale, so a crop shifted by a few percent correlates visibly worse with it)."""
    art = _fields(rng, (height, width), (3, 6, 12, 24))
    art = np.clip((art - art.mean()) * rng.uniform(1.2, 1.8) + art.mean(), 0, 255)
    for _ in range(int(rng.integers(4, 10))):
        colour = tuple(float(c) for c in rng.uniform(0, 255, 3))
        centre = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        if rng.random() < 0.5:
            radius = int(rng.integers(width // 20, width // 5))
            cv2.circle(art, centre, radius, colour, -1, cv2.LINE_AA)
        else:
            end = (int(rng.integers(0, width)), int(rng.integers(0, height)))
            cv2.line(art, centre, end, colour, int(rng.integers(2, max(3, width // 25))))
    return np.clip(art, 0, 255).astype(np.uint8)


def _art_rect(
    rng: np.random.Generator, art_box: tuple[float, ...], width: int, height: int
) -> tuple[int, int, int, int]:
    """The printed art window: the layout box widened by its 0.3% inset, shifted and resized by
    up to ~1% of the card per side (a slightly different printing or template)."""
    x0, y0, x1, y1 = art_box
    jitter = rng.uniform(-0.008, 0.008, 4)
    return (
        round((x0 - 0.003 + jitter[0]) * width),
        round((y0 - 0.003 + jitter[1]) * height),
        round((x1 + 0.003 + jitter[2]) * width),
        round((y1 + 0.003 + jitter[3]) * height),
    )


def draw_hard_card(
    rng: np.random.Generator, width: int, art_box: tuple[float, ...], aspect: float, border: float
) -> tuple[np.ndarray, np.ndarray, tuple[int, int, int, int]]:
    """A card image, its printed art and the art rectangle (x0, y0, x1, y1) on the card."""
    height = round(width / aspect)
    card = np.empty((height, width, 3), np.uint8)
    frame = rng.uniform(60, 230, 3)
    while frame.mean() < 90:
        frame = rng.uniform(60, 230, 3)
    texture = _fields(rng, (height, width), (4, 16)) - 127.0
    card[:] = np.clip(frame + 0.15 * texture, 0, 255).astype(np.uint8)
    dark = rng.uniform(8, 40)
    thick = max(2, round(border * width))
    cv2.rectangle(card, (0, 0), (width - 1, height - 1), (dark, dark, dark + 5), thick * 2)
    ax0, ay0, ax1, ay1 = _art_rect(rng, art_box, width, height)
    line = max(1, round(0.006 * width))
    # name bar and text box (light, with dark "text")
    cv2.rectangle(
        card, (ax0, thick + round(0.02 * height)), (ax1, ay0 - 3 * line), (225, 230, 230), -1
    )
    cv2.rectangle(
        card,
        (ax0, ay1 + round(0.05 * height)),
        (ax1, height - thick - round(0.03 * height)),
        tuple(float(c) for c in rng.uniform(170, 240, 3)),
        -1,
    )
    for row in range(int(rng.integers(3, 7))):
        y = ay1 + round((0.08 + 0.04 * row) * height)
        if y < height - thick - round(0.04 * height):
            cv2.line(card, (ax0 + 8, y), (ax1 - int(rng.integers(8, 60)), y), (30, 30, 30), 2)
    # art window: a light bevel, the dark frame line, then the art
    cv2.rectangle(
        card,
        (ax0 - 2 * line, ay0 - 2 * line),
        (ax1 + 2 * line, ay1 + 2 * line),
        (200, 205, 210),
        -1,
    )
    cv2.rectangle(card, (ax0 - line, ay0 - line), (ax1 + line, ay1 + line), (25, 25, 25), -1)
    art = draw_art(rng, ax1 - ax0, ay1 - ay0)
    card[ay0:ay1, ax0:ax1] = art
    return card, art, (ax0, ay0, ax1, ay1)


def _table(
    rng: np.random.Generator, size: tuple[int, int], colour: np.ndarray | None
) -> np.ndarray:
    """A table top (float32): plain or wood grain, with a lighting gradient."""
    width, height = size
    base = colour if colour is not None else rng.uniform(30, 200, 3)
    table = np.empty((height, width, 3), np.float32)
    table[:] = base
    if colour is None and rng.random() < 0.5:  # wood grain
        yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
        angle = rng.uniform(0, np.pi)
        u = xx * np.cos(angle) + yy * np.sin(angle)
        grain = np.sin(u / rng.uniform(4, 12) + 3 * np.sin(u / 57.0 + yy / 91.0))
        table += (grain * rng.uniform(8, 25))[:, :, None]
    variation = 0.06 if colour is not None else 0.2
    table += (_fields(rng, (height, width), (3, 8)) - 127.0) * variation
    return table


def _clutter(rng: np.random.Generator, table: np.ndarray, card_quad: np.ndarray) -> None:
    """Papers (one may touch the card), blotches and lines, drawn in place."""
    height, width = table.shape[:2]
    for index in range(int(rng.integers(2, 5))):
        centre = rng.uniform([0, 0], [width, height])
        if index == 0 and rng.random() < 0.6:  # a paper right behind one side of the card
            centre = card_quad[int(rng.integers(0, 4))] + rng.normal(0, 20, 2)
        rect = (
            (float(centre[0]), float(centre[1])),
            (float(rng.uniform(0.15, 0.5) * width), float(rng.uniform(0.15, 0.5) * height)),
            float(rng.uniform(0, 90)),
        )
        box = cv2.boxPoints(rect).astype(np.int32)
        cv2.fillConvexPoly(table, box, tuple(float(c) for c in rng.uniform(150, 250, 3)))
        for _ in range(int(rng.integers(0, 6))):  # printed lines on the paper
            p, q = box[0] + rng.uniform(0, 1) * (box[3] - box[0]), box[1]
            cv2.line(table, tuple(int(v) for v in p), tuple(int(v) for v in q), (60, 60, 60), 1)
    for _ in range(int(rng.integers(2, 6))):
        axes = (int(rng.integers(8, width // 8)), int(rng.integers(8, height // 8)))
        centre = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        colour = tuple(float(c) for c in rng.uniform(0, 255, 3))
        cv2.ellipse(table, centre, axes, float(rng.uniform(0, 180)), 0, 360, colour, -1)
    for _ in range(int(rng.integers(3, 9))):
        p = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        q = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        colour = tuple(float(c) for c in rng.uniform(0, 255, 3))
        cv2.line(table, p, q, colour, int(rng.integers(1, 5)), cv2.LINE_AA)


def _paste(scene: np.ndarray, card: np.ndarray, corners: np.ndarray) -> None:
    """Warp `card` onto `scene` (float32, in place) so its corners land on `corners`."""
    height, width = scene.shape[:2]
    ch, cw = card.shape[:2]
    source = np.array([[0, 0], [cw, 0], [cw, ch], [0, ch]], np.float32)
    matrix = cv2.getPerspectiveTransform(source, corners.astype(np.float32))
    warped = cv2.warpPerspective(card, matrix, (width, height), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full((ch, cw), 255, np.uint8), matrix, (width, height))
    alpha = (mask.astype(np.float32) / 255.0)[:, :, None]
    scene *= 1.0 - alpha
    scene += alpha * warped.astype(np.float32)


def _card_corners(
    rng: np.random.Generator, size: tuple[int, int], card_h: float, aspect: float, fit: bool
) -> np.ndarray:
    """Corners of a card of height `card_h` turned by up to 12° with a little perspective;
    inside the frame (with a margin) when `fit`, else anywhere (may be cut by the border)."""
    width, height = size
    card_w = card_h * aspect
    angle = np.deg2rad(rng.uniform(-12, 12))
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    half = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]]) * [card_w / 2, card_h / 2]
    pts = half @ rot.T + rng.uniform(-0.035, 0.035, (4, 2)) * [card_w, card_h]
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    if fit:
        margin = 0.03 * min(width, height)
        low, high = margin - lo, np.array([width - margin, height - margin]) - hi
        centre = rng.uniform(np.minimum(low, high), np.maximum(low, high))
    else:
        centre = rng.uniform([0, 0], [width, height])
    return (pts + centre).astype(np.float32)


def hard_photo(
    seed: int, layout: card_layouts.CardLayout, size: tuple[int, int] = (800, 600)
) -> HardPhoto:
    """One hard photo of a card of this layout (same seed, same photo)."""
    rng = np.random.default_rng([seed, sum(map(ord, layout.name))])
    height = size[1]
    border, art_box, aspect = layout.border or 0.04, layout.art_box, layout.aspect
    card_px = int(rng.integers(280, 420))
    card, art, (ax0, ay0, ax1, ay1) = draw_hard_card(rng, card_px, art_box, aspect, border)
    card_h = rng.uniform(0.55, 0.8) * height
    corners = _card_corners(rng, size, card_h, aspect, fit=True)
    same = rng.random() < 0.2
    border_colour = card[1, card.shape[1] // 2].astype(np.float32)
    scene = _table(rng, size, border_colour + rng.normal(0, 4, 3) if same else None)
    if not same:
        _clutter(rng, scene, corners)
    # a second card, partly in view: centred near a side of the frame, behind the main card
    other, _, _ = draw_hard_card(rng, card_px, art_box, aspect, border)
    other_corners = _card_corners(rng, size, card_h * rng.uniform(0.8, 1.1), aspect, fit=False)
    side = int(rng.integers(0, 4))
    shift = [(-1, 0), (1, 0), (0, -1), (0, 1)][side]
    centre = other_corners.mean(axis=0)
    target = np.where(np.array(shift) < 0, 0, size) * np.abs(shift) + centre * (1 - np.abs(shift))
    other_corners += (target - centre) + np.array(shift) * rng.uniform(0.05, 0.3) * card_h
    _paste(scene, other, other_corners)
    _paste(scene, card, corners)
    _light(rng, scene, corners)
    image = np.clip(scene, 0, 255).astype(np.uint8)
    image = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.4, 1.3))
    noisy = image.astype(np.float32) + rng.normal(0, rng.uniform(2, 7), image.shape)
    image = np.clip(noisy, 0, 255).astype(np.uint8)
    ch, cw = card.shape[:2]
    matrix = cv2.getPerspectiveTransform(
        np.array([[0, 0], [cw, 0], [cw, ch], [0, ch]], np.float32), corners
    )
    art_pts = np.array([[[ax0, ay0], [ax1, ay0], [ax1, ay1], [ax0, ay1]]], np.float32)
    art_corners = cv2.perspectiveTransform(art_pts, matrix)[0]
    return HardPhoto(image, art, corners, art_corners, bool(same))


def _light(rng: np.random.Generator, scene: np.ndarray, corners: np.ndarray) -> None:
    """Uneven light and a glare spot somewhere over the card (in place)."""
    height, width = scene.shape[:2]
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    gx, gy = rng.uniform(-0.3, 0.3, 2)
    scene *= (1.0 + gx * (xx / width - 0.5) + gy * (yy / height - 0.5))[:, :, None]
    weights = rng.dirichlet(np.ones(4))
    spot = weights @ corners
    radius = rng.uniform(0.05, 0.12) * max(width, height)
    glare = np.exp(-((xx - spot[0]) ** 2 + (yy - spot[1]) ** 2) / (2 * radius**2))
    scene += (rng.uniform(40, 110) * glare)[:, :, None]


def true_art_crop(photo: HardPhoto) -> np.ndarray:
    """The art window cut from the photo with its true corners (the best any cropper can do)."""
    height, width = photo.art.shape[:2]
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    matrix = cv2.getPerspectiveTransform(photo.art_corners.astype(np.float32), target)
    return cv2.warpPerspective(photo.image, matrix, (width, height), flags=cv2.INTER_LINEAR)


def art_correlation(crop: np.ndarray, art: np.ndarray, size: int = 64) -> float:
    """Pearson correlation of the two pictures in gray at `size` x `size`."""
    a, b = (
        cv2.resize(cv2.cvtColor(x, cv2.COLOR_BGR2GRAY), (size, size), interpolation=cv2.INTER_AREA)
        .astype(np.float64)
        .ravel()
        for x in (crop, art)
    )
    a, b = a - a.mean(), b - b.mean()
    denom = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / denom) if denom > 0 else 0.0


def share_inside(polygon: np.ndarray, quad: np.ndarray) -> float:
    """Share of the convex `polygon`'s area that lies inside the convex `quad`."""
    area = cv2.contourArea(polygon.astype(np.float32))
    if area <= 0:
        return 0.0
    inter, _ = cv2.intersectConvexConvex(polygon.astype(np.float32), quad.astype(np.float32))
    return float(inter / area)
