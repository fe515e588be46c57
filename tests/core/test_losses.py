"""Each loss on hand-computed values (one parameterized body for all)."""

import math

import numpy as np
import pytest
import tensorflow as tf

from gans.core.model import losses

REAL = np.array([2.0, -1.0], np.float32)
FAKE = np.array([0.5, -3.0], np.float32)


def softplus(x: float) -> float:
    return math.log1p(math.exp(x))


# -log(sigmoid(x)) = softplus(-x); -log(1 - sigmoid(x)) = softplus(x)
CASES = {
    "gan": (
        [softplus(-0.5), softplus(3.0)],
        [softplus(-2.0) + softplus(0.5), softplus(1.0) + softplus(-3.0)],
    ),
    "wgan": ([-0.5, 3.0], [0.5 - 2.0, -3.0 + 1.0]),
    "wgan_gp": ([-0.5, 3.0], [0.5 - 2.0, -3.0 + 1.0]),
    "hinge": ([-0.5, 3.0], [max(0, 1 - 2.0) + max(0, 1 + 0.5), max(0, 1 + 1.0) + max(0, 1 - 3.0)]),
    "lsgan": (
        [0.5 * (0.5 - 1) ** 2, 0.5 * (-3.0 - 1) ** 2],
        [0.5 * (2.0 - 1) ** 2 + 0.5 * 0.5**2, 0.5 * (-1.0 - 1) ** 2 + 0.5 * 9.0],
    ),
}


@pytest.mark.parametrize("name", sorted(losses.LOSSES))
def test_loss_values(name):
    pair = losses.get_loss(name)
    g_expected, d_expected = CASES[name]
    np.testing.assert_allclose(pair.generator(tf.constant(FAKE[:, None])), g_expected, rtol=1e-5)
    np.testing.assert_allclose(
        pair.discriminator(tf.constant(REAL[:, None]), tf.constant(FAKE[:, None])),
        d_expected,
        rtol=1e-5,
    )


def test_smoothed_targets_change_bce():
    real, fake = tf.constant([[0.0]]), tf.constant([[0.0]])
    loss = losses.modified_discriminator_loss(real, fake, tf.constant([0.9]), tf.constant([0.0]))
    # At logit 0, BCE = log 2 for any target.
    np.testing.assert_allclose(loss, [2 * math.log(2)], rtol=1e-6)
    loss = losses.modified_discriminator_loss(
        tf.constant([[3.0]]), fake, tf.constant([0.9]), tf.constant([0.0])
    )
    expected = 0.9 * softplus(-3.0) + 0.1 * softplus(3.0) + math.log(2)
    np.testing.assert_allclose(loss, [expected], rtol=1e-5)


def test_unknown_loss_is_one_line():
    with pytest.raises(ValueError, match="unknown loss 'nope'") as err:
        losses.get_loss("nope")
    assert "\n" not in str(err.value)
