"""Image grids with a title drawn in: the epoch images and ``reals.png``."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

TITLE_HEIGHT = 24


def to_uint8(images: np.ndarray) -> np.ndarray:
    """[-1, 1] floats → uint8 ``[N, H, W, C]``."""
    images = np.asarray(images, dtype=np.float32)
    return np.clip(np.rint((images + 1.0) * 127.5), 0, 255).astype(np.uint8)


def tile(images: np.ndarray, columns: int | None = None, pad: int = 2) -> np.ndarray:
    """Tile uint8 ``[N, H, W, C]`` into one ``[rows·H, cols·W, C]`` image with padding.

    RGBA images are composited on a checkerboard-free light gray so transparency shows.
    """
    n, h, w, c = images.shape
    if c == 4:
        alpha = images[..., 3:4].astype(np.float32) / 255.0
        images = (images[..., :3] * alpha + 200 * (1.0 - alpha)).astype(np.uint8)
        c = 3
    columns = columns or math.ceil(math.sqrt(n))
    rows = math.ceil(n / columns)
    grid = np.full((rows * (h + pad) + pad, columns * (w + pad) + pad, c), 255, np.uint8)
    for i in range(n):
        r, col = divmod(i, columns)
        y, x = pad + r * (h + pad), pad + col * (w + pad)
        grid[y : y + h, x : x + w] = images[i]
    return grid


def save_grid(
    images: np.ndarray,
    path: str | os.PathLike,
    title: str = "",
    columns: int | None = None,
    min_cell: int = 48,
) -> Path:
    """Save images in [-1, 1] (``[N, H, W, C]``) as one PNG grid with ``title`` on top.

    Small images are upscaled (nearest) to at least ``min_cell`` px so the grid is legible.
    The file is written atomically (temporary name, then rename).
    """
    pixels = to_uint8(images)
    scale = max(1, math.ceil(min_cell / pixels.shape[1]))
    if scale > 1:
        pixels = pixels.repeat(scale, axis=1).repeat(scale, axis=2)
    grid = tile(pixels, columns)
    if grid.shape[-1] == 1:
        grid = np.repeat(grid, 3, axis=-1)
    body = Image.fromarray(grid, "RGB")
    canvas = Image.new("RGB", (body.width, body.height + (TITLE_HEIGHT if title else 0)), "white")
    canvas.paste(body, (0, TITLE_HEIGHT if title else 0))
    if title:
        draw = ImageDraw.Draw(canvas)
        try:
            font = ImageFont.load_default(size=16)
        except TypeError:  # Pillow < 10.1
            font = ImageFont.load_default()
        draw.text((6, 3), title, fill="black", font=font)
    return save_image_atomic(canvas, path, format="PNG")


def save_gif(frames: list[Image.Image], path: str | os.PathLike, durations_ms) -> Path:
    """A looping animated GIF of ``frames`` (``durations_ms``: one for all, or one per
    frame), written atomically; each frame replaces the previous one (disposal 1)."""
    return save_image_atomic(
        frames[0],
        path,
        format="GIF",
        save_all=True,
        append_images=frames[1:],
        duration=durations_ms,
        loop=0,
        disposal=1,
    )


def save_image_atomic(image: Image.Image, path: str | os.PathLike, **save_kwargs) -> Path:
    """Save through a hidden temporary sibling, then rename: readers never see half a file.

    The temporary name has no pid, so a redone write reuses it and a killed one leaves
    nothing behind once the file is written again.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    image.save(tmp, **save_kwargs)
    os.replace(tmp, path)
    return path
