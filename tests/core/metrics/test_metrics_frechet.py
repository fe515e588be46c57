"""FID / KID: self-distance, monotonic in noise, closed form for Gaussians."""

import itertools

import numpy as np
import pytest

from gans.core.metrics import (
    PixelExtractor,
    frechet_distance,
    frechet_distance_from_stats,
    kernel_inception_distance,
)

NOISE = (0.0, 0.25, 0.5, 1.0)


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).uniform(-1, 1, (300, 8, 8, 3)).astype(np.float32)


def _noisy(images, sigma, seed=1):
    return images + sigma * np.random.default_rng(seed).standard_normal(images.shape)


def test_closed_form_diagonal_gaussians():
    # FID = |mu1 - mu2|^2 + sum (sqrt(s1) - sqrt(s2))^2 for diagonal covariances.
    mu1, mu2 = np.zeros(4), np.array([1.0, 0.0, 0.0, 2.0])
    s1, s2 = np.array([1.0, 2.0, 3.0, 4.0]), np.array([4.0, 1.0, 1.0, 9.0])
    expected = 5.0 + np.sum((np.sqrt(s1) - np.sqrt(s2)) ** 2)
    got = frechet_distance_from_stats(mu1, np.diag(s1), mu2, np.diag(s2), eps=0.0)
    assert got == pytest.approx(expected, rel=1e-10)


def test_closed_form_full_covariance_commuting():
    # Same rotation for both: tr sqrt(A B) = sum sqrt(eig_a * eig_b).
    q, _ = np.linalg.qr(np.random.default_rng(3).standard_normal((5, 5)))
    ea, eb = np.array([1.0, 2.0, 0.5, 3.0, 0.0]), np.array([2.0, 2.0, 1.0, 0.1, 0.0])
    a, b = q @ np.diag(ea) @ q.T, q @ np.diag(eb) @ q.T
    expected = np.sum(ea) + np.sum(eb) - 2 * np.sum(np.sqrt(ea * eb))
    got = frechet_distance_from_stats(np.zeros(5), a, np.zeros(5), b, eps=0.0)
    assert got == pytest.approx(expected, rel=1e-8)


def test_sampled_gaussians_match_closed_form():
    rng = np.random.default_rng(1)
    s1, s2 = np.array([1.0, 2.0, 3.0]), np.array([4.0, 1.0, 1.0])
    x = rng.standard_normal((40000, 3)) * np.sqrt(s1)
    y = rng.standard_normal((40000, 3)) * np.sqrt(s2) + np.array([1.0, 0.0, 0.0])
    expected = 1.0 + np.sum((np.sqrt(s1) - np.sqrt(s2)) ** 2)
    assert frechet_distance(x, y) == pytest.approx(expected, rel=0.03)


def test_fid_rank_deficient_is_finite_and_zero_on_self():
    feats = np.random.default_rng(2).standard_normal((10, 50))  # N < D: singular covariance
    assert frechet_distance(feats, feats) == pytest.approx(0.0, abs=1e-6)
    assert np.isfinite(frechet_distance(feats, feats + 1.0))


def test_fid_self_zero_and_monotonic_in_noise(images):
    extract = PixelExtractor()
    real = extract(images)
    fids = [frechet_distance(real, extract(_noisy(images, s))) for s in NOISE]
    assert fids[0] == pytest.approx(0.0, abs=1e-6)
    assert all(a < b for a, b in itertools.pairwise(fids)), fids


def _random_relu_features(images, dim=64, seed=0):
    """A fixed random ReLU layer: a cheap nonlinear stand-in for Inception."""
    x = images.reshape(len(images), -1)
    w = np.random.default_rng(seed).standard_normal((x.shape[1], dim)) / np.sqrt(x.shape[1])
    return np.maximum(x @ w, 0.0)


def test_kid_self_near_zero_and_monotonic_in_noise(images):
    real, other = images[:150], images[150:]  # two independent draws of one distribution
    kids = [
        kernel_inception_distance(
            _random_relu_features(real), _random_relu_features(_noisy(other, s)), 20, 100
        )
        for s in (0.0, 0.5, 1.0, 2.0)  # KID's subset noise hides σ = 0.25 at this size
    ]
    means = [m for m, _ in kids]
    assert abs(means[0]) < 0.05 * means[-1]
    assert all(a < b for a, b in itertools.pairwise(means)), means
    assert all(std >= 0 for _, std in kids)
    # The very same set: unbiased estimator, overlapping subsets → ≈ 0 (slightly negative).
    self_kid, _ = kernel_inception_distance(
        _random_relu_features(real), _random_relu_features(real)
    )
    assert abs(self_kid) < 0.05 * means[-1]


def test_kid_independent_samples_unbiased():
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((400, 16)), rng.standard_normal((400, 16))
    mean, _std = kernel_inception_distance(a, b, num_subsets=20, subset_size=1000)
    shifted, _ = kernel_inception_distance(a, b + 0.5, num_subsets=20, subset_size=1000)
    assert abs(mean) < 0.1 * shifted


def test_kid_subset_size_clipped_to_smaller_set():
    rng = np.random.default_rng(5)
    mean, std = kernel_inception_distance(rng.random((30, 4)), rng.random((12, 4)), 5, 1000)
    assert np.isfinite(mean) and np.isfinite(std)
