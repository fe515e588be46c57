"""Sample diversity and mode coverage.

* MS-SSIM diversity (Odena et al. 2017, "Conditional Image Synthesis with Auxiliary Classifier
  GANs"; MS-SSIM: Wang et al. 2003): mean MS-SSIM over random pairs of distinct images of one
  set. **Lower = more diverse**; compare with the same number on real images.
* Mean pairwise distance: RMS per-pixel difference over random pairs. **Higher = more diverse.**
* Mode coverage over the classes a classifier assigns to generated images (Metz et al. 2017 /
  Srivastava et al. 2017, "VEEGAN", Stacked-MNIST practice).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf

from .image_ops import as_images, composite_alpha, flatten

# Wang et al. 2003 weights for 5 scales (the tf.image.ssim_multiscale default).
MS_SSIM_POWER_FACTORS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)


def _random_pairs(n: int, num_pairs: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """``num_pairs`` index pairs (i, j) with i ≠ j (all pairs when there are fewer)."""
    if n < 2:
        raise ValueError(f"need at least 2 images for pairs, got {n}")
    total = n * (n - 1) // 2
    if num_pairs >= total:
        i, j = np.triu_indices(n, k=1)
        return i, j
    i = rng.integers(0, n, size=num_pairs)
    j = (i + rng.integers(1, n, size=num_pairs)) % n  # uniform over j ≠ i
    return i, j


def ms_ssim_scales(size: int, filter_size: int = 11, max_scales: int = 5) -> int:
    """Number of MS-SSIM scales an image of ``size`` px supports.

    ``tf.image.ssim_multiscale`` halves the image (rounding up) between scales and needs every
    scale ≥ ``filter_size``: 5 scales need ≥ 176 px; 28/32 px → 2, 64 px → 3, 128 px → 4.
    """
    scales, s = 0, int(size)
    while scales < max_scales and s >= filter_size:
        scales += 1
        s = (s + 1) // 2
    if scales == 0:
        raise ValueError(f"images of {size}px are smaller than the SSIM filter ({filter_size})")
    return scales


def ms_ssim_power_factors(num_scales: int) -> tuple[float, ...]:
    """The first ``num_scales`` Wang et al. weights, renormalized to sum to 1."""
    w = np.asarray(MS_SSIM_POWER_FACTORS[:num_scales], dtype=np.float64)
    return tuple(float(v) for v in w / w.sum())


def ms_ssim_diversity(
    images: Any,
    num_pairs: int = 1000,
    seed: int = 0,
    filter_size: int = 11,
    batch_size: int = 256,
) -> float:
    """Mean MS-SSIM over random pairs of distinct images (lower = more diverse).

    Images are mapped to [0, 1] (``max_val=1``), alpha composited on white. For images under
    176 px fewer scales are used (``ms_ssim_scales``), with the first power factors
    renormalized (``ms_ssim_power_factors``); values are then comparable only at equal size.
    Identical images give 1; independent noise gives ≈ 0.
    """
    x = composite_alpha(as_images(images))
    x = (x + 1.0) * 0.5
    scales = ms_ssim_scales(min(x.shape[1:3]), filter_size)
    power = ms_ssim_power_factors(scales)
    i, j = _random_pairs(len(x), num_pairs, np.random.default_rng(seed))
    values = []
    for s in range(0, len(i), batch_size):
        a = tf.constant(x[i[s : s + batch_size]])
        b = tf.constant(x[j[s : s + batch_size]])
        values.append(
            tf.image.ssim_multiscale(
                a, b, max_val=1.0, power_factors=power, filter_size=filter_size
            ).numpy()
        )
    return float(np.mean(np.concatenate(values)))


def mean_pairwise_distance(images: Any, num_pairs: int = 1000, seed: int = 0) -> float:
    """RMS per-element difference sqrt(mean((x_i − x_j)²)) averaged over random pairs i ≠ j.

    Cheap diversity proxy on [-1, 1] pixels (or any (N, D) features); higher = more diverse.
    """
    arr = np.asarray(images, dtype=np.float32)
    x = flatten(arr)
    i, j = _random_pairs(len(x), num_pairs, np.random.default_rng(seed))
    d = [
        np.sqrt(np.mean((x[i[s : s + 512]] - x[j[s : s + 512]]) ** 2, axis=1))
        for s in range(0, len(i), 512)
    ]
    return float(np.mean(np.concatenate(d)))


def _kl(p: np.ndarray, q: np.ndarray) -> float:
    """KL(p ‖ q) = Σ p log(p / q) in nats, 0 log 0 = 0."""
    mask = p > 0
    return float(np.sum(p[mask] * np.log(p[mask] / q[mask])))


def mode_coverage(
    class_predictions: Any,
    num_classes: int,
    reference: Any | None = None,
    min_share: float = 0.1,
    eps: float = 1e-6,
) -> dict[str, Any]:
    """Class histogram of generated samples and how well it covers the classes.

    Args:
      class_predictions: (N,) int class ids, or (N, C) probabilities/logits (argmax is taken).
      num_classes: C.
      reference: optional real class distribution, (C,) counts or probabilities (e.g.
        ``np.bincount(real_classes, minlength=C)``); default uniform.
      min_share: a class counts as covered when its fraction ≥ ``min_share`` × its reference
        share (1/C when uniform). 0.1 means "at least a tenth of its expected share".
      eps: smoothing added to the reference so KL stays finite.

    Returns a JSON-serializable dict: ``histogram`` (counts), ``fractions``,
    ``num_covered``, ``coverage`` (= num_covered / C), ``kl_to_uniform`` and ``kl_to_reference``
    = KL(p_gen ‖ p_ref) in nats (0 when the histogram matches; mode collapse onto one class
    gives log C against uniform), ``max_fraction``, ``num_samples``.
    """
    pred = np.asarray(class_predictions)
    if pred.ndim == 2:
        pred = np.argmax(pred, axis=-1)
    pred = pred.astype(np.int64).reshape(-1)
    if len(pred) == 0:
        raise ValueError("no predictions")
    if pred.min() < 0 or pred.max() >= num_classes:
        raise ValueError(f"class ids must be in [0, {num_classes})")
    counts = np.bincount(pred, minlength=num_classes)
    p = counts / counts.sum()
    uniform = np.full(num_classes, 1.0 / num_classes)
    if reference is None:
        ref, ref_name = uniform, "uniform"
    else:
        r = np.asarray(reference, dtype=np.float64)
        if r.shape != (num_classes,) or r.sum() <= 0 or r.min() < 0:
            raise ValueError(f"reference must describe {num_classes} classes")
        ref, ref_name = r / r.sum(), "given"
    ref_s = (ref + eps) / (ref + eps).sum()
    covered = p >= min_share * ref
    covered &= counts > 0
    return {
        "num_samples": int(counts.sum()),
        "num_classes": int(num_classes),
        "histogram": [int(c) for c in counts],
        "fractions": [float(v) for v in p],
        "num_covered": int(covered.sum()),
        "coverage": float(covered.sum() / num_classes),
        "min_share": float(min_share),
        "max_fraction": float(p.max()),
        "kl_to_uniform": _kl(p, uniform),
        "kl_to_reference": _kl(p, ref_s),
        "reference": ref_name,
    }
