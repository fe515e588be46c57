"""The one-G-forward train steps equal hand-written reference steps (SGD, to 1e-5).

``alternating``: D updates on reals and G(z), then G updates against the new D on the same
G(z). ``simultaneous``: both gradients at the old weights (the TF DCGAN tutorial). Checked on
one device and on the two logical CPU devices that conftest makes (MirroredStrategy).
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from gans.core.model.gan import GAN, resolve_step
from gans.core.model.schedule import ScheduleConfig
from gans.core.run.distribute import get_strategy

NOISE, BATCH, LR = 4, 8, 0.5


def tiny_nets(seed: int = 1) -> tuple[keras.Model, keras.Model]:
    """Dense nets without batch norm, so a batch split over replicas changes nothing."""
    keras.utils.set_random_seed(seed)
    g = keras.Sequential(
        [
            keras.Input((NOISE,)),
            keras.layers.Dense(8, activation="tanh"),
            keras.layers.Dense(12, activation="tanh"),
            keras.layers.Reshape((2, 2, 3)),
        ]
    )
    d = keras.Sequential(
        [
            keras.Input((2, 2, 3)),
            keras.layers.Flatten(),
            keras.layers.Dense(8, activation="tanh"),
            keras.layers.Dense(1),
        ]
    )
    return g, d


def data(seed: int = 0):
    rng = np.random.default_rng(seed)
    images = rng.uniform(-1, 1, (BATCH, 2, 2, 3)).astype(np.float32)
    noise = rng.standard_normal((BATCH, NOISE)).astype(np.float32)
    return images, noise


def bce_d(real, fake):
    return tf.reduce_mean(tf.nn.softplus(-real) + tf.nn.softplus(fake))


def bce_g(fake):
    return tf.reduce_mean(tf.nn.softplus(-fake))


def reference_step(step: str, images, noise) -> tuple[list, list]:
    """The classic two-pass step (alternating) or the tutorial's (simultaneous), by hand."""
    g, d = tiny_nets()
    with tf.GradientTape() as tape:
        loss = bce_d(d(images), d(g(noise)))
    d_grads = tape.gradient(loss, d.trainable_variables)
    with tf.GradientTape() as tape:
        if step == "alternating":
            for var, grad in zip(d.trainable_variables, d_grads, strict=True):
                var.assign_sub(LR * grad)
        g_loss = bce_g(d(g(noise)))
    g_grads = tape.gradient(g_loss, g.trainable_variables)
    if step == "simultaneous":
        for var, grad in zip(d.trainable_variables, d_grads, strict=True):
            var.assign_sub(LR * grad)
    for var, grad in zip(g.trainable_variables, g_grads, strict=True):
        var.assign_sub(LR * grad)
    return g.get_weights(), d.get_weights()


def suite_step(step: str, strategy, images, noise) -> tuple[list, list]:
    with strategy.scope():
        g, d = tiny_nets()
        gan = GAN(g, d, noise_dim=NOISE, loss="gan", step=step)
        gan.compile(g_optimizer=keras.optimizers.SGD(LR), d_optimizer=keras.optimizers.SGD(LR))
    batches = tf.data.Dataset.from_tensor_slices((images, noise)).batch(BATCH)
    gan.fit(batches, epochs=1, verbose=0, shuffle=False)
    assert gan.step_kind == step
    return g.get_weights(), d.get_weights()


@pytest.mark.parametrize("step", ["alternating", "simultaneous"])
@pytest.mark.parametrize("devices", [1, 2])
def test_fused_step_equals_reference(step, devices):
    images, noise = data()
    if devices == 1:
        strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    else:
        strategy = get_strategy("mirrored")
        assert strategy.num_replicas_in_sync == 2
    want_g, want_d = reference_step(step, images, noise)
    got_g, got_d = suite_step(step, strategy, images, noise)
    start_g = tiny_nets()[0].get_weights()
    assert max(np.abs(a - b).max() for a, b in zip(start_g, want_g, strict=True)) > 1e-3
    for got, want in ((got_g, want_g), (got_d, want_d)):
        for a, b in zip(got, want, strict=True):
            np.testing.assert_allclose(a, b, atol=1e-5)


def test_alternating_and_simultaneous_differ():
    """The G update sees the new D in one and the old D in the other."""
    images, noise = data()
    alt_g, _ = reference_step("alternating", images, noise)
    sim_g, _ = reference_step("simultaneous", images, noise)
    assert max(np.abs(a - b).max() for a, b in zip(alt_g, sim_g, strict=True)) > 1e-4


def test_auto_step_picks_alternating_unless_the_schedule_needs_more():
    assert resolve_step("auto", ScheduleConfig()) == "alternating"
    assert resolve_step("auto", ScheduleConfig(d_steps=5)) == "scheduled"
    assert resolve_step("auto", ScheduleConfig(), clip_value=0.01) == "scheduled"
    assert resolve_step("simultaneous", ScheduleConfig()) == "simultaneous"
    with pytest.raises(ValueError, match="--step=alternating cannot run --boost"):
        resolve_step("alternating", ScheduleConfig(boost=True))
    with pytest.raises(ValueError, match="--step=fast"):
        resolve_step("fast", ScheduleConfig())
