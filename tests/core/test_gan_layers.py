"""Tests for gans.core.model.gan_layers."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

from gans.core.model.gan_layers import (
    MinibatchDiscrimination,
    MinibatchStdDev,
    SpectralNorm,
    spectral_norm,
)


# ------------------------------------------------------------------------------ minibatch disc.
def test_minibatch_discrimination_shape_and_config():
    layer = MinibatchDiscrimination(num_kernels=6, kernel_dim=3)
    y = layer(tf.random.normal((5, 7)))
    assert y.shape == (5, 13)
    assert layer.compute_output_shape((None, 7)) == (None, 13)
    clone = MinibatchDiscrimination.from_config(layer.get_config())
    assert (clone.num_kernels, clone.kernel_dim) == (6, 3)


def test_minibatch_discrimination_hand_value():
    layer = MinibatchDiscrimination(1, 1, kernel_initializer="ones")
    y = layer(tf.constant([[0.0], [1.0], [3.0]])).numpy()
    # M = x; o_0 = e^-1 + e^-3, o_1 = e^-1 + e^-2, o_2 = e^-3 + e^-2
    expected = [
        math.exp(-1) + math.exp(-3),
        math.exp(-1) + math.exp(-2),
        math.exp(-3) + math.exp(-2),
    ]
    np.testing.assert_allclose(y[:, 1], expected, rtol=1e-6)
    np.testing.assert_array_equal(y[:, 0], [0.0, 1.0, 3.0])  # features passed through


def test_minibatch_discrimination_tells_identical_from_diverse_batches():
    n, a, b = 6, 8, 5
    init = keras.initializers.RandomNormal(stddev=1.0, seed=1)
    layer = MinibatchDiscrimination(num_kernels=b, kernel_dim=4, kernel_initializer=init)
    rng = np.random.default_rng(0)
    identical = tf.constant(np.repeat(rng.normal(size=(1, a)), n, axis=0), tf.float32)
    diverse = tf.constant(rng.normal(size=(n, a)) * 10.0, tf.float32)
    o_same = layer(identical).numpy()[:, a:]
    o_diverse = layer(diverse).numpy()[:, a:]
    np.testing.assert_allclose(o_same, n - 1, rtol=1e-6)  # exp(0) per other sample
    np.testing.assert_allclose(o_diverse, 0.0, atol=1e-3)
    assert o_same.min() > o_diverse.max()


def test_minibatch_discrimination_gradients_flow():
    layer = MinibatchDiscrimination(4, 3)
    x = tf.random.normal((4, 6))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        total = tf.reduce_sum(layer(x)[:, 6:])
    for grad in (tape.gradient(total, x), tape.gradient(total, layer.kernel)):
        assert grad is not None and np.any(grad.numpy() != 0)


def test_minibatch_discrimination_in_functional_model_dynamic_batch():
    inp = keras.Input((6,))
    model = keras.Model(inp, MinibatchDiscrimination(3, 2)(inp))
    fn = tf.function(model, input_signature=[tf.TensorSpec([None, 6])])
    assert fn(tf.zeros((2, 6))).shape == (2, 9)
    assert fn(tf.zeros((5, 6))).shape == (5, 9)


# ------------------------------------------------------------------------------ minibatch stddev
def _stat(layer, x):
    x = np.asarray(x, np.float32)
    y = layer(tf.constant(x)).numpy()
    assert y.shape == (*x.shape[:-1], x.shape[-1] + 1)
    assert np.all(y[..., -1] == y[:, :1, :1, -1]), "one value per sample"
    np.testing.assert_array_equal(y[..., :-1], x)
    return y[:, 0, 0, -1]


def test_minibatch_stddev_shape_and_identical_samples():
    x = np.repeat(np.random.default_rng(0).normal(size=(1, 4, 4, 3)), 8, axis=0)
    layer = MinibatchStdDev()
    assert layer.compute_output_shape((None, 4, 4, 3)) == (None, 4, 4, 4)
    np.testing.assert_allclose(_stat(layer, x), 1e-4, rtol=1e-3)  # sqrt(0 + 1e-8)


def _constant_images(values, size=2):
    v = np.asarray(values, np.float32).reshape(-1, 1, 1, 1)
    return np.broadcast_to(v, (len(values), size, size, 1)).copy()


def test_minibatch_stddev_hand_made_batch():
    # group 2, M = 2: groups {0, 2} = (0, 4) → std 2 and {1, 3} = (1, 9) → std 4
    got = _stat(MinibatchStdDev(group_size=2), _constant_images([0, 1, 4, 9]))
    np.testing.assert_allclose(got, [2, 4, 2, 4], rtol=1e-6)
    # group 4: (0, 2, 0, 2) → population std 1
    got = _stat(MinibatchStdDev(group_size=4), _constant_images([0, 2, 0, 2]))
    np.testing.assert_allclose(got, 1.0, rtol=1e-6)
    # per-pixel std averaged over pixels: pixel stds 1 and 3 → 2
    x = np.zeros((2, 1, 2, 1), np.float32)
    x[0, 0] = [[0], [0]]
    x[1, 0] = [[2], [6]]
    np.testing.assert_allclose(_stat(MinibatchStdDev(group_size=2), x), 2.0, rtol=1e-6)


def test_minibatch_stddev_batch_not_divisible_by_group():
    layer = MinibatchStdDev(group_size=4)
    # N = 6 → G = 3, M = 2: groups {0, 2, 4} = (0, 0, 3) and {1, 3, 5} = (0, 3, 3)
    got = _stat(layer, _constant_images([0, 0, 0, 3, 3, 3]))
    np.testing.assert_allclose(got, [math.sqrt(2)] * 6, rtol=1e-5)
    # N = 7 has no divisor in [2, 4] → whole batch is one group
    values = [0, 1, 2, 3, 4, 5, 6]
    np.testing.assert_allclose(_stat(layer, _constant_images(values)), np.std(values), rtol=1e-5)
    # N = 2 < group size → G = 2; N = 1 → sqrt(eps)
    np.testing.assert_allclose(_stat(layer, _constant_images([1, 3])), 1.0, rtol=1e-6)
    np.testing.assert_allclose(_stat(layer, _constant_images([5])), 1e-4, rtol=1e-3)


def test_minibatch_stddev_dynamic_batch_and_config():
    layer = MinibatchStdDev(group_size=4)
    fn = tf.function(layer, input_signature=[tf.TensorSpec([None, 4, 4, 2])])
    for n in (3, 4, 6, 7):
        assert fn(tf.random.normal((n, 4, 4, 2))).shape == (n, 4, 4, 3)
    assert MinibatchStdDev(group_size=4)(tf.zeros((4, 5))).shape == (4, 6)  # rank 2 works
    assert MinibatchStdDev.from_config(layer.get_config()).group_size == 4


# ------------------------------------------------------------------------------ spectral norm
def _sn_model():
    inp = keras.Input((8, 8, 3))
    h = spectral_norm(keras.layers.Conv2D(4, 3, activation="relu", name="conv"))(inp)
    h = keras.layers.Flatten()(h)
    out = spectral_norm(keras.layers.Dense(1, name="dense"))(h)
    return keras.Model(inp, out)


def _largest_singular_value(kernel) -> float:
    k = np.asarray(kernel)
    return float(np.linalg.svd(k.reshape(-1, k.shape[-1]), compute_uv=False)[0])


def test_spectral_norm_converges_to_unit_spectral_norm():
    keras.utils.set_random_seed(0)
    model = _sn_model()
    sn_layers = [layer for layer in model.layers if isinstance(layer, SpectralNorm)]
    assert len(sn_layers) == 2
    raw_before = [layer.layer.kernel.numpy().copy() for layer in sn_layers]
    step = tf.function(lambda x: model(x, training=True))
    for _ in range(30):
        step(tf.random.normal((2, 8, 8, 3)))
    for layer, raw in zip(sn_layers, raw_before, strict=True):
        assert _largest_singular_value(layer.normalized_kernel()) == pytest.approx(1.0, abs=0.05)
        np.testing.assert_array_equal(layer.layer.kernel.numpy(), raw)  # kernel not rewritten
    u = [layer.vector_u.numpy().copy() for layer in sn_layers]
    model(tf.zeros((1, 8, 8, 3)), training=False)  # inference keeps u
    for layer, u_before in zip(sn_layers, u, strict=True):
        np.testing.assert_array_equal(layer.vector_u.numpy(), u_before)


def test_spectral_norm_output_matches_normalized_layer():
    conv = keras.layers.Conv2D(4, 3, padding="same", activation="tanh")
    sn = spectral_norm(conv)
    x = tf.random.normal((2, 8, 8, 3))
    y = sn(x, training=False)
    expected = tf.tanh(tf.nn.conv2d(x, sn.normalized_kernel(), 1, "SAME") + conv.bias)
    np.testing.assert_allclose(y.numpy(), expected.numpy(), atol=1e-5)
    dense = keras.layers.Dense(3)
    sn_dense = spectral_norm(dense)
    z = tf.random.normal((4, 5))
    out = sn_dense(z, training=False)
    np.testing.assert_allclose(
        out.numpy(), (z @ sn_dense.normalized_kernel() + dense.bias).numpy(), atol=1e-5
    )


def test_spectral_norm_gradient_reaches_kernel_through_sigma():
    sn = spectral_norm(keras.layers.Dense(3))
    x = tf.random.normal((4, 5))
    sn(x)
    with tf.GradientTape() as tape:
        total = tf.reduce_sum(sn(x, training=True))
    grad_kernel, grad_bias = tape.gradient(total, [sn.layer.kernel, sn.layer.bias])
    assert grad_kernel is not None and np.any(grad_kernel.numpy() != 0)
    assert grad_bias is not None
    # W/σ(W) is scale invariant, so the gradient is orthogonal to W (Miyato et al. Eq. 12)
    inner = float(tf.reduce_sum(grad_kernel * sn.layer.kernel))
    assert abs(inner) < 1e-4 * float(tf.norm(grad_kernel)) * float(tf.norm(sn.layer.kernel)) + 1e-5


def test_spectral_norm_disabled_unsupported_and_serialized(tmp_path):
    dense = keras.layers.Dense(2)
    assert spectral_norm(dense, enabled=False) is dense
    with pytest.raises(TypeError, match="BatchNormalization"):
        spectral_norm(keras.layers.BatchNormalization())
    model = _sn_model()
    model(tf.random.normal((2, 8, 8, 3)), training=True)
    path = tmp_path / "d.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    x = tf.random.normal((3, 8, 8, 3))
    np.testing.assert_allclose(loaded(x).numpy(), model(x).numpy(), atol=1e-6)


_MIRRORED_SCRIPT = textwrap.dedent(
    """
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras
    import numpy as np
    from gans.core.model.gan_layers import MinibatchStdDev, spectral_norm

    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    with strategy.scope():
        inp = keras.Input((8, 8, 3))
        h = spectral_norm(keras.layers.Conv2D(4, 3))(inp)
        h = keras.layers.Flatten()(MinibatchStdDev()(h))
        model = keras.Model(inp, spectral_norm(keras.layers.Dense(1))(h))
        opt = keras.optimizers.SGD(0.01)
        opt.build(model.trainable_variables)

    @tf.function
    def step(x):
        def fn(x):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(model(x, training=True))
            grads = tape.gradient(loss, model.trainable_variables)
            opt.apply_gradients(zip(grads, model.trainable_variables))
            return loss
        return strategy.run(fn, args=(x,))

    ds = strategy.experimental_distribute_dataset(
        tf.data.Dataset.from_tensors(tf.random.normal((8, 8, 8, 3))).repeat(3)
    )
    for x in ds:
        step(x)
    for v in model.variables:
        copies = [t.numpy() for t in v.value.values]
        assert len(copies) == 2 and np.array_equal(copies[0], copies[1]), v.path
    print("OK", len(model.variables))
    """
)


def test_spectral_norm_under_mirrored_strategy():
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": ""}
    out = subprocess.run(
        [sys.executable, "-c", _MIRRORED_SCRIPT],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert "OK 6" in out.stdout, out.stdout
