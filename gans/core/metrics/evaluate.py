"""One call that evaluates a generator against real images and returns a flat JSON dict."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .diversity import mean_pairwise_distance, mode_coverage, ms_ssim_diversity
from .extractors import ClassifierExtractor, FeatureExtractor
from .frechet import frechet_distance, kernel_inception_distance
from .image_ops import as_images, to_channels
from .memorization import memorization_report
from .swd import sliced_wasserstein_distance


def generate_images(
    generate_fn: Callable[[int], Any], num_samples: int, batch_size: int
) -> np.ndarray:
    """Calls ``generate_fn(n)`` (→ n images in [-1, 1]) in batches until ``num_samples``."""
    out, total = [], 0
    while total < num_samples:
        n = min(batch_size, num_samples - total)
        imgs = as_images(generate_fn(n))[:n]
        out.append(imgs)
        total += len(imgs)
    return np.concatenate(out, axis=0)


def _features(
    extractor: FeatureExtractor, images: np.ndarray, cache: dict | None, key: str
) -> np.ndarray:
    if cache is None:
        return extractor(images)
    ck = (key, extractor.name, extractor.weights_source, len(images))
    if ck not in cache:
        cache[ck] = extractor(images)
    return cache[ck]


def _fid_kid(
    prefix: str,
    extractor: FeatureExtractor,
    fake: np.ndarray,
    real: np.ndarray,
    cache: dict | None,
    kid_subsets: int,
    kid_subset_size: int,
    seed: int,
) -> dict[str, Any]:
    ff = extractor(fake)
    fr = _features(extractor, real, cache, "real")
    kid_mean, kid_std = kernel_inception_distance(ff, fr, kid_subsets, kid_subset_size, seed)
    out: dict[str, Any] = {
        f"{prefix}fid": frechet_distance(ff, fr),
        f"{prefix}kid_mean": kid_mean,
        f"{prefix}kid_std": kid_std,
        f"{prefix}kid_subset_size": min(kid_subset_size, len(ff), len(fr)),
        f"{prefix}kid_num_subsets": kid_subsets,
    }
    out.update({f"{prefix}extractor_{k}": v for k, v in extractor.describe().items()})
    return out


def evaluate_generator(
    generate_fn: Callable[[int], Any],
    real_images: Any,
    extractor: FeatureExtractor | None = None,
    classifier: ClassifierExtractor | None = None,
    num_samples: int = 1000,
    train_images: Any | None = None,
    batch_size: int = 250,
    seed: int = 0,
    kid_subsets: int = 100,
    kid_subset_size: int = 1000,
    diversity_pairs: int = 500,
    memorization_threshold: float = 0.25,
    real_cache: dict | None = None,
) -> dict[str, Any]:
    """Evaluates ``generate_fn`` (n → n images in [-1, 1] NHWC) against ``real_images``.

    Computes, on ``num_samples`` generated images:
      * ``fid``, ``kid_mean``, ``kid_std`` + ``extractor_*`` metadata — with ``extractor``;
      * ``classifier_fid``/``classifier_kid_*`` + ``classifier_extractor_*`` and ``mode_*``
        (coverage, KL to uniform and to the real class histogram) — with ``classifier``;
      * ``swd_<res>``, ``swd_mean`` (×1e3);
      * ``ms_ssim_fake``/``ms_ssim_real`` (lower = more diverse) and
        ``mean_pairwise_distance_fake``/``_real`` (higher = more diverse);
      * ``memorization_*`` against ``train_images`` (default ``real_images``);
      * ``num_generated``, ``num_real``, ``image_size``, ``channels``, ``seed``.
    Generated images are converted to the real images' channels. ``real_cache`` (a dict the
    caller keeps between calls with the *same* ``real_images``, e.g. in a training callback)
    stores real features and classes so they are extracted once. Returns a flat dict of
    JSON-serializable scalars (``mode_histogram`` is a list).
    """
    real = as_images(real_images)
    fake = to_channels(generate_images(generate_fn, num_samples, batch_size), real.shape[-1])
    if fake.shape[1:] != real.shape[1:]:
        raise ValueError(f"generated {fake.shape[1:]} vs real {real.shape[1:]} images")
    out: dict[str, Any] = {
        "num_generated": len(fake),
        "num_real": len(real),
        "image_size": "x".join(map(str, real.shape[1:3])),
        "channels": int(real.shape[-1]),
        "seed": seed,
    }
    if extractor is not None:
        out.update(
            _fid_kid("", extractor, fake, real, real_cache, kid_subsets, kid_subset_size, seed)
        )
    if classifier is not None:
        out.update(
            _fid_kid(
                "classifier_",
                classifier,
                fake,
                real,
                real_cache,
                kid_subsets,
                kid_subset_size,
                seed,
            )
        )
        real_classes = (
            real_cache.setdefault(("real_classes", len(real)), classifier.predict_classes(real))
            if real_cache is not None
            else classifier.predict_classes(real)
        )
        cov = mode_coverage(
            classifier.predict_classes(fake),
            classifier.num_classes,
            reference=np.bincount(real_classes, minlength=classifier.num_classes),
        )
        out.update(
            {
                "mode_num_classes": cov["num_classes"],
                "mode_num_covered": cov["num_covered"],
                "mode_coverage": cov["coverage"],
                "mode_max_fraction": cov["max_fraction"],
                "mode_kl_uniform": cov["kl_to_uniform"],
                "mode_kl_real": cov["kl_to_reference"],
                "mode_histogram": cov["histogram"],
            }
        )
    out.update(sliced_wasserstein_distance(fake, real, seed=seed).as_dict("swd"))
    out["ms_ssim_fake"] = ms_ssim_diversity(fake, diversity_pairs, seed)
    out["ms_ssim_real"] = ms_ssim_diversity(real, diversity_pairs, seed)
    out["mean_pairwise_distance_fake"] = mean_pairwise_distance(fake, diversity_pairs, seed)
    out["mean_pairwise_distance_real"] = mean_pairwise_distance(real, diversity_pairs, seed)
    train = real if train_images is None else train_images
    mem = memorization_report(fake, train, k=1, threshold=memorization_threshold, seed=seed)
    out.update({f"memorization_{k}": v for k, v in mem.summary().items()})
    return out
