"""Sliced Wasserstein distance over Laplacian-pyramid patches (Karras et al. 2018, ProGAN,
"Progressive Growing of GANs", appendix D; after the official ``metrics/sliced_wasserstein.py``).

Per pyramid level (full resolution down to ``min_resolution``, the last level being the
Gaussian low-pass): sample ``patches_per_image`` random 7×7 neighbourhoods per image, normalize
each channel by the set's own mean and std (each set separately, as in the paper's code — so a
global brightness/contrast shift is not measured), flatten, then

    SWD = mean over random unit directions θ of  mean_i |sort(A·θ)_i − sort(B·θ)_i|

(``dir_repeats`` × ``dirs_per_repeat`` directions, seeded). Values are reported ×1e3 as in the
paper. Lower is better; the per-level values show at which scale (fine detail at high
resolution, layout at low) the sets differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import tensorflow as tf

from .image_ops import as_images

_GAUSS_1D = np.array([1.0, 4.0, 6.0, 4.0, 1.0], dtype=np.float32) / 16.0


def _blur(x: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """5×5 binomial blur ([1, 4, 6, 4, 1]/16 outer itself) of NHWC images, mirror padding."""
    k2 = np.outer(_GAUSS_1D, _GAUSS_1D)
    kernel = tf.constant(np.tile(k2[:, :, None, None], (1, 1, x.shape[-1], 1)))
    out = []
    for i in range(0, len(x), batch_size):
        padded = tf.pad(x[i : i + batch_size], [[0, 0], [2, 2], [2, 2], [0, 0]], mode="REFLECT")
        out.append(tf.nn.depthwise_conv2d(padded, kernel, [1, 1, 1, 1], "VALID").numpy())
    return np.concatenate(out, axis=0)


def _downscale(x: np.ndarray) -> np.ndarray:
    return _blur(x)[:, ::2, ::2]


def _upscale(x: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    n, h, w, c = x.shape
    up = np.zeros((n, 2 * h, 2 * w, c), dtype=x.dtype)
    up[:, ::2, ::2] = x
    return (_blur(up) * 4.0)[:, : shape[0], : shape[1]]


def laplacian_pyramid(images: np.ndarray, num_levels: int) -> list[np.ndarray]:
    """[band-pass at full res, ..., band-pass, Gaussian low-pass at the coarsest level]."""
    pyramid = [np.asarray(images, dtype=np.float32)]
    for _ in range(num_levels - 1):
        pyramid.append(_downscale(pyramid[-1]))
        pyramid[-2] = pyramid[-2] - _upscale(pyramid[-1], pyramid[-2].shape[1:3])
    return pyramid


def pyramid_resolutions(size: int, min_resolution: int = 16) -> list[int]:
    """Resolutions of the levels, e.g. 64 → [64, 32, 16]; 28 → [28]; always ≥ 1 level."""
    res = [int(size)]
    while (res[-1] + 1) // 2 >= min_resolution:
        res.append((res[-1] + 1) // 2)
    return res


def _patch_descriptors(
    level: np.ndarray, patches_per_image: int, patch_size: int, rng: np.random.Generator
) -> np.ndarray:
    """(N·P, patch, patch, C) random neighbourhoods of one pyramid level."""
    n, h, w, _ = level.shape
    if h < patch_size or w < patch_size:
        raise ValueError(f"level {h}x{w} is smaller than the {patch_size}px patch")
    img = np.repeat(np.arange(n), patches_per_image)
    ys = rng.integers(0, h - patch_size + 1, size=img.shape)
    xs = rng.integers(0, w - patch_size + 1, size=img.shape)
    d = np.arange(patch_size)
    return level[
        img[:, None, None],
        ys[:, None, None] + d[None, :, None],
        xs[:, None, None] + d[None, None, :],
    ]


def _normalize(desc: np.ndarray) -> np.ndarray:
    desc = desc - desc.mean(axis=(0, 1, 2), keepdims=True)
    desc = desc / np.maximum(desc.std(axis=(0, 1, 2), keepdims=True), 1e-8)
    return desc.reshape(len(desc), -1)


def sliced_wasserstein(
    a: np.ndarray,
    b: np.ndarray,
    dir_repeats: int = 4,
    dirs_per_repeat: int = 128,
    rng: np.random.Generator | None = None,
) -> float:
    """Mean over random unit directions of the 1-D Wasserstein-1 distance of sorted projections.

    ``a`` and ``b`` are (M, D) with the same M.
    """
    rng = rng if rng is not None else np.random.default_rng(0)
    results = []
    for _ in range(dir_repeats):
        dirs = rng.standard_normal((a.shape[1], dirs_per_repeat)).astype(np.float32)
        dirs /= np.linalg.norm(dirs, axis=0, keepdims=True)
        # (dirs, M) rows: sorting contiguous rows is faster than sorting columns.
        pa, pb = np.sort(dirs.T @ a.T, axis=1), np.sort(dirs.T @ b.T, axis=1)
        results.append(float(np.mean(np.abs(pa - pb))))
    return float(np.mean(results))


@dataclass(frozen=True)
class SWDResult:
    """SWD ×1e3 per pyramid level (``resolutions[i]`` ↔ ``levels[i]``) and their mean."""

    resolutions: tuple[int, ...]
    levels: tuple[float, ...]
    mean: float

    def as_dict(self, prefix: str = "swd") -> dict[str, float]:
        out = {f"{prefix}_{r}": v for r, v in zip(self.resolutions, self.levels, strict=True)}
        out[f"{prefix}_mean"] = self.mean
        return out


@dataclass(frozen=True)
class SWDSettings:
    """The measurement protocol: the paper's values, with the descriptors capped per level.

    ``patches_per_image`` is lowered so that each level holds at most ``max_descriptors``
    per set (memory and time; the paper used 128 per image over 16k images)."""

    patches_per_image: int = 128
    patch_size: int = 7
    min_resolution: int = 16
    dir_repeats: int = 4
    dirs_per_repeat: int = 128
    max_descriptors: int = 65536


def sliced_wasserstein_distance(
    images_a: Any, images_b: Any, settings: SWDSettings = SWDSettings(), seed: int = 0
) -> SWDResult:
    """SWD ×1e3 between two image sets (NHWC, [-1, 1], same size and channels).

    Works from 1 image per set and sizes ≥ ``settings.patch_size``; 28 px gives one level,
    32 px two, 256 px five. Sets of different sizes are compared on equal descriptor counts
    (the larger set's descriptors are subsampled). Patch positions use the same seed for both
    sets, so SWD(x, x) = 0 exactly. Alpha is kept as a fourth channel.
    """
    a, b = as_images(images_a), as_images(images_b)
    if a.shape[1:] != b.shape[1:]:
        raise ValueError(f"image shapes differ: {a.shape[1:]} vs {b.shape[1:]}")
    resolutions = pyramid_resolutions(min(a.shape[1:3]), settings.min_resolution)
    pyr_a = laplacian_pyramid(a, len(resolutions))
    pyr_b = laplacian_pyramid(b, len(resolutions))
    per_image = max(
        1, min(settings.patches_per_image, settings.max_descriptors // max(len(a), len(b)))
    )
    values = []
    for i, (la, lb) in enumerate(zip(pyr_a, pyr_b, strict=True)):
        size = min(settings.patch_size, *la.shape[1:3])
        da = _normalize(_patch_descriptors(la, per_image, size, np.random.default_rng([seed, i])))
        db = _normalize(_patch_descriptors(lb, per_image, size, np.random.default_rng([seed, i])))
        m = min(len(da), len(db))
        sub = np.random.default_rng([seed, i, 1])
        if len(da) > m:
            da = da[np.sort(sub.choice(len(da), m, replace=False))]
        if len(db) > m:
            db = db[np.sort(sub.choice(len(db), m, replace=False))]
        dirs_rng = np.random.default_rng([seed, i, 2])
        swd = sliced_wasserstein(da, db, settings.dir_repeats, settings.dirs_per_repeat, dirs_rng)
        values.append(1e3 * swd)
    return SWDResult(tuple(resolutions), tuple(values), float(np.mean(values)))
