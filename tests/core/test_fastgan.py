"""Tests for gans.core.model.fastgan (FastGAN, Liu et al., ICLR 2021)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from gans.core.model import fastgan
from gans.core.model.fastgan import (
    FastGANDiscriminator,
    NoiseInjection,
    SkipLayerExcitation,
    fastgan_discriminator,
    fastgan_generator,
    reconstruction_loss,
)
from gans.core.model.networks import NETWORKS, NetworkOptions, build_networks
from gans.core.run.distribute import get_strategy

TINY = NetworkOptions(width=4, max_filters=16)
NOISE = 8


def _images(n: int, size: int, channels: int = 3, seed: int = 0) -> tf.Tensor:
    rng = np.random.default_rng(seed)
    return tf.constant(rng.uniform(-1, 1, (n, size, size, channels)), tf.float32)


@pytest.mark.parametrize(
    "size,channels", [(s, c) for s in (32, 64, 128) for c in (1, 3, 4)] + [(256, 3)]
)
def test_shapes_per_size_and_channels(size, channels):
    g, d = build_networks("fastgan", size, channels, NOISE, TINY)
    x = g(tf.random.normal([2, NOISE]), training=False)
    assert x.shape == (2, size, size, channels) and x.dtype == tf.float32
    assert float(tf.reduce_max(tf.abs(x))) <= 1.0
    logits = d(x, training=False)
    assert logits.shape == (2, 1) and logits.dtype == tf.float32
    assert isinstance(d, FastGANDiscriminator)
    assert d.get_layer("features") is not None and d.get_layer("logit") is not None


def test_sle_pairs_and_decoder_sizes():
    assert fastgan.g_sle_pairs(32) == [(4, 32)]
    assert fastgan.g_sle_pairs(64) == [(4, 64)]
    assert fastgan.g_sle_pairs(256) == [(4, 64), (8, 128), (16, 256)]
    assert fastgan.d_sle_pairs(32) == []
    assert fastgan.d_sle_pairs(256) == [(64, 8), (128, 16), (256, 32)]
    assert [fastgan.decoder_sizes(s) for s in (32, 64, 128, 256)] == [
        (32, 16),
        (64, 32),
        (128, 64),
        (128, 128),
    ]


@pytest.mark.parametrize("size", [28, 48, 512])
def test_unsupported_size_raises_one_line(size):
    with pytest.raises(ValueError, match="power-of-two") as err:
        fastgan_generator(size, 3, NOISE, TINY)
    assert "\n" not in str(err.value)
    with pytest.raises(ValueError, match="power-of-two"):
        fastgan_discriminator(size, 3, TINY)


def test_sle_gate_matches_hand_computation():
    """Constant weights make the gate sigmoid(a known number); y = x_high · gate."""
    low_c, high_c = 2, 3
    sle = SkipLayerExcitation(high_c)
    low = tf.fill([1, 8, 8, low_c], 0.5)  # pooled to 4×4 of 0.5
    high = _images(1, 16, high_c)
    sle([low, high])
    sle.conv4.kernel.assign(np.full((4, 4, low_c, high_c), 0.01, np.float32))
    # conv4: 16 · 2 · 0.5 · 0.01 = 0.16 > 0 (LeakyReLU passes it) ; conv1: per-channel scale
    scales = np.array([1.0, -2.0, 5.0], np.float32)
    sle.conv1.kernel.assign(np.diag(scales)[np.newaxis, np.newaxis])
    y = sle([low, high]).numpy()
    gate = 1.0 / (1.0 + np.exp(-0.16 * scales))
    np.testing.assert_allclose(y, high.numpy() * gate, rtol=1e-5, atol=1e-6)
    # a negative pre-activation goes through LeakyReLU(0.1)
    y_neg = sle([-low, high]).numpy()
    gate_neg = 1.0 / (1.0 + np.exp(0.016 * scales))
    np.testing.assert_allclose(y_neg, high.numpy() * gate_neg, rtol=1e-5, atol=1e-6)


def test_reconstruction_loss_zero_iff_equal():
    target = _images(3, 32)
    np.testing.assert_array_equal(reconstruction_loss(target, target).numpy(), np.zeros(3))
    other = target + tf.constant([0.0, 0.1, 0.5])[:, None, None, None]
    loss = reconstruction_loss(other, target).numpy()
    assert loss.shape == (3,) and loss.dtype == np.float32
    assert loss[0] == 0.0 and 0 < loss[1] < loss[2]
    np.testing.assert_allclose(loss[1], 0.01, rtol=1e-5)  # a constant shift at every scale


def test_quadrant_selection():
    x = tf.reshape(tf.range(2 * 4 * 4, dtype=tf.float32), [2, 4, 4, 1])
    q = fastgan._quadrant(x, tf.constant([1, 2])).numpy()[..., 0]
    np.testing.assert_array_equal(q[0], x.numpy()[0, :2, 2:, 0])
    np.testing.assert_array_equal(q[1], x.numpy()[1, 2:, :2, 0])


@pytest.mark.parametrize("size", [32, 64])
def test_reconstruct_matches_call_and_is_per_example(size):
    d = fastgan_discriminator(size, 3, TINY)
    x = _images(4, size)
    quads = tf.constant([0, 1, 2, 3], tf.int32)
    logits, loss = d.reconstruct(x, quads, training=False)
    assert logits.shape == (4, 1) and logits.dtype == tf.float32
    assert loss.shape == (4,) and loss.dtype == tf.float32
    assert np.all(loss.numpy() > 0)
    np.testing.assert_allclose(logits.numpy(), d(x, training=False).numpy(), rtol=1e-5, atol=1e-6)
    logits_t, loss_t = d.reconstruct(x, quads)  # training mode (batch statistics)
    assert logits_t.shape == (4, 1) and loss_t.shape == (4,)


def test_decoders_are_trained_by_the_reconstruction_loss():
    d = fastgan_discriminator(32, 3, TINY)
    names = {v.path for v in d.trainable_variables}
    for decoder in (d.decoder_whole, d.decoder_part):
        assert decoder.trainable_variables
        assert {v.path for v in decoder.trainable_variables} <= names
    assert len(names) == len(d.trainable_variables)  # no duplicates
    x = _images(4, 32)
    with tf.GradientTape() as tape:
        _, loss = d.reconstruct(x, tf.constant([0, 1, 2, 3]))
        total = tf.reduce_mean(loss)
    grads = tape.gradient(total, d.trainable_variables)
    by_path = {v.path: g for v, g in zip(d.trainable_variables, grads, strict=True)}
    for decoder in (d.decoder_whole, d.decoder_part):
        kernels = [v for v in decoder.trainable_variables if "kernel" in v.path]
        for v in kernels:
            assert by_path[v.path] is not None and np.any(by_path[v.path].numpy() != 0), v.path
    # the trunk below the decoders is trained by the loss too
    trunk_grads = [by_path[v.path] for v in d.trunk.trainable_variables if "kernel" in v.path]
    assert any(g is not None and np.any(g.numpy() != 0) for g in trunk_grads)


def test_discriminator_checkpoint_round_trip(tmp_path):
    d = fastgan_discriminator(32, 3, TINY)
    x = _images(2, 32)
    for v in d.decoder_part.trainable_variables:
        v.assign(v + 0.01)
    path = tf.train.Checkpoint(d=d).save(str(tmp_path / "ckpt"))
    d2 = fastgan_discriminator(32, 3, TINY)
    tf.train.Checkpoint(d=d2).restore(path).assert_consumed()
    quads = tf.constant([2, 3])
    a, la = d.reconstruct(x, quads, training=False)
    b, lb = d2.reconstruct(x, quads, training=False)
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)
    np.testing.assert_allclose(la.numpy(), lb.numpy(), rtol=1e-6)


def test_generator_keras_round_trip(tmp_path):
    g = fastgan_generator(32, 3, NOISE, TINY)
    rng = np.random.default_rng(1)
    for v in g.variables:
        if "weight" not in v.path:  # noise weights stay 0, so outputs are deterministic
            v.assign(v + rng.normal(0, 0.01, v.shape).astype(np.float32))
    assert any(isinstance(layer, NoiseInjection) for layer in g.layers)
    path = str(tmp_path / "g.keras")
    g.save(path)
    loaded = keras.models.load_model(path)
    z = tf.random.normal([3, NOISE])
    np.testing.assert_allclose(loaded(z, training=False), g(z, training=False), rtol=1e-6)
    assert len(loaded.weights) == len(g.weights)


def test_noise_injection_is_used_when_weight_nonzero():
    layer = NoiseInjection()
    x = tf.zeros([2, 4, 4, 3])
    np.testing.assert_array_equal(layer(x).numpy(), 0.0)
    layer.weight.assign(1.0)
    y = layer(x, training=True).numpy()
    assert np.std(y) > 0.1
    np.testing.assert_array_equal(y[..., 0], y[..., 2])  # one noise image per pixel
    assert not np.array_equal(y, layer(x, training=True).numpy())  # new noise each step


def test_inference_noise_is_fixed_so_a_latent_always_gives_one_image():
    """StyleGAN2's noise_mode='const' at inference: same z → same image, whatever else is
    in the batch and in whichever process (the map is seeded by the layer's name)."""
    layer = NoiseInjection(name="noise_8px_0")
    x = tf.zeros([2, 8, 8, 3])
    layer(x)
    layer.weight.assign(1.0)
    first = layer(x, training=False).numpy()
    np.testing.assert_array_equal(first, layer(x, training=False).numpy())
    np.testing.assert_array_equal(first[0], first[1])
    again = NoiseInjection(name="noise_8px_0")
    again(x)
    again.weight.assign(1.0)
    np.testing.assert_array_equal(first, again(x).numpy())
    g = fastgan.fastgan_generator(32, 3, NOISE, NetworkOptions(width=8))
    for layer in g.layers:
        if isinstance(layer, NoiseInjection):
            layer.weight.assign(0.5)
    z = tf.random.normal([3, NOISE])
    np.testing.assert_allclose(g(z, training=False)[:1], g(z[:1], training=False), atol=1e-5)


def test_registered_in_networks():
    assert "fastgan" in NETWORKS


@pytest.mark.slow
def test_mirrored_strategy_mixed_bfloat16_reconstruction_gradient():
    """Both nets build under a 2-replica strategy and bf16; the loss has gradients."""
    assert len(tf.config.list_logical_devices("CPU")) >= 2, "tests/conftest.py makes two"
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        strategy = get_strategy("mirrored")  # the process's shared instance: no key collisions
        with strategy.scope():
            g = fastgan_generator(32, 3, NOISE, TINY)
            d = fastgan_discriminator(32, 3, TINY)
            optimizer = keras.optimizers.Adam(1e-3)
            optimizer.build(d.trainable_variables)

        @tf.function
        def step(x, quads):
            def fn(x, quads):
                with tf.GradientTape() as tape:
                    logits, loss = d.reconstruct(x, quads)
                    fake_logits = d(g(tf.random.normal([tf.shape(x)[0], NOISE])))
                    hinge = tf.nn.relu(1.0 - logits[:, 0]) + tf.nn.relu(1.0 + fake_logits[:, 0])
                    total = tf.nn.compute_average_loss(loss + hinge, global_batch_size=4)
                grads = tape.gradient(total, d.trainable_variables)
                optimizer.apply_gradients(zip(grads, d.trainable_variables, strict=True))
                return logits, fake_logits, loss, tf.linalg.global_norm(grads)

            return strategy.run(fn, args=(x, quads))

        ds = strategy.experimental_distribute_dataset(
            tf.data.Dataset.from_tensors((_images(4, 32), tf.constant([0, 1, 2, 3])))
        )
        for x, quads in ds:
            logits, fake_logits, loss, norm = step(x, quads)
        for t in strategy.experimental_local_results(logits):
            assert t.shape == (2, 1) and t.dtype == tf.float32
        for t in strategy.experimental_local_results(fake_logits):
            assert t.dtype == tf.float32
        for t in strategy.experimental_local_results(loss):
            assert t.shape == (2,) and t.dtype == tf.float32
        for t in strategy.experimental_local_results(norm):
            assert float(t) > 0
        # mirrored copies stay equal after the update
        kernel = d.decoder_whole.trainable_variables[0]
        copies = [c.numpy() for c in kernel.value.values]
        np.testing.assert_array_equal(copies[0], copies[1])
    finally:
        keras.mixed_precision.set_global_policy("float32")


def test_generator_spectral_norm_wraps_every_kernel_and_is_rejected_elsewhere():
    """``g_spectral_norm``: G's dense, convs and SLE convs are spectral-normed (FastGAN's
    reference code); the config refuses it for networks that would ignore it."""
    from gans.core.errors import ConfigError
    from gans.core.model.gan_layers import SpectralNorm
    from gans.core.run.experiment import resolve
    from gans.registry import get_spec

    plain = fastgan_generator(64, 3, NOISE, TINY)
    normed = fastgan_generator(
        64, 3, NOISE, NetworkOptions(width=4, max_filters=16, g_spectral_norm=True)
    )
    assert not any(isinstance(layer, SpectralNorm) for layer in plain.layers)
    wrapped = [layer for layer in normed.layers if isinstance(layer, SpectralNorm)]
    # dense + one conv per up-block (two in the 8 and 32 px blocks) + to_image
    assert len(wrapped) == 1 + 4 + 2 + 1
    sle = next(layer for layer in normed.layers if isinstance(layer, SkipLayerExcitation))
    assert sle.spectral
    x = normed(tf.random.normal([2, NOISE]), training=True)
    assert x.shape == (2, 64, 64, 3) and float(tf.reduce_max(tf.abs(x))) <= 1.0
    assert len(normed.trainable_weights) == len(plain.trainable_weights)

    spec = get_spec("flags")
    config = spec.train_config()
    resolve(config.replace(g_spectral_norm=True, network="fastgan"), spec)
    with pytest.raises(ConfigError, match=r"--g_spectral_norm .*--network=dcgan"):
        resolve(config.replace(g_spectral_norm=True, network="dcgan"), spec)


def test_pooled_head_averages_the_map_and_is_rejected_elsewhere():
    """``d_head="pool"``: D's logit comes from the global average of its 8×8 map (one
    feature vector of the map's channels, not the flattened map), and only FastGAN has it."""
    from gans.core.errors import ConfigError
    from gans.core.run.experiment import resolve
    from gans.registry import get_spec

    dense = fastgan_discriminator(64, 3, TINY)
    pooled = fastgan_discriminator(64, 3, NetworkOptions(width=4, max_filters=16, d_head="pool"))
    feat_dense = dense.get_layer("features").output.shape[-1]
    feat_pooled = pooled.get_layer("features").output.shape[-1]
    assert feat_dense == 8 * 8 * feat_pooled
    logits = pooled(tf.random.normal([3, 64, 64, 3]), training=False)
    assert logits.shape == (3, 1) and logits.dtype == tf.float32

    spec = get_spec("flags")
    config = spec.train_config()
    resolve(config.replace(d_head="pool", network="fastgan"), spec)
    with pytest.raises(ConfigError, match=r"--d_head=pool .*--network=dcgan"):
        resolve(config.replace(d_head="pool", network="dcgan"), spec)
