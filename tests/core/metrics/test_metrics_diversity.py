"""MS-SSIM diversity, pairwise distance, mode coverage."""

import math

import numpy as np
import pytest

from gans.core.metrics import (
    mean_pairwise_distance,
    mode_coverage,
    ms_ssim_diversity,
    ms_ssim_power_factors,
    ms_ssim_scales,
)


def _images(n, size, channels=3, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, size, size, channels)).astype(np.float32)


@pytest.mark.parametrize(("size", "channels"), [(28, 1), (32, 3), (64, 4)])
def test_ms_ssim_identical_higher_than_random(size, channels):
    rand = _images(12, size, channels)
    same = np.repeat(rand[:1], 12, axis=0)
    assert ms_ssim_diversity(same, num_pairs=20) == pytest.approx(1.0, abs=1e-4)
    assert ms_ssim_diversity(rand, num_pairs=20) < 0.3


def test_ms_ssim_scales_and_power_factors():
    assert [ms_ssim_scales(s) for s in (11, 28, 32, 64, 128, 176, 256)] == [1, 2, 2, 3, 4, 5, 5]
    assert sum(ms_ssim_power_factors(2)) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        ms_ssim_scales(8)


def test_mean_pairwise_distance():
    rand = _images(10, 8)
    assert mean_pairwise_distance(np.repeat(rand[:1], 10, axis=0)) == 0.0
    # uniform[-1, 1] pairs: E (x - y)^2 = 2/3
    assert mean_pairwise_distance(rand, num_pairs=45) == pytest.approx(math.sqrt(2 / 3), rel=0.05)


def test_mode_coverage_hand_made_histogram():
    preds = np.array([0] * 50 + [1] * 40 + [2] * 9 + [3] * 1)  # 4 classes, uniform share 25
    cov = mode_coverage(preds, num_classes=5, min_share=0.1)
    assert cov["histogram"] == [50, 40, 9, 1, 0]
    assert cov["num_covered"] == 3  # class 3 (1 %) < 0.1 * 20 %, class 4 empty
    assert cov["coverage"] == pytest.approx(0.6)
    p = np.array([0.5, 0.4, 0.09, 0.01])
    assert cov["kl_to_uniform"] == pytest.approx(np.sum(p * np.log(p / 0.2)))
    assert cov["max_fraction"] == 0.5


def test_mode_coverage_collapse_and_reference():
    collapsed = mode_coverage(np.zeros(100, dtype=int), num_classes=10)
    assert collapsed["num_covered"] == 1
    assert collapsed["kl_to_uniform"] == pytest.approx(math.log(10))
    probs = np.eye(3)[[0, 0, 1, 2]]  # (N, C) probabilities → argmax
    cov = mode_coverage(probs, 3, reference=[2, 1, 1])
    assert cov["reference"] == "given"
    assert cov["kl_to_reference"] == pytest.approx(0.0, abs=1e-5)
    assert cov["kl_to_uniform"] > 0
