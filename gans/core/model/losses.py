"""GAN losses over discriminator logits, TF-GAN naming, one uniform signature.

Every function takes logits (and, for the discriminator, label targets) and returns a
*per-example* loss of shape ``[batch]``. The caller reduces it over the global batch with
``tf.nn.compute_average_loss`` so that gradients summed across replicas are correct.

``LOSSES`` maps the ``--loss`` flag value to a ``LossPair``.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable

import tensorflow as tf

from gans.core.errors import ConfigError

PerExample = tf.Tensor


def _flat(logits: tf.Tensor) -> tf.Tensor:
    """Logits as float32 ``[batch]`` (losses stay in float32 under mixed precision)."""
    logits = tf.cast(logits, tf.float32)
    return tf.reshape(logits, [tf.shape(logits)[0], -1])[:, 0]


def _with_targets(real_logits, fake_logits, real_targets, fake_targets):
    """Flattened logits and targets, defaulting to 1 for reals and 0 for fakes."""
    real_logits, fake_logits = _flat(real_logits), _flat(fake_logits)
    if real_targets is None:
        real_targets = tf.ones_like(real_logits)
    if fake_targets is None:
        fake_targets = tf.zeros_like(fake_logits)
    return real_logits, fake_logits, real_targets, fake_targets


def _discriminator_loss(body: Callable[..., PerExample]) -> Callable[..., PerExample]:
    """The uniform discriminator signature ``(real_logits, fake_logits, real_targets=None,
    fake_targets=None)`` around ``body(real, fake, real_targets, fake_targets)``, which gets
    float32 ``[batch]`` logits and the targets (1 for reals, 0 for fakes by default)."""

    @functools.wraps(body)
    def loss(
        real_logits: tf.Tensor,
        fake_logits: tf.Tensor,
        real_targets: tf.Tensor | None = None,
        fake_targets: tf.Tensor | None = None,
    ) -> PerExample:
        return body(*_with_targets(real_logits, fake_logits, real_targets, fake_targets))

    return loss


def modified_generator_loss(fake_logits: tf.Tensor) -> PerExample:
    """Non-saturating generator loss, ``-log D(G(z))`` (Goodfellow et al. 2014, §3)."""
    fake_logits = _flat(fake_logits)
    return tf.nn.sigmoid_cross_entropy_with_logits(
        labels=tf.ones_like(fake_logits), logits=fake_logits
    )


@_discriminator_loss
def modified_discriminator_loss(real, fake, real_targets, fake_targets) -> PerExample:
    """Binary cross-entropy ``-t_r log D(x) - (1 - t_f) log(1 - D(G(z)))``.

    Targets default to 1 for reals and 0 for fakes; a label policy passes smoothed or
    flipped targets (Salimans et al. 2016, §3.4).
    """
    return tf.nn.sigmoid_cross_entropy_with_logits(
        labels=real_targets, logits=real
    ) + tf.nn.sigmoid_cross_entropy_with_logits(labels=fake_targets, logits=fake)


def wasserstein_generator_loss(fake_logits: tf.Tensor) -> PerExample:
    """WGAN generator loss ``-D(G(z))`` (Arjovsky et al. 2017)."""
    return -_flat(fake_logits)


@_discriminator_loss
def wasserstein_discriminator_loss(real, fake, real_targets, fake_targets) -> PerExample:
    """WGAN critic loss ``D(G(z)) - D(x)``; label targets do not apply and are ignored."""
    del real_targets, fake_targets
    return fake - real


def hinge_generator_loss(fake_logits: tf.Tensor) -> PerExample:
    """Hinge generator loss ``-D(G(z))`` (Lim & Ye 2017; Miyato et al. 2018)."""
    return -_flat(fake_logits)


@_discriminator_loss
def hinge_discriminator_loss(real, fake, real_targets, fake_targets) -> PerExample:
    """Hinge loss ``relu(1 - D(x)) + relu(1 + D(G(z)))``; targets are ignored."""
    del real_targets, fake_targets
    return tf.nn.relu(1.0 - real) + tf.nn.relu(1.0 + fake)


def least_squares_generator_loss(fake_logits: tf.Tensor) -> PerExample:
    """LSGAN generator loss ``½ (D(G(z)) - 1)²`` (Mao et al. 2017)."""
    return 0.5 * tf.square(_flat(fake_logits) - 1.0)


@_discriminator_loss
def least_squares_discriminator_loss(real, fake, real_targets, fake_targets) -> PerExample:
    """LSGAN discriminator loss ``½ (D(x) - t_r)² + ½ (D(G(z)) - t_f)²``, t_r=1, t_f=0."""
    return 0.5 * tf.square(real - real_targets) + 0.5 * tf.square(fake - fake_targets)


@dataclasses.dataclass(frozen=True)
class LossPair:
    """A generator/discriminator loss pair and how it is meant to be trained.

    ``uses_labels``: whether label smoothing / flipping changes the discriminator loss.
    ``default_optimizer``, ``default_lr``, ``default_d_steps``, ``default_clip``: the
    settings its paper trains with, used when the user does not set them.
    """

    generator: Callable[[tf.Tensor], PerExample]
    discriminator: Callable[..., PerExample]
    uses_labels: bool
    default_optimizer: str = "adam"
    default_lr: float = 2e-4
    default_d_steps: int = 1
    default_clip: float = 0.0
    default_gp_weight: float = 0.0


LOSSES: dict[str, LossPair] = {
    # The original projects' "vanilla" GAN, non-saturating form; DCGAN's Adam 2e-4 / 0.5.
    "gan": LossPair(modified_generator_loss, modified_discriminator_loss, uses_labels=True),
    # Arjovsky et al. 2017, Algorithm 1: RMSProp 5e-5, clip 0.01, 5 critic steps.
    "wgan": LossPair(
        wasserstein_generator_loss,
        wasserstein_discriminator_loss,
        uses_labels=False,
        default_optimizer="rmsprop",
        default_lr=5e-5,
        default_d_steps=5,
        default_clip=0.01,
    ),
    # Gulrajani et al. 2017, Algorithm 1: Adam 1e-4 (beta1 0 / 0.9), λ = 10, 5 critic steps.
    "wgan_gp": LossPair(
        wasserstein_generator_loss,
        wasserstein_discriminator_loss,
        uses_labels=False,
        default_lr=1e-4,
        default_d_steps=5,
        default_gp_weight=10.0,
    ),
    "hinge": LossPair(hinge_generator_loss, hinge_discriminator_loss, uses_labels=False),
    "lsgan": LossPair(
        least_squares_generator_loss, least_squares_discriminator_loss, uses_labels=True
    ),
}


def get_loss(name: str) -> LossPair:
    """The ``LossPair`` for a ``--loss`` value; a one-line ``ValueError`` otherwise."""
    try:
        return LOSSES[name]
    except KeyError:
        raise ConfigError(f"unknown loss {name!r}; choose one of {sorted(LOSSES)}") from None
