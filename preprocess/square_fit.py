"""Resize images (alpha-aware) and fit them into a square by padding or centre-cropping.

Resizing an image with an alpha channel naively bleeds the (often random) colour of fully
transparent pixels into the object's edge; resizing premultiplied colour avoids that.
"""

from __future__ import annotations

import cv2
import numpy as np

Colour = tuple[int, int, int]


def _interpolation(src: tuple[int, int], dst: tuple[int, int], nearest: bool) -> int:
    """INTER_AREA to shrink, INTER_CUBIC to enlarge, INTER_NEAREST for pixel art."""
    if nearest:
        return cv2.INTER_NEAREST
    return cv2.INTER_AREA if dst[0] * dst[1] < src[0] * src[1] else cv2.INTER_CUBIC


def resize_image(image: np.ndarray, size: tuple[int, int], nearest: bool = False) -> np.ndarray:
    """Resize BGR or BGRA `image` to `size` = (w, h); BGRA is resized premultiplied."""
    height, width = image.shape[:2]
    flags = _interpolation((width, height), size, nearest)
    if image.shape[2] == 3 or nearest:
        return cv2.resize(image, size, interpolation=flags)
    alpha = image[:, :, 3:4].astype(np.float32) / 255.0
    premultiplied = np.concatenate([image[:, :, :3].astype(np.float32) * alpha, alpha * 255.0], 2)
    resized = cv2.resize(premultiplied, size, interpolation=flags)
    new_alpha = np.clip(resized[:, :, 3:4], 0.0, 255.0)
    safe = np.where(new_alpha > 0, new_alpha / 255.0, 1.0)
    colour = np.clip(resized[:, :, :3] / safe, 0.0, 255.0)
    colour[np.broadcast_to(new_alpha <= 0, colour.shape)] = 0.0
    return np.rint(np.concatenate([colour, new_alpha], 2)).astype(np.uint8)


def composite(image: np.ndarray, background: Colour) -> np.ndarray:
    """Blend BGRA `image` over a uniform BGR `background`; BGR input is returned unchanged."""
    if image.shape[2] == 3:
        return image
    alpha = image[:, :, 3:4].astype(np.float32) / 255.0
    blended = image[:, :, :3].astype(np.float32) * alpha + np.float32(background) * (1.0 - alpha)
    return np.rint(blended).astype(np.uint8)


def blank_canvas(size: int, background: Colour | None, with_alpha: bool) -> np.ndarray:
    """A square canvas: BGR filled with `background`, or BGRA transparent (colour kept)."""
    colour = background if background is not None else (0, 0, 0)
    if not with_alpha:
        return np.full((size, size, 3), colour, np.uint8)
    return np.full((size, size, 4), (*colour, 0), np.uint8)


def paste_centred(canvas: np.ndarray, image: np.ndarray) -> np.ndarray:
    """Put `image` (same channel count, not larger) in the middle of `canvas`, in place."""
    height, width = image.shape[:2]
    y = (canvas.shape[0] - height) // 2
    x = (canvas.shape[1] - width) // 2
    canvas[y : y + height, x : x + width] = image
    return canvas


def fit_square(
    image: np.ndarray,
    size: int,
    mode: str = "pad",
    background: Colour | None = (255, 255, 255),
    keep_alpha: bool = True,
    nearest: bool = False,
) -> np.ndarray:
    """Make a `size` x `size` image from BGR(A) `image`, keeping its aspect ratio.

    mode "pad" scales the long side to `size` and pads the rest with `background` (BGR);
    mode "crop" scales the short side to `size` and cuts the centre. The output has alpha when
    the input has it and `keep_alpha`, or when `background` is None (transparent); padding is
    then transparent (alpha 0). Otherwise alpha is flattened onto `background`.
    """
    if mode not in ("pad", "crop"):
        raise ValueError(f"unknown mode {mode!r}")
    has_alpha = image.shape[2] == 4
    out_alpha = (has_alpha and keep_alpha) or background is None
    if has_alpha and not out_alpha:
        image = composite(image, background)  # type: ignore[arg-type]
    elif out_alpha and not has_alpha:
        image = np.dstack([image, np.full(image.shape[:2], 255, np.uint8)])
    height, width = image.shape[:2]
    if mode == "pad":
        scale = size / max(height, width)
        new_size = (
            max(1, min(size, round(width * scale))),
            max(1, min(size, round(height * scale))),
        )
        resized = resize_image(image, new_size, nearest)
        return paste_centred(blank_canvas(size, background, out_alpha), resized)
    scale = size / min(height, width)
    new_size = (max(size, round(width * scale)), max(size, round(height * scale)))
    resized = resize_image(image, new_size, nearest)
    y = (new_size[1] - size) // 2
    x = (new_size[0] - size) // 2
    return np.ascontiguousarray(resized[y : y + size, x : x + size])
