"""Separate a sprite from its background and centre it on a uniform square canvas.

Sprites come either with alpha (use it) or drawn on white. For the white case a plain
threshold would also remove white *inside* the object (eyes, highlights), so only near-white
regions connected to the image border count as background.
"""

from __future__ import annotations

import cv2
import numpy as np

import square_fit


def border_connected_background(image: np.ndarray, white_threshold: int) -> np.ndarray:
    """Boolean mask of near-white pixels (every channel >= threshold) touching the border."""
    near_white = (image[:, :, :3].min(axis=2) >= white_threshold).astype(np.uint8)
    count, labels = cv2.connectedComponents(near_white, connectivity=8)
    if count <= 1:
        return np.zeros(near_white.shape, bool)
    edge_labels = np.unique(
        np.concatenate([labels[0, :], labels[-1, :], labels[:, 0], labels[:, -1]])
    )
    edge_labels = edge_labels[edge_labels != 0]
    # label 0 is the non-white part; only white components on the edge are background
    return np.isin(labels, edge_labels) & (near_white > 0)


def sprite_alpha(image: np.ndarray, white_threshold: int = 245) -> np.ndarray:
    """Alpha (uint8) of the object: the alpha channel if it has any transparency, else 255
    everywhere except the border-connected near-white background."""
    if image.shape[2] == 4 and image[:, :, 3].min() < 255:
        return image[:, :, 3]
    background = border_connected_background(image, white_threshold)
    return np.where(background, 0, 255).astype(np.uint8)


def object_bbox(alpha: np.ndarray, alpha_threshold: int) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1) bounds of pixels with alpha > threshold, or None when there are none."""
    ys, xs = np.nonzero(alpha > alpha_threshold)
    if ys.size == 0:
        return None
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def flatten_sprite(
    image: np.ndarray,
    size: int,
    margin: float = 0.1,
    background: tuple[int, int, int] | None = (255, 255, 255),
    white_threshold: int = 245,
    alpha_threshold: int = 16,
    nearest: bool = False,
) -> np.ndarray | None:
    """Centre the object of BGR(A) `image` on a `size`-px square canvas, or None if empty.

    The object's longer side spans `size * (1 - 2 * margin)`; `background` is BGR, or None
    for a transparent (BGRA) output. Pixels with alpha <= `alpha_threshold` do not count for
    the bounding box (faint shadows, stray pixels) but are still blended.
    """
    alpha = sprite_alpha(image, white_threshold)
    box = object_bbox(alpha, alpha_threshold)
    if box is None:
        return None
    x0, y0, x1, y1 = box
    sprite = np.dstack([image[y0:y1, x0:x1, :3], alpha[y0:y1, x0:x1]])
    target = max(1, round(size * (1.0 - 2.0 * margin)))
    scale = target / max(x1 - x0, y1 - y0)
    new_size = (
        max(1, min(target, round((x1 - x0) * scale))),
        max(1, min(target, round((y1 - y0) * scale))),
    )
    resized = square_fit.resize_image(sprite, new_size, nearest)
    canvas = square_fit.blank_canvas(size, background, with_alpha=True)
    square_fit.paste_centred(canvas, resized)
    if background is None:
        return canvas
    return square_fit.composite(canvas, background)
