"""The FastGAN step: D's reconstruction loss trains the decoders, on 2 logical devices."""

import functools

import keras
import numpy as np
import pytest
import tensorflow as tf

from gans.core.model.augment import diff_augment
from gans.core.model.gan import GAN
from gans.core.model.networks import NetworkOptions, build_networks
from gans.core.run.distribute import get_strategy

SIZE, NOISE, BATCH = 32, 8, 4


def batches(count: int = 2):
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (count * BATCH, SIZE, SIZE, 3)).astype(np.float32)
    noise = rng.standard_normal((count * BATCH, NOISE)).astype(np.float32)
    return tf.data.Dataset.from_tensor_slices((images, noise)).batch(BATCH, drop_remainder=True)


@pytest.mark.slow
def test_fastgan_trains_under_mirrored_strategy_with_reconstruction():
    strategy = get_strategy("mirrored")
    assert strategy.num_replicas_in_sync == 2
    with strategy.scope():
        keras.utils.set_random_seed(0)
        g, d = build_networks("fastgan", SIZE, 3, NOISE, NetworkOptions(width=4))
        gan = GAN(
            g,
            d,
            noise_dim=NOISE,
            loss="hinge",
            recon_weight=1.0,
            augment=functools.partial(diff_augment, policy="color,translation,cutout"),
            ema_decay=0.99,
        )
        gan.compile(
            g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
            d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
        )
    before = [w.copy() for w in d.decoder_whole.get_weights()]
    history = gan.fit(batches(1), epochs=1, verbose=0, shuffle=False)
    recon = history.history["d_recon"][-1]
    assert np.isfinite(recon) and recon > 0
    moved = max(
        np.abs(a - b).max() for a, b in zip(before, d.decoder_whole.get_weights(), strict=True)
    )
    assert moved > 0, "the D optimizer must train the decoders"
    assert np.isfinite(history.history["g_loss"][-1])
    assert gan.generate(tf.zeros([2, NOISE])).shape == (2, SIZE, SIZE, 3)


def test_recon_weight_needs_a_discriminator_with_decoders():
    g, d = build_networks("dcgan", SIZE, 3, NOISE, NetworkOptions(width=4))
    with pytest.raises(ValueError, match="--recon_weight needs a discriminator with decoders"):
        GAN(g, d, noise_dim=NOISE, recon_weight=1.0)


@pytest.mark.slow  # tracing FastGAN on 2 logical CPU devices takes 40-85 s here (1 device: 13)
def test_conditional_fastgan_reconstructs_under_mirrored_strategy():
    """Projection head on the FastGAN trunk: labels change D's logits, the decoders still
    train from D's loss on reals, checkpoints hold them, on 2 logical devices."""
    strategy = get_strategy("mirrored")  # the process's shared instance
    classes = 3
    with strategy.scope():
        keras.utils.set_random_seed(1)
        g, d = build_networks("fastgan", SIZE, 3, NOISE, NetworkOptions(width=4), classes)
        assert hasattr(d, "reconstruct") and d.name.startswith("projection_")
        gan = GAN(g, d, noise_dim=NOISE, loss="hinge", recon_weight=1.0, num_classes=classes)
        gan.compile(
            g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
            d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
        )
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (2 * BATCH, SIZE, SIZE, 3)).astype(np.float32)
    noise = rng.standard_normal((2 * BATCH, NOISE)).astype(np.float32)
    labels = (np.arange(2 * BATCH) % classes).astype(np.int32)
    data = tf.data.Dataset.from_tensor_slices((images, noise, labels)).batch(BATCH)
    before = [w.copy() for w in d.decoder_part.get_weights()]
    history = gan.fit(data, epochs=1, verbose=0, shuffle=False)
    assert np.isfinite(history.history["d_recon"][-1]) and history.history["d_recon"][-1] > 0
    moved = max(
        np.abs(a - b).max() for a, b in zip(before, d.decoder_part.get_weights(), strict=True)
    )
    assert moved > 0, "the D optimizer must train the decoders of the conditional D"
    x = tf.constant(images[:2])
    logit_0 = d([x, tf.constant([0, 0])], training=False)
    logit_1 = d([x, tf.constant([1, 1])], training=False)
    assert logit_0.shape == (2, 1) and not np.allclose(logit_0, logit_1)
    # Tracked by identity: Keras 3 variable paths do not name the sub-model that holds them.
    tracked = {id(v) for v in d.trainable_variables}
    for part in (d.decoder_whole, d.decoder_part, d.embedding):
        assert part.trainable_variables
        assert all(id(v) in tracked for v in part.trainable_variables), part.name
    assert gan.generate(tf.zeros([3, NOISE])).shape == (3, SIZE, SIZE, 3)
