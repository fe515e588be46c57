"""DCGAN generator upsampling: transposed convs (default) or nearest resize + conv."""

from __future__ import annotations

import pytest
import tensorflow as tf
from keras import layers

from gans.core.model.networks import NetworkOptions, dcgan_generator

NOISE = 8


def _layer_types(model) -> list[str]:
    return [type(layer).__name__ for layer in model.layers]


@pytest.mark.parametrize("size", [28, 32, 64])
def test_nearest_shapes_and_no_transposed_convs(size):
    g = dcgan_generator(size, 3, NOISE, NetworkOptions(width=4, upsample="nearest"))
    x = g(tf.random.normal([2, NOISE]), training=False)
    assert x.shape == (2, size, size, 3) and x.dtype == tf.float32
    assert not any(isinstance(layer, layers.Conv2DTranspose) for layer in g.layers)
    ups = [layer for layer in g.layers if isinstance(layer, layers.UpSampling2D)]
    assert ups and all(layer.interpolation == "nearest" for layer in ups)
    convs = [layer for layer in g.layers if type(layer) is layers.Conv2D]
    assert len(convs) == len(ups) and all(c.kernel_size == (3, 3) for c in convs)


def test_transposed_path_unchanged():
    g = dcgan_generator(32, 3, NOISE, NetworkOptions(width=4))
    assert _layer_types(g) == [
        "InputLayer",
        "Dense",
        "BatchNormalization",
        "ReLU",
        "Reshape",
        "Conv2DTranspose",
        "BatchNormalization",
        "ReLU",
        "Conv2DTranspose",
        "BatchNormalization",
        "ReLU",
        "Conv2DTranspose",
        "Activation",
    ]
    for layer in g.layers:
        if isinstance(layer, layers.Conv2DTranspose):
            assert layer.kernel_size == (4, 4) and layer.strides == (2, 2)
    assert [layer.use_bias for layer in g.layers if "Conv" in type(layer).__name__] == [
        False,
        False,
        True,
    ]
    assert g.count_params() == 8 * 4 * 4 * 16 + 4 * 16 * 16 + (
        4 * 4 * 16 * 8 + 4 * 8 + 4 * 4 * 8 * 4 + 4 * 4 + 4 * 4 * 4 * 3 + 3
    )


def test_unknown_upsample_raises_one_line():
    with pytest.raises(ValueError, match="unknown upsample 'bilinear'") as err:
        dcgan_generator(32, 3, NOISE, NetworkOptions(upsample="bilinear"))
    assert "\n" not in str(err.value)
