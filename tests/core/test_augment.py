"""Tests for gans.core.model.augment (DiffAugment and ADA)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tensorflow as tf

from gans.core.model.augment import ADA_OPS, AdaptiveAugment, diff_augment

SEED = tf.constant([3, 7], tf.int32)
POLICIES = ["color", "translation", "cutout", "color,translation,cutout"]


def _images(n: int = 4, size: int = 16, channels: int = 3, seed: int = 0) -> tf.Tensor:
    rng = np.random.default_rng(seed)
    return tf.constant(rng.uniform(-1, 1, (n, size, size, channels)), tf.float32)


def _grad_of_sum(fn, x: tf.Tensor) -> tf.Tensor:
    with tf.GradientTape() as tape:
        tape.watch(x)
        total = tf.reduce_sum(fn(x))
    return tape.gradient(total, x)


# ------------------------------------------------------------------------------ DiffAugment
@pytest.mark.parametrize("channels", [1, 3, 4])
@pytest.mark.parametrize("policy", POLICIES)
def test_diff_augment_keeps_shape_and_dtype(channels, policy):
    x = _images(channels=channels)
    y = diff_augment(x, policy, seed=SEED)
    assert y.shape == x.shape
    assert y.dtype == x.dtype
    assert np.all(np.isfinite(y.numpy()))


@pytest.mark.parametrize("policy", POLICIES)
def test_diff_augment_gradients_flow(policy):
    x = _images()
    grad = _grad_of_sum(lambda t: diff_augment(t, policy, seed=SEED), x)
    assert grad is not None
    assert np.any(grad.numpy() != 0)


def test_diff_augment_empty_policy_is_identity():
    x = _images()
    np.testing.assert_array_equal(diff_augment(x, "", seed=SEED).numpy(), x.numpy())


def test_diff_augment_unknown_policy_raises_one_line():
    with pytest.raises(ValueError, match="'blur'") as err:
        diff_augment(_images(), "color,blur")
    assert "\n" not in str(err.value)


def test_diff_augment_seeded_is_deterministic():
    x = _images()
    a = diff_augment(x, seed=SEED).numpy()
    np.testing.assert_array_equal(a, diff_augment(x, seed=SEED).numpy())
    assert not np.array_equal(a, diff_augment(x, seed=SEED + 1).numpy())


def test_translation_shifts_content():
    size, n = 16, 32
    img = np.zeros((n, size, size, 1), np.float32)
    img[:, 8, 8, 0] = 1.0  # one bright pixel; max shift round(16/8) = 2 keeps it inside
    y = diff_augment(tf.constant(img), "translation", seed=SEED).numpy()
    shifts = []
    for sample in y:
        rows, cols, _ = np.nonzero(sample)
        assert len(rows) == 1 and sample[rows[0], cols[0], 0] == 1.0  # moved, not altered
        shifts.append((rows[0] - 8, cols[0] - 8))
    shifts = np.array(shifts)
    assert np.abs(shifts).max() <= 2
    assert np.any(shifts != 0)
    assert len({tuple(s) for s in shifts}) > 3  # per-sample shifts


def test_translation_pads_with_zeros():
    x = tf.ones((64, 16, 16, 1))
    y = diff_augment(x, "translation", seed=SEED).numpy()
    assert set(np.unique(y)) <= {0.0, 1.0}
    assert 0 < (y == 0).mean() < 0.5


def _expected_cutout_fraction(size: int) -> float:
    """Mean cut fraction of the paper's cutout: centre uniform on 0..size, square clipped."""
    cut = int(size * 0.5 + 0.5)
    centres = np.arange(size + (1 - cut % 2))
    lo = np.maximum(centres - cut // 2, 0)
    hi = np.minimum(centres - cut // 2 + cut, size)
    return float(np.mean(hi - lo) / size) ** 2


def test_cutout_zeroes_one_square_of_quarter_size():
    size = 16
    x = tf.ones((512, size, size, 3))
    y = diff_augment(x, "cutout", seed=SEED).numpy()
    zero = (y == 0).all(axis=-1)  # whole pixel cut (all channels)
    assert np.array_equal(zero, (y == 0).any(axis=-1))
    per_sample = zero.mean(axis=(1, 2))
    # A square fully inside the image cuts exactly 25%; clipped at the border, less.
    assert per_sample.max() == pytest.approx(0.25)
    assert per_sample.min() > 0
    assert np.mean(per_sample) == pytest.approx(_expected_cutout_fraction(size), abs=0.02)
    for z in zero[:16]:  # the cut region is one axis-aligned rectangle
        rows, cols = np.nonzero(z.any(axis=1))[0], np.nonzero(z.any(axis=0))[0]
        assert z[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1].all()


def test_color_leaves_alpha_alone():
    x = _images(channels=4)
    y = diff_augment(x, "color", seed=SEED).numpy()
    np.testing.assert_array_equal(y[..., 3], x.numpy()[..., 3])
    assert not np.allclose(y[..., :3], x.numpy()[..., :3])


def test_diff_augment_in_tf_function_with_dynamic_batch():
    fn = tf.function(
        lambda t, s: diff_augment(t, seed=s),
        input_signature=[tf.TensorSpec([None, 16, 16, 3]), tf.TensorSpec([2], tf.int32)],
    )
    for n in (2, 5):
        x = _images(n=n)
        y = fn(x, SEED)
        assert y.shape == x.shape
        np.testing.assert_allclose(y.numpy(), diff_augment(x, seed=SEED).numpy(), atol=1e-6)
    assert fn(_images(n=3), SEED).shape[0] == 3  # unseeded path also traces
    unseeded = tf.function(lambda t: diff_augment(t))
    assert unseeded(_images(n=3)).shape == (3, 16, 16, 3)


# ------------------------------------------------------------------------------ ADA
def test_ada_zero_probability_is_identity():
    ada = AdaptiveAugment()
    x = _images()
    np.testing.assert_array_equal(ada(x).numpy(), x.numpy())


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_ada_full_probability_changes_every_image(channels):
    ada = AdaptiveAugment(initial_probability=1.0)
    x = _images(n=8, channels=channels)
    y = ada(x, seed=SEED)
    assert y.shape == x.shape and y.dtype == x.dtype
    changed = np.abs(y.numpy() - x.numpy()).max(axis=(1, 2, 3)) > 1e-3
    assert changed.all()
    np.testing.assert_array_equal(ada(x, training=False).numpy(), x.numpy())


@pytest.mark.parametrize("op", ADA_OPS)
def test_ada_each_op_is_differentiable_and_changes_images(op):
    ada = AdaptiveAugment(initial_probability=1.0, ops=op)
    x = _images(n=8)
    grad = _grad_of_sum(lambda t: ada(t, seed=SEED), x)
    assert grad is not None and np.any(grad.numpy() != 0)
    assert not np.allclose(ada(x, seed=SEED).numpy(), x.numpy())


def test_ada_color_ops_leave_alpha_alone():
    ada = AdaptiveAugment(
        initial_probability=1.0, ops="brightness,contrast,lumaflip,hue,saturation"
    )
    x = _images(channels=4)
    y = ada(x, seed=SEED).numpy()
    np.testing.assert_array_equal(y[..., 3], x.numpy()[..., 3])


def test_ada_unknown_op_raises():
    with pytest.raises(ValueError, match="'blur'"):
        AdaptiveAugment(ops="xflip,blur")


def test_ada_update_moves_probability_and_clips():
    ada = AdaptiveAugment(adjust_speed=40.0, interval=1)
    positive, negative = tf.ones((4, 1)), -tf.ones((4, 1))
    assert float(ada.update(positive)) == pytest.approx(0.1)  # r_t = 1 > 0.6: up by 4/40
    assert float(ada.rt) == pytest.approx(1.0)
    for _ in range(20):
        ada.update(positive)
    assert float(ada.probability) == 1.0  # clipped
    ada.update(negative)
    assert float(ada.probability) == pytest.approx(0.9)
    assert float(ada.rt) == pytest.approx(-1.0)
    for _ in range(20):
        ada.update(negative)
    assert float(ada.probability) == 0.0  # clipped


def test_ada_update_accumulates_over_interval():
    ada = AdaptiveAugment(adjust_speed=100.0, interval=3, initial_probability=0.5)
    mixed = tf.constant([[1.0], [1.0], [1.0], [-1.0]])  # r_t = 0.5 < 0.6 → down
    update = tf.function(ada.update)
    assert float(update(mixed)) == 0.5
    assert float(update(tf.ones((4, 1)))) == 0.5
    # 12 images, r_t = (2 + 4 + 2) / 12 = 0.667 > 0.6 → up by 12/100
    assert float(update(mixed)) == pytest.approx(0.62)
    assert float(ada.rt) == pytest.approx(8 / 12)


def test_ada_in_tf_function_with_dynamic_batch():
    ada = AdaptiveAugment(initial_probability=0.5, adjust_speed=1000.0, interval=1)

    @tf.function(input_signature=[tf.TensorSpec([None, 16, 16, 3])])
    def step(x):
        y = ada(x)
        return y, ada.update(tf.reduce_mean(y, axis=[1, 2, 3]) + 10.0)

    for n in (2, 6):
        y, _ = step(_images(n=n))
        assert y.shape == (n, 16, 16, 3)
    assert float(ada.probability) == pytest.approx(0.5 + 8 / 1000)


def test_ada_probability_checkpoint_round_trip(tmp_path):
    ada = AdaptiveAugment(initial_probability=0.25)
    path = tf.train.Checkpoint(augment=ada).write(str(tmp_path / "ckpt"))
    ada.probability.assign(0.75)
    restored = AdaptiveAugment()
    tf.train.Checkpoint(augment=restored).read(path).assert_consumed()
    assert float(restored.probability) == 0.25
    assert restored.probability.dtype == "float32" and not restored.probability.trainable


def test_ada_get_config_round_trip():
    ada = AdaptiveAugment(target=0.5, adjust_speed=1000, interval=2, ops="xflip,hue")
    clone = AdaptiveAugment.from_config(ada.get_config())
    assert (clone.target, clone.adjust_speed, clone.interval, clone.ops) == (
        0.5,
        1000.0,
        2,
        "xflip,hue",
    )


_MIRRORED_SCRIPT = textwrap.dedent(
    """
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import numpy as np
    from gans.core.model.augment import AdaptiveAugment, diff_augment

    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    with strategy.scope():
        ada = AdaptiveAugment(interval=1, adjust_speed=80.0, initial_probability=0.5)

    @tf.function
    def step(x, logits):
        def fn(x, logits):
            y = ada(diff_augment(x, seed=tf.constant([1, 2])))
            return y, ada.update(logits)
        return strategy.run(fn, args=(x, logits))

    # replica 0: 4 positive logits; replica 1: 2 positive, 2 negative → global r_t = 0.5
    logits = tf.constant([[1.0]] * 6 + [[-1.0]] * 2)
    x = tf.ones((8, 8, 8, 3))
    ds = strategy.experimental_distribute_dataset(
        tf.data.Dataset.from_tensors((x, logits)).repeat(1)
    )
    for xs, ls in ds:
        ys, _ = step(xs, ls)
    shards = [t.numpy() for t in strategy.experimental_local_results(ys)]
    assert not np.array_equal(shards[0], shards[1]), "replicas share augmentations"
    for v in ada.variables:
        copies = [t.numpy() for t in v.value.values]
        assert len(copies) == 2 and copies[0] == copies[1], v.path
    print("P", float(ada.probability.numpy()), "RT", float(ada.rt.numpy()))
    """
)


def test_ada_update_all_reduces_under_mirrored_strategy():
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": ""}
    out = subprocess.run(
        [sys.executable, "-c", _MIRRORED_SCRIPT],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    # p = 0.5 − 8/80 (global batch of 8, r_t = 0.5 < 0.6); per-replica r_t would differ.
    assert "P 0.4" in out.stdout and "RT 0.5" in out.stdout, out.stdout


@pytest.mark.parametrize("op", ["xflip", "lumaflip"])
@pytest.mark.parametrize("p", [1.0, 0.5])
def test_ada_flips_with_half_the_gate_probability(op, p):
    """stylegan2-ada gates a flip with p, then flips with ½: p/2 of the images change."""
    ada = AdaptiveAugment(initial_probability=p, ops=op)
    n = 4000
    x = _images(n=n, size=4)
    y = ada(x, seed=SEED)
    changed = np.abs(y.numpy() - x.numpy()).max(axis=(1, 2, 3)) > 1e-6
    rate = changed.mean()
    # Binomial std at n=4000 is under 0.008; 0.03 is ~4 sigma.
    assert abs(rate - p / 2) < 0.03, rate
