"""Discriminator regularizers, each a per-example term with its own weight.

Kept apart from the losses so that any loss can be combined with any penalty.
"""

from __future__ import annotations

from collections.abc import Callable

import tensorflow as tf


def _per_example_grad_norm_sq(grads: tf.Tensor) -> tf.Tensor:
    grads = tf.cast(grads, tf.float32)
    return tf.reduce_sum(tf.square(tf.reshape(grads, [tf.shape(grads)[0], -1])), axis=1)


def gradient_penalty(
    discriminator: Callable[[tf.Tensor], tf.Tensor],
    real_images: tf.Tensor,
    fake_images: tf.Tensor,
    epsilon: tf.Tensor,
) -> tf.Tensor:
    """WGAN-GP ``(‖∇_x̂ D(x̂)‖₂ - 1)²`` at ``x̂ = ε x + (1 - ε) G(z)`` (Gulrajani et al. 2017).

    ``epsilon`` is one uniform draw per sample, shape ``[batch]``. Returns ``[batch]``.
    """
    eps = tf.reshape(tf.cast(epsilon, real_images.dtype), [-1, 1, 1, 1])
    interpolated = eps * real_images + (1.0 - eps) * fake_images
    with tf.GradientTape() as tape:
        tape.watch(interpolated)
        logits = discriminator(interpolated)
    grads = tape.gradient(logits, interpolated)
    norm = tf.sqrt(_per_example_grad_norm_sq(grads) + 1e-12)
    return tf.square(norm - 1.0)


def r1_penalty(
    discriminator: Callable[[tf.Tensor], tf.Tensor], real_images: tf.Tensor
) -> tf.Tensor:
    """R1 ``½ ‖∇_x D(x)‖²`` on real images (Mescheder et al. 2018). Returns ``[batch]``."""
    with tf.GradientTape() as tape:
        tape.watch(real_images)
        logits = discriminator(real_images)
    grads = tape.gradient(logits, real_images)
    return 0.5 * _per_example_grad_norm_sq(grads)
