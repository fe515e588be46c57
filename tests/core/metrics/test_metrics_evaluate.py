"""evaluate_generator end to end on tiny synthetic data."""

import json

import numpy as np
import pytest

from gans.core.metrics import (
    ClassifierExtractor,
    PixelExtractor,
    build_feature_classifier,
    evaluate_generator,
)


@pytest.fixture(scope="module")
def real():
    return np.tanh(np.random.default_rng(0).standard_normal((48, 16, 16, 3))).astype(np.float32)


def _noise_generator(seed):
    rng = np.random.default_rng(seed)
    return lambda n: np.tanh(rng.standard_normal((n, 16, 16, 3))).astype(np.float32)


def test_evaluate_generator_flat_json(real):
    classifier = ClassifierExtractor(build_feature_classifier((16, 16, 3), 3, feature_dim=8))
    cache: dict = {}
    result = evaluate_generator(
        _noise_generator(1),
        real,
        extractor=PixelExtractor(input_size=4),
        classifier=classifier,
        num_samples=40,
        batch_size=16,
        kid_subsets=5,
        diversity_pairs=20,
        real_cache=cache,
    )
    json.dumps(result)
    assert all(not isinstance(v, dict) for v in result.values())
    assert result["num_generated"] == 40 and result["num_real"] == 48
    for key in (
        "fid",
        "kid_mean",
        "kid_std",
        "extractor_name",
        "extractor_weights",
        "classifier_fid",
        "classifier_extractor_name",
        "mode_num_covered",
        "mode_kl_real",
        "swd_16",
        "swd_mean",
        "ms_ssim_fake",
        "ms_ssim_real",
        "mean_pairwise_distance_fake",
        "memorization_pixel_fraction_flagged",
    ):
        assert key in result, key
    assert result["extractor_name"] == "pixels"
    assert sum(result["mode_histogram"]) == 40
    assert result["memorization_pixel_fraction_flagged"] == 0.0
    assert cache  # real features kept for the next call


def test_evaluate_copying_generator_is_flagged(real):
    rng = np.random.default_rng(2)
    result = evaluate_generator(
        lambda n: real[rng.integers(0, len(real), n)],
        real,
        num_samples=32,
        diversity_pairs=10,
    )
    assert "fid" not in result
    assert result["memorization_pixel_fraction_flagged"] == 1.0
