"""Sliced Wasserstein distance over Laplacian-pyramid patches."""

import numpy as np
import pytest

from gans.core.metrics import laplacian_pyramid, sliced_wasserstein_distance
from gans.core.metrics.swd import SWDSettings, pyramid_resolutions


def _images(n, size, channels, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, size, size, channels)).astype(np.float32)


def test_swd_self_is_zero_and_grows_with_noise():
    imgs = _images(64, 32, 3)
    rng = np.random.default_rng(1)
    results = [
        sliced_wasserstein_distance(
            imgs, np.clip(imgs + s * rng.standard_normal(imgs.shape), -1, 1)
        )
        for s in (0.0, 0.2, 0.6)
    ]
    assert results[0].resolutions == (32, 16)
    assert results[0].mean == 0.0
    means = [r.mean for r in results]
    assert means[0] < means[1] < means[2], means


def test_swd_separates_smooth_from_noise():
    rng = np.random.default_rng(2)
    smooth = np.tanh(np.cumsum(rng.standard_normal((32, 28, 28, 1)), axis=1) * 0.3)
    noise = _images(32, 28, 1, seed=3)
    other_smooth = np.tanh(np.cumsum(rng.standard_normal((32, 28, 28, 1)), axis=1) * 0.3)
    near = sliced_wasserstein_distance(smooth, other_smooth).mean
    far = sliced_wasserstein_distance(smooth, noise).mean
    assert near < far


@pytest.mark.parametrize(("size", "levels"), [(28, 1), (32, 2), (64, 3), (256, 5)])
def test_swd_sizes(size, levels):
    res = sliced_wasserstein_distance(
        _images(4, size, 4),
        _images(3, size, 4, seed=1),
        SWDSettings(patches_per_image=16, dir_repeats=1),
    )
    assert len(res.levels) == levels == len(res.resolutions)
    assert res.resolutions[0] == size
    d = res.as_dict()
    assert set(d) == {f"swd_{r}" for r in res.resolutions} | {"swd_mean"}
    assert all(np.isfinite(v) and v > 0 for v in d.values())


def test_laplacian_pyramid_reconstructs():
    from gans.core.metrics.swd import _upscale

    imgs = _images(2, 28, 3)
    pyr = laplacian_pyramid(imgs, 3)
    assert [p.shape[1] for p in pyr] == [28, 14, 7]
    rec = pyr[-1]
    for band in reversed(pyr[:-1]):
        rec = band + _upscale(rec, band.shape[1:3])
    np.testing.assert_allclose(rec, imgs, atol=1e-5)
    assert pyramid_resolutions(64) == [64, 32, 16]
