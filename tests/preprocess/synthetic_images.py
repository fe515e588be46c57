"""Images drawn with numpy/OpenCV for the preprocessing tests (no files from outside)."""

from __future__ import annotations

import cv2
import numpy as np

ART_BGR = (200, 90, 30)  # a blue, far from the frame and text box colours
MARKER_BGR = (0, 0, 255)  # red marker in the art window's top-left corner: checks orientation
FRAME_BGR = (40, 140, 200)  # orange-brown frame
TEXT_BOX_BGR = (190, 225, 235)  # beige text box
BACKGROUND_BGR = (70, 75, 60)


def draw_card(width: int, height: int, art_box: tuple[float, float, float, float]) -> np.ndarray:
    """A card: dark outer border, coloured frame, textured art window, name bar and text box."""
    card = np.full((height, width, 3), FRAME_BGR, np.uint8)
    cv2.rectangle(
        card, (0, 0), (width - 1, height - 1), (20, 20, 20), thickness=max(4, width // 60)
    )
    x0, y0, x1, y1 = (
        round(art_box[0] * width),
        round(art_box[1] * height),
        round(art_box[2] * width),
        round(art_box[3] * height),
    )
    # name bar above the art, text box below it
    cv2.rectangle(
        card, (x0, round(0.04 * height)), (x1, y0 - round(0.03 * height)), (230, 230, 230), -1
    )
    cv2.rectangle(
        card, (x0, y1 + round(0.08 * height)), (x1, round(0.94 * height)), TEXT_BOX_BGR, -1
    )
    for row in range(5):
        y = y1 + round((0.11 + 0.035 * row) * height)
        cv2.line(card, (x0 + 10, y), (x1 - 30, y), (30, 30, 30), 2)
    # art: uniform colour with a mild texture so edge detectors see something inside
    rng = np.random.default_rng(0)
    art = np.full((y1 - y0, x1 - x0, 3), ART_BGR, np.int16)
    art += rng.integers(-6, 7, size=art.shape, dtype=np.int16)
    card[y0:y1, x0:x1] = np.clip(art, 0, 255).astype(np.uint8)
    side = (x1 - x0) // 6
    card[y0 + side // 2 : y0 + side + side // 2, x0 + side // 2 : x0 + side + side // 2] = (
        MARKER_BGR
    )
    return card


def place_on_background(
    card: np.ndarray, canvas: tuple[int, int], corners: np.ndarray | None = None, seed: int = 1
) -> np.ndarray:
    """Put `card` on a noisy background of size (w, h), straight or warped to `corners`."""
    width, height = canvas
    rng = np.random.default_rng(seed)
    scene = np.full((height, width, 3), BACKGROUND_BGR, np.int16)
    scene += rng.integers(-10, 11, size=scene.shape, dtype=np.int16)
    scene = np.clip(scene, 0, 255).astype(np.uint8)
    # clutter that must not be mistaken for the card
    cv2.circle(scene, (width // 10, height // 10), width // 30, (180, 180, 180), -1)
    ch, cw = card.shape[:2]
    if corners is None:
        x = (width - cw) // 2
        y = (height - ch) // 2
        corners = np.array([[x, y], [x + cw, y], [x + cw, y + ch], [x, y + ch]], np.float32)
    source = np.array([[0, 0], [cw, 0], [cw, ch], [0, ch]], np.float32)
    matrix = cv2.getPerspectiveTransform(source, np.asarray(corners, np.float32))
    warped = cv2.warpPerspective(card, matrix, (width, height), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full((ch, cw), 255, np.uint8), matrix, (width, height))
    scene[mask > 127] = warped[mask > 127]
    return scene


def colour_fraction(image: np.ndarray, bgr: tuple[int, int, int], tolerance: int = 30) -> float:
    """Share of pixels within `tolerance` (max channel difference) of `bgr`."""
    diff = np.abs(image[:, :, :3].astype(np.int16) - np.array(bgr, np.int16)).max(axis=2)
    return float((diff <= tolerance).mean())


def draw_sprite(size: int = 120, seed: int = 0) -> np.ndarray:
    """A BGRA sprite: an off-centre orange blob with a white eye, on a transparent canvas."""
    sprite = np.zeros((size, size, 4), np.uint8)
    cv2.ellipse(
        sprite, (size // 3, size // 2), (size // 5, size // 4), 0, 0, 360, (0, 128, 255, 255), -1
    )
    cv2.circle(sprite, (size // 3, size // 2), size // 16, (255, 255, 255, 255), -1)
    rng = np.random.default_rng(seed)
    # invisible junk in the transparent area (common in real sprites): must not count
    junk = sprite[:, :, 3] == 0
    sprite[junk, :3] = rng.integers(0, 256, size=(int(junk.sum()), 3), dtype=np.uint8)
    return sprite


def pattern_image(seed: int, size: int = 96) -> np.ndarray:
    """A distinct BGR test picture: random colour fields at three scales (like real images,
    it has detail at several frequencies, so hashes are stable under mild changes)."""
    rng = np.random.default_rng(seed)
    picture = np.zeros((size, size, 3), np.float32)
    for cells, weight in ((3, 0.5), (6, 0.3), (12, 0.2)):
        blocks = rng.uniform(0, 255, (cells, cells, 3)).astype(np.float32)
        picture += weight * cv2.resize(blocks, (size, size), interpolation=cv2.INTER_CUBIC)
    return np.clip(picture, 0, 255).astype(np.uint8)


def composite_on_white(bgra: np.ndarray) -> np.ndarray:
    """Flatten a BGRA image onto white (a sprite as published on a white page)."""
    alpha = bgra[:, :, 3:4].astype(np.float32) / 255.0
    return np.rint(bgra[:, :, :3] * alpha + 255.0 * (1 - alpha)).astype(np.uint8)
