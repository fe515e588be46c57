"""Latent sampling: untruncated noise is unchanged, the truncation trick stays inside ±T."""

import math

import numpy as np
import pytest

from gans.core.errors import ConfigError
from gans.core.model.latent import MIN_TRUNCATION, check_truncation, standard_normal


def test_no_truncation_is_exactly_the_generators_standard_normal():
    expected = np.random.default_rng(5).standard_normal((7, 3))
    np.testing.assert_array_equal(standard_normal(np.random.default_rng(5), (7, 3)), expected)


def test_truncation_redraws_only_the_values_outside_the_threshold():
    first = np.random.default_rng(1).standard_normal((400, 16))
    noise = standard_normal(np.random.default_rng(1), (400, 16), truncation=0.5)
    assert noise.shape == (400, 16) and np.abs(noise).max() <= 0.5
    inside = np.abs(first) <= 0.5
    np.testing.assert_array_equal(noise[inside], first[inside])  # kept from the first draw
    assert not np.allclose(noise[~inside], first[~inside])
    again = standard_normal(np.random.default_rng(1), (400, 16), truncation=0.5)
    np.testing.assert_array_equal(noise, again)  # a function of seed and threshold


def test_truncated_noise_has_the_truncated_normals_spread():
    """Var of N(0, 1) truncated at ±1: 1 - 2·φ(1) / (2·Φ(1) - 1) ≈ 0.2911."""
    noise = standard_normal(np.random.default_rng(0), (200_000,), truncation=1.0)
    phi = math.exp(-0.5) / math.sqrt(2 * math.pi)
    cdf_width = math.erf(1 / math.sqrt(2))  # 2·Φ(1) - 1
    assert abs(noise.mean()) < 0.01
    assert noise.var() == pytest.approx(1 - 2 * phi / cdf_width, rel=0.02)


@pytest.mark.parametrize("bad", [0.0, -1.0, MIN_TRUNCATION / 2, float("nan")])
def test_bad_threshold_is_a_config_error_naming_the_flag(bad):
    with pytest.raises(ConfigError, match=r"--truncation=.*>= 0.04"):
        check_truncation(bad)
    with pytest.raises(ConfigError, match="--truncation"):
        standard_normal(np.random.default_rng(0), (2, 2), truncation=bad)
    check_truncation(None)
    check_truncation(MIN_TRUNCATION)
