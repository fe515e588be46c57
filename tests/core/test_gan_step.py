"""Training steps: WGAN clipping, schedule ratio, and one step on 1 vs 2 devices."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from gans.core.model.gan import GAN
from gans.core.model.networks import NetworkOptions, build_networks
from gans.core.model.schedule import ScheduleConfig
from gans.core.run.distribute import get_strategy
from gans.core.run.experiment import GANExperiment
from gans.mnist.mnist_dataset import mnist_spec
from tests.testing_utils import tiny_config

SMALL = NetworkOptions(width=8)


def make_gan(strategy, loss="gan", seed=3, optimizer=None, **kwargs):
    with strategy.scope():
        keras.utils.set_random_seed(seed)
        g, d = build_networks("dcgan", 28, 1, 8, SMALL)
        gan = GAN(g, d, noise_dim=8, loss=loss, seed=seed, **kwargs)
        opt = optimizer or (keras.optimizers.RMSprop if loss == "wgan" else keras.optimizers.Adam)
        gan.compile(g_optimizer=opt(1e-3), d_optimizer=opt(1e-3))
    return gan


def batches(count=1, batch=8, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.uniform(-1, 1, (count * batch, 28, 28, 1)).astype(np.float32)
    noise = rng.standard_normal((count * batch, 8)).astype(np.float32)
    return tf.data.Dataset.from_tensor_slices((images, noise)).batch(batch, drop_remainder=True)


def test_wgan_clip_range_after_step():
    gan = make_gan(tf.distribute.OneDeviceStrategy("/cpu:0"), loss="wgan", clip_value=0.01)
    gan.fit(batches(2), epochs=1, verbose=0)
    for var in gan.discriminator.trainable_variables:
        assert np.abs(var.numpy()).max() <= 0.01 + 1e-7, var.path


def test_d_steps_ratio_updates_generator_every_nth_iteration():
    gan = make_gan(tf.distribute.OneDeviceStrategy("/cpu:0"), schedule=ScheduleConfig(d_steps=3))
    gan.fit(batches(6), epochs=1, verbose=0)
    assert int(gan.d_optimizer.iterations.numpy()) == 6
    assert int(gan.g_optimizer.iterations.numpy()) == 2


def test_one_device_and_two_logical_devices_give_the_same_step():
    devices = [d.name for d in tf.config.list_logical_devices("CPU")]
    assert len(devices) >= 2, "conftest splits the CPU into two logical devices"
    # SGD: the update is linear in the gradient, so this checks the loss scaling across
    # replicas (Adam's m/sqrt(v) would amplify float noise in near-zero gradients).
    sgd = lambda lr: keras.optimizers.SGD(lr * 100)  # noqa: E731
    one = make_gan(tf.distribute.OneDeviceStrategy(devices[0]), optimizer=sgd)
    two = make_gan(get_strategy("mirrored"), optimizer=sgd)  # the process's shared instance
    for gan in (one, two):
        gan.fit(batches(2), epochs=1, verbose=0)
    assert two.distribute_strategy.num_replicas_in_sync == 2
    for net in ("generator", "discriminator"):
        a, b = getattr(one, net).get_weights(), getattr(two, net).get_weights()
        for wa, wb in zip(a, b, strict=True):
            np.testing.assert_allclose(wa, wb, rtol=1e-4, atol=1e-5)
    # And training moved the weights, so the comparison is not vacuous.
    fresh = make_gan(tf.distribute.OneDeviceStrategy(devices[0]), optimizer=sgd)
    moved = max(
        np.abs(x - y).max()
        for x, y in zip(fresh.generator.get_weights(), one.generator.get_weights(), strict=True)
    )
    assert moved > 1e-4


@pytest.mark.slow
def test_two_mirrored_runs_in_one_process(tmp_path):
    """A notebook or sweep trains twice: the second MirroredStrategy run must not collide
    with the first one's collective keys (it did: "Shape mismatch in the collective")."""
    for name, width in (("a", 8), ("b", 16)):
        config = tiny_config(
            tmp_path / name, batch_size=16, steps_per_epoch=2, strategy="mirrored", width=width
        )
        logs = GANExperiment(mnist_spec(), config).train()
        assert np.isfinite(logs["d_loss"])
