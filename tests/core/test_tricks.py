"""The math of the training tricks on small hand-worked cases."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from gans.core.model.gan import GAN
from gans.core.model.labels import LabelPolicy
from gans.core.model.networks import NetworkOptions, build_networks
from gans.core.model.penalties import gradient_penalty, r1_penalty
from gans.core.model.schedule import BOOST_D, BOOST_G, NOISY, ScheduleConfig, TrainSchedule


def test_one_sided_smoothing_is_constant():
    real, fake = LabelPolicy.one_sided(0.1).targets(
        tf.constant(5), tf.random.Generator.from_seed(1)
    )
    np.testing.assert_allclose(real, [0.9] * 5)
    np.testing.assert_allclose(fake, [0.0] * 5)


def test_uniform_ranges_stay_in_bounds_and_vary():
    policy = LabelPolicy(real_range=(0.7, 1.2), fake_range=(0.0, 0.3))
    real, fake = policy.targets(tf.constant(4000), tf.random.Generator.from_seed(2))
    assert real.numpy().min() >= 0.7 and real.numpy().max() <= 1.2
    assert fake.numpy().min() >= 0.0 and fake.numpy().max() <= 0.3
    assert abs(real.numpy().mean() - 0.95) < 0.01 and abs(fake.numpy().mean() - 0.15) < 0.01


def test_flip_rate_matches_probability():
    policy = LabelPolicy(flip_prob=0.05)
    real, fake = policy.targets(tf.constant(20000), tf.random.Generator.from_seed(3))
    flipped = real.numpy() == 0.0
    assert abs(flipped.mean() - 0.05) < 0.005
    np.testing.assert_array_equal(fake.numpy() == 1.0, flipped)  # swapped, not just changed


def test_gradient_penalty_on_a_linear_critic():
    # D(x) = sum(w * x): gradient w everywhere, so GP = (|w| - 1)^2 at any interpolate.
    w = tf.constant(np.full((1, 2, 2, 1), 0.75, np.float32))  # |w| = 1.5

    def critic(x):
        return tf.reduce_sum(x * w, axis=[1, 2, 3])

    real = tf.random.normal([3, 2, 2, 1])
    fake = tf.random.normal([3, 2, 2, 1])
    gp = gradient_penalty(critic, real, fake, tf.constant([0.0, 0.5, 1.0]))
    np.testing.assert_allclose(gp, [0.25] * 3, rtol=1e-5)


def test_r1_penalty_on_a_quadratic_critic():
    # D(x) = sum(x^2): gradient 2x, R1 = 0.5 * |2x|^2 = 2 |x|^2.
    x = tf.constant([[[[1.0]], [[2.0]]]])  # shape [1, 2, 1, 1], |x|^2 = 5
    r1 = r1_penalty(lambda v: tf.reduce_sum(v * v, axis=[1, 2, 3]), x)
    np.testing.assert_allclose(r1, [10.0], rtol=1e-6)


def run_schedule(config, losses=None, iterations=10, seed=0):
    schedule = TrainSchedule(config, seed=seed)
    decisions = []
    for i in range(iterations):
        d, g, flip = schedule.decide()
        decisions.append((bool(d), bool(g), bool(flip)))
        d_loss, g_loss = losses[i] if losses else (1.0, 1.0)
        schedule.observe(tf.constant(d_loss), tf.constant(g_loss))
    return decisions


def test_ratio_schedule():
    decisions = run_schedule(ScheduleConfig(d_steps=3), iterations=6)
    assert [d for d, _, _ in decisions] == [True] * 6
    assert [g for _, g, _ in decisions] == [False, False, True, False, False, True]


def test_monitored_gate_trains_d_only_while_d_loss_is_high():
    # Previous iteration's losses decide: D trains iff d_loss > 0.8 * g_loss.
    losses = [(1.0, 1.0), (0.7, 1.0), (0.81, 1.0), (0.5, 0.5)]
    decisions = run_schedule(ScheduleConfig(monitor_factor=0.8), losses, iterations=4)
    assert [d for d, _, _ in decisions] == [True, True, False, True]


def test_boost_windows_follow_the_draws():
    config = ScheduleConfig(boost=True, boost_length=3)
    schedule = TrainSchedule(config, seed=5)
    draws = TrainSchedule(config, seed=5).rng  # same stream, to predict the draws
    modes, expected = [], []
    left, mode = 0, 0
    for _ in range(3000):
        d, g, flip = schedule.decide()
        schedule.observe(tf.constant(1.0), tf.constant(1.0))
        k = float(draws.uniform([]))
        if left > 0:
            left -= 1
        else:
            mode = (
                BOOST_D
                if 0.0001 < k < 0.001
                else BOOST_G
                if k < 0.0001
                else NOISY
                if k >= 0.93
                else 0
            )
            left = 2 if mode in (BOOST_D, BOOST_G) else 0
        expected.append(mode)
        modes.append(
            BOOST_D if (d and not g) else BOOST_G if (g and not d) else NOISY if flip else 0
        )
    assert modes == expected
    assert modes.count(NOISY) > 100  # ~7% of steps


def test_ema_update_math():
    g, d = build_networks("dcgan", 28, 1, 4, NetworkOptions(width=4))
    gan = GAN(g, d, noise_dim=4, ema_decay=0.9)
    gan.compile(keras.optimizers.Adam(), keras.optimizers.Adam())
    for step, decay in ((0, 0.1), (1000, 0.9)):  # warm-up (1+n)/(10+n), then the cap
        gan.g_optimizer.iterations.assign(step)
        before = [w.numpy().copy() for w in gan.ema_generator.trainable_weights]
        for w in g.trainable_weights:
            w.assign(w + 1.0)
        gan._update_ema()
        pairs = zip(before, g.trainable_weights, gan.ema_generator.trainable_weights, strict=True)
        for b, w, e in pairs:
            expected = decay * b + (1 - decay) * w.numpy()
            np.testing.assert_allclose(e.numpy(), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("augment", ["diffaugment", "ada"])
def test_augmented_gan_trains(augment):
    from gans.core.run.config import TrainConfig
    from gans.core.run.trainer import make_augment

    aug = make_augment(TrainConfig(augment=augment))
    g, d = build_networks("dcgan", 32, 3, 4, NetworkOptions(width=4, spectral_norm=True))
    gan = GAN(g, d, noise_dim=4, augment=aug, ema_decay=0.99)
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
    data = tf.data.Dataset.from_tensors(
        (tf.random.uniform([4, 32, 32, 3], -1, 1), tf.random.normal([4, 4]))
    ).repeat(2)
    logs = gan.fit(data, epochs=1, verbose=0).history
    assert np.isfinite(logs["d_loss"][0]) and np.isfinite(logs["g_loss"][0])
