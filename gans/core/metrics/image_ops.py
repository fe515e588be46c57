"""Image conversions shared by the metrics.

Convention for every metric in this package: images are float arrays or tensors in [-1, 1],
NHWC, with 1, 3 or 4 channels (an NHW batch of grayscale images whose width is not 1, 3 or 4
also gets a channel axis). Values outside [-1, 1] are not clipped.

* Alpha (4 channels) is **composited on white**: ``rgb * a + 1 * (1 - a)`` with
  ``a = (alpha + 1) / 2``, so transparent pixels look the way the dataset previews show them.
* Grayscale is repeated to 3 channels where a metric needs RGB (Inception).
* RGB to gray uses ITU-R BT.601 luma weights (0.299, 0.587, 0.114).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf

_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def as_images(images: Any) -> np.ndarray:
    """Returns ``images`` as a float32 NHWC numpy array with 1, 3 or 4 channels."""
    x = images.numpy() if isinstance(images, tf.Tensor) else np.asarray(images)
    x = x.astype(np.float32, copy=False)
    if x.ndim == 3 and x.shape[-1] not in (1, 3, 4):
        x = x[..., None]  # NHW grayscale batch
    if x.ndim != 4:
        raise ValueError(f"expected NHWC images, got shape {x.shape}")
    if x.shape[-1] not in (1, 3, 4):
        raise ValueError(f"expected 1, 3 or 4 channels, got {x.shape[-1]} (shape {x.shape})")
    if x.shape[0] == 0:
        raise ValueError("got an empty batch of images")
    return x


def composite_alpha(images: np.ndarray) -> np.ndarray:
    """RGBA in [-1, 1] → RGB composited on white; other channel counts pass through."""
    if images.shape[-1] != 4:
        return images
    rgb, alpha = images[..., :3], (images[..., 3:] + 1.0) * 0.5
    return rgb * alpha + (1.0 - alpha)


def to_channels(images: np.ndarray, channels: int) -> np.ndarray:
    """Converts NHWC images in [-1, 1] to ``channels`` (1, 3 or 4) channels.

    4 → 3 composites on white, 1 → 3 repeats, 3 → 1 takes BT.601 luma, 3 → 4 adds an opaque
    alpha channel.
    """
    c = images.shape[-1]
    if c == channels:
        return images
    if channels == 4:
        rgb = to_channels(images, 3)
        return np.concatenate([rgb, np.ones_like(rgb[..., :1])], axis=-1)
    x = composite_alpha(images)
    if channels == 3:
        return np.repeat(x, 3, axis=-1) if x.shape[-1] == 1 else x
    if channels == 1:
        return x if x.shape[-1] == 1 else (x @ _LUMA)[..., None].astype(np.float32)
    raise ValueError(f"unsupported channel count {channels}")


def resize(
    images: np.ndarray, size: tuple[int, int], method: str = "bilinear", batch_size: int = 256
) -> np.ndarray:
    """Resizes NHWC images to ``size`` = (height, width) with ``tf.image.resize`` (no antialias).

    Returns the input unchanged when it already has that size.
    """
    size = (int(size[0]), int(size[1]))
    if images.shape[1:3] == size:
        return images
    out = [
        tf.image.resize(images[i : i + batch_size], size, method=method).numpy()
        for i in range(0, len(images), batch_size)
    ]
    return np.concatenate(out, axis=0).astype(np.float32, copy=False)


def to_uint8(images: np.ndarray) -> np.ndarray:
    """[-1, 1] floats → uint8 [0, 255] (clipped, rounded)."""
    return np.clip(np.rint((np.asarray(images) + 1.0) * 127.5), 0, 255).astype(np.uint8)


def flatten(images: np.ndarray) -> np.ndarray:
    """(N, ...) → (N, D) float32."""
    return np.asarray(images, dtype=np.float32).reshape(len(images), -1)
