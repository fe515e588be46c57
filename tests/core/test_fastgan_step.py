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
