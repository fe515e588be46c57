"""Memorization report and the closest-pairs PNG."""

import numpy as np
import pytest
from PIL import Image

from gans.core.metrics import (
    PixelExtractor,
    memorization_report,
    nearest_neighbors,
    save_closest_pairs,
)


@pytest.fixture(scope="module")
def train():
    rng = np.random.default_rng(0)
    return np.tanh(rng.standard_normal((120, 16, 16, 3))).astype(np.float32)


def test_copying_generator_is_flagged(train):
    copies = train[np.random.default_rng(1).choice(len(train), 40)]
    report = memorization_report(copies, train, k=2)
    assert report.pixel.ratio.max() < 1e-3
    assert report.summary()["pixel_fraction_flagged"] == 1.0
    assert report.pixel.nearest_index.shape == (40, 2)


def test_fresh_generator_is_not_flagged(train):
    fresh = np.tanh(np.random.default_rng(2).standard_normal((40, 16, 16, 3)))
    report = memorization_report(fresh, train, feature_fn=PixelExtractor(input_size=8))
    summary = report.summary()
    assert summary["pixel_fraction_flagged"] == 0.0
    assert summary["feature_fraction_flagged"] == 0.0
    assert 0.7 < summary["pixel_ratio_median"] < 1.5


def test_nearest_neighbors_exact_and_exclude_self():
    refs = np.arange(10, dtype=np.float32)[:, None] * np.ones((1, 4), np.float32)
    idx, dist = nearest_neighbors(refs[[3, 7]] + 0.1, refs, k=2)
    assert idx[:, 0].tolist() == [3, 7]
    np.testing.assert_allclose(dist[:, 0], 0.2, rtol=1e-5)
    idx, dist = nearest_neighbors(refs[:3], refs, k=1, exclude_self=True)
    assert idx[:, 0].tolist() == [1, 0, 1]
    np.testing.assert_allclose(dist[:, 0], 2.0)


def test_save_closest_pairs_png(train, tmp_path):
    gen = np.concatenate(
        [train[:3], np.tanh(np.random.default_rng(3).standard_normal((5, 16, 16, 3)))]
    )
    report = memorization_report(gen, train)
    path = save_closest_pairs(report, tmp_path / "pairs" / "closest.png", num_pairs=6)
    with Image.open(path) as img:
        assert img.mode == "RGB"
        assert img.width > 4 * 64 and img.height > 64


def test_grayscale_and_rgba_inputs(train):
    gray = train[..., :1]
    report = memorization_report(gray[:5], gray)
    assert report.pixel.ratio.max() < 1e-3
    rgba = np.concatenate([train, np.ones_like(train[..., :1])], axis=-1)
    assert memorization_report(rgba[:5], train).pixel.ratio.max() < 1e-3
