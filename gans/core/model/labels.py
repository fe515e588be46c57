"""Label policy: turns a batch into the discriminator's real/fake targets.

Covers the original projects' tricks: one-sided label smoothing with a constant
(Salimans et al. 2016, §3.4: real = 0.9), smoothing by a uniform range for real and/or fake
labels (e.g. real ~ U(0.7, 1.2), fake ~ U(0, 0.3), as in the "GAN hacks" list), and noisy
labels: with probability ``flip_prob`` a sample's real and fake targets are swapped.
"""

from __future__ import annotations

import dataclasses

import tensorflow as tf


@dataclasses.dataclass(frozen=True)
class LabelPolicy:
    """Targets for the discriminator step.

    Attributes:
      real_range: (low, high) of the real target; equal ends mean a constant
        (``(0.9, 0.9)`` is one-sided smoothing at 0.9; ``(1, 1)`` none).
      fake_range: (low, high) of the fake target; ``(0, 0)`` by default.
      flip_prob: probability that a sample's real and fake targets are swapped.
    """

    real_range: tuple[float, float] = (1.0, 1.0)
    fake_range: tuple[float, float] = (0.0, 0.0)
    flip_prob: float = 0.0

    @classmethod
    def one_sided(cls, smoothing: float) -> LabelPolicy:
        """Real target ``1 - smoothing``, fake target 0."""
        return cls(real_range=(1.0 - smoothing, 1.0 - smoothing))

    def targets(
        self, batch_size: tf.Tensor, rng: tf.random.Generator
    ) -> tuple[tf.Tensor, tf.Tensor]:
        """``(real_targets, fake_targets)``, each float32 ``[batch_size]``."""
        shape = tf.reshape(batch_size, [1])
        real = self._draw(self.real_range, shape, rng)
        fake = self._draw(self.fake_range, shape, rng)
        if self.flip_prob > 0.0:
            flip = rng.uniform(shape) < self.flip_prob
            real, fake = tf.where(flip, fake, real), tf.where(flip, real, fake)
        return real, fake

    @staticmethod
    def _draw(bounds: tuple[float, float], shape: tf.Tensor, rng: tf.random.Generator) -> tf.Tensor:
        low, high = bounds
        if low == high:
            return tf.fill(shape, tf.constant(low, tf.float32))
        return rng.uniform(shape, minval=low, maxval=high, dtype=tf.float32)
