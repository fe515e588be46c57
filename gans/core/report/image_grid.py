"""Image grids with a title drawn in: the epoch images and ``reals.png``."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

TITLE_HEIGHT = 24
COLUMN_TITLE_HEIGHT = 16


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
    column_titles: list[str] | tuple[str, ...] | None = None,
) -> Path:
    """Save images in [-1, 1] (``[N, H, W, C]``) as one PNG grid with ``title`` on top.

    Small images are upscaled (nearest) to at least ``min_cell`` px so the grid is legible.
    ``column_titles`` (e.g. class names, one per column) are drawn above the columns,
    shortened with "…" to fit a cell; titles and column titles may have several lines.
    The file is written atomically (temporary name, then rename).
    """
    pixels = to_uint8(images)
    scale = max(1, math.ceil(min_cell / pixels.shape[1]))
    if scale > 1:
        pixels = pixels.repeat(scale, axis=1).repeat(scale, axis=2)
    if column_titles:
        columns = len(column_titles)
    grid = tile(pixels, columns)
    if grid.shape[-1] == 1:
        grid = np.repeat(grid, 3, axis=-1)
    body = Image.fromarray(grid, "RGB")
    lines = title.splitlines() if title else []
    column_lines = max((len(str(t).splitlines()) for t in column_titles or ()), default=0)
    top = TITLE_HEIGHT * len(lines) + COLUMN_TITLE_HEIGHT * column_lines
    canvas = Image.new("RGB", (body.width, body.height + top), "white")
    canvas.paste(body, (0, top))
    draw = ImageDraw.Draw(canvas)
    for i, line in enumerate(lines):
        draw.text((6, 3 + TITLE_HEIGHT * i), line, fill="black", font=_font(16))
    if column_titles:
        font, pad, cell = _font(11), 2, pixels.shape[2] + 2
        y = TITLE_HEIGHT * len(lines) + 2
        for col, text in enumerate(column_titles):
            for row, line in enumerate(str(text).splitlines()):
                line = _fit(draw, line, font, cell - 2)
                width = draw.textlength(line, font=font)
                x = pad + col * cell + (cell - 2 - width) / 2
                draw.text((x, y + COLUMN_TITLE_HEIGHT * row), line, fill="black", font=font)
    return save_image_atomic(canvas, path, format="PNG")


def _font(size: int) -> ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


def _fit(draw: ImageDraw.ImageDraw, text: str, font, width: float) -> str:
    """``text``, shortened with "…" until it is at most ``width`` px wide."""
    if draw.textlength(text, font=font) <= width:
        return text
    while len(text) > 1 and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text + "…"


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
