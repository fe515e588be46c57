"""Discriminator-input augmentation: DiffAugment and ADA.

Both are applied to real *and* fake images inside the discriminator step, are differentiable
w.r.t. the images (only masks, gathers, reversals, transposes and arithmetic; no ``tf.image``
resampling op), run in graph mode with a dynamic batch size and inside ``tf.distribute``
replicas.

Images are NHWC in [-1, 1] with a static channel count. Colour ops act on the colour
channels only: all channels for 1 or 3 channels; for 2 (gray + alpha) or 4 (RGB + alpha)
channels the last channel is alpha and is left untouched by colour ops (geometric ops and
cutout move/zero it like the others). Ops that need three colour channels (saturation, hue,
luma flip) are the identity on gray images.

References:
- Zhao et al. 2020, "Differentiable Augmentation for Data-Efficient GAN Training" (DiffAugment).
- Karras et al. 2020, "Training Generative Adversarial Networks with Limited Data" (ADA).
"""

from __future__ import annotations

import math

import keras
import tensorflow as tf

DIFF_AUGMENT_OPS = ("color", "translation", "cutout")
ADA_OPS = (
    "xflip",
    "rotate90",
    "xint",
    "brightness",
    "contrast",
    "lumaflip",
    "hue",
    "saturation",
    "cutout",
)
ADA_DEFAULT_OPS = ",".join(ADA_OPS)


# --------------------------------------------------------------------------------------------
# Randomness: stateless when a seed is given, stateful otherwise.
# --------------------------------------------------------------------------------------------
class _Rng:
    """Draws random tensors; with a seed every draw gets its own folded-in stateless seed.

    Under a strategy with several replicas the replica id is folded into the seed, so replicas
    that receive the same seed still augment their shards differently.
    """

    def __init__(self, seed: tf.Tensor | None):
        if seed is not None:
            seed = tf.cast(tf.convert_to_tensor(seed), tf.int64)
            ctx = tf.distribute.get_replica_context()
            if ctx is not None and ctx.num_replicas_in_sync > 1:
                replica = tf.cast(ctx.replica_id_in_sync_group, tf.int32)
                seed = tf.random.experimental.stateless_fold_in(seed, replica)
        self._seed = seed
        self._count = 0

    def _next_seed(self) -> tf.Tensor:
        self._count += 1
        return tf.random.experimental.stateless_fold_in(self._seed, self._count)

    def uniform(self, shape, minval=0, maxval=None, dtype=tf.float32) -> tf.Tensor:
        if maxval is None:
            maxval = 1.0
        if self._seed is None:
            return tf.random.uniform(shape, minval, maxval, dtype=dtype)
        return tf.random.stateless_uniform(shape, self._next_seed(), minval, maxval, dtype=dtype)

    def normal(self, shape, stddev: float = 1.0) -> tf.Tensor:
        if self._seed is None:
            return tf.random.normal(shape, stddev=stddev)
        return tf.random.stateless_normal(shape, self._next_seed(), stddev=stddev)


# --------------------------------------------------------------------------------------------
# Building blocks (all differentiable w.r.t. ``x``).
# --------------------------------------------------------------------------------------------
def _num_color_channels(channels: int) -> int:
    """Colour channels: all for 1/3 channels, all but the last (alpha) for 2/4."""
    return channels - 1 if channels in (2, 4) else channels


def _split_color(x: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor | None]:
    channels = x.shape[-1]
    if channels is None:
        raise ValueError("augmentation needs a static channel count (NHWC)")
    n_color = _num_color_channels(channels)
    if n_color == channels:
        return x, None
    return x[..., :n_color], x[..., n_color:]


def _join_color(color: tf.Tensor, alpha: tf.Tensor | None) -> tf.Tensor:
    return color if alpha is None else tf.concat([color, alpha], axis=-1)


def _on_rgb(x: tf.Tensor, transform) -> tf.Tensor | None:
    """``x`` with ``transform`` applied to its first three colour channels (alpha and any
    further channels kept as they are); ``None`` when it has fewer than three."""
    color, alpha = _split_color(x)
    if color.shape[-1] < 3:
        return None
    rgb, rest = color[..., :3], color[..., 3:]
    return _join_color(tf.concat([transform(rgb), rest], axis=-1), alpha)


def _per_sample(v: tf.Tensor, dtype) -> tf.Tensor:
    """(N,) -> (N, 1, 1, 1) in ``dtype``."""
    return tf.cast(tf.reshape(v, [-1, 1, 1, 1]), dtype)


def _select(mask: tf.Tensor, a: tf.Tensor, b: tf.Tensor) -> tf.Tensor:
    """Per-sample ``where``: ``a[i]`` where ``mask[i]`` else ``b[i]``."""
    return tf.where(tf.reshape(mask, [-1, 1, 1, 1]), a, b)


def _reflect_index(idx: tf.Tensor, size: tf.Tensor) -> tf.Tensor:
    """Mirror indices into [0, size) without repeating the edge (numpy 'reflect')."""
    period = tf.maximum(2 * (size - 1), 1)
    idx = tf.math.floormod(idx, period)
    return tf.minimum(tf.where(idx >= size, period - idx, idx), size - 1)


def _shift_axis(x: tf.Tensor, shift: tf.Tensor, axis: int, mode: str) -> tf.Tensor:
    """out[i, ..., r, ...] = x[i, ..., r + shift[i], ...] along ``axis`` (1 or 2).

    ``mode='zeros'`` pads with zeros, ``'reflect'`` mirrors the image.
    """
    size = tf.shape(x)[axis]
    idx = tf.range(size, dtype=tf.int32)[tf.newaxis, :] + tf.reshape(shift, [-1, 1])
    if mode == "reflect":
        return tf.gather(x, _reflect_index(idx, size), axis=axis, batch_dims=1)
    valid = tf.logical_and(idx >= 0, idx < size)
    out = tf.gather(x, tf.clip_by_value(idx, 0, size - 1), axis=axis, batch_dims=1)
    mask_shape = [-1, size, 1, 1] if axis == 1 else [-1, 1, size, 1]
    return out * tf.cast(tf.reshape(valid, mask_shape), x.dtype)


def _translate(x: tf.Tensor, ty: tf.Tensor, tx: tf.Tensor, mode: str) -> tf.Tensor:
    return _shift_axis(_shift_axis(x, ty, 1, mode), tx, 2, mode)


def _cutout_mask(x: tf.Tensor, rng: _Rng, ratio: float = 0.5) -> tf.Tensor:
    """(N, H, W, 1) mask: 0 inside one square of ``ratio`` x size per sample, 1 elsewhere.

    As in the DiffAugment code, the square's centre is uniform over the image (integer
    positions 0..size, or 0..size-1 for odd cutout sizes) and the square is clipped at the
    border, so on average a little less than ``ratio**2`` of the image is cut.
    """
    n = tf.shape(x)[0]
    h, w = tf.shape(x)[1], tf.shape(x)[2]
    cut_h = tf.cast(tf.cast(h, tf.float32) * ratio + 0.5, tf.int32)
    cut_w = tf.cast(tf.cast(w, tf.float32) * ratio + 0.5, tf.int32)
    cy = rng.uniform([n, 1], 0, h + (1 - cut_h % 2), dtype=tf.int32)
    cx = rng.uniform([n, 1], 0, w + (1 - cut_w % 2), dtype=tf.int32)
    rows = tf.range(h)[tf.newaxis, :] - (cy - cut_h // 2)  # (N, H), inside if in [0, cut_h)
    cols = tf.range(w)[tf.newaxis, :] - (cx - cut_w // 2)
    in_rows = tf.logical_and(rows >= 0, rows < cut_h)[:, :, tf.newaxis]
    in_cols = tf.logical_and(cols >= 0, cols < cut_w)[:, tf.newaxis, :]
    inside = tf.logical_and(in_rows, in_cols)[..., tf.newaxis]
    return 1.0 - tf.cast(inside, x.dtype)


# --------------------------------------------------------------------------------------------
# DiffAugment
# --------------------------------------------------------------------------------------------
def _diff_color(x: tf.Tensor, rng: _Rng) -> tf.Tensor:
    """Brightness x + U(-0.5, 0.5); saturation (x - mean_c)·U(0, 2) + mean_c;
    contrast (x - mean_hwc)·U(0.5, 1.5) + mean_hwc. One draw per sample."""
    color, alpha = _split_color(x)
    n = tf.shape(x)[0]
    color = color + _per_sample(rng.uniform([n]) - 0.5, x.dtype)
    if color.shape[-1] > 1:  # saturation is the identity on a single channel
        mean = tf.reduce_mean(color, axis=3, keepdims=True)
        color = (color - mean) * _per_sample(rng.uniform([n]) * 2.0, x.dtype) + mean
    mean = tf.reduce_mean(color, axis=[1, 2, 3], keepdims=True)
    color = (color - mean) * _per_sample(rng.uniform([n]) + 0.5, x.dtype) + mean
    return _join_color(color, alpha)


def _diff_translation(x: tf.Tensor, rng: _Rng, ratio: float = 0.125) -> tf.Tensor:
    """Integer shift by up to round(ratio·size) pixels per axis and sample, zero padding."""
    n = tf.shape(x)[0]
    h, w = tf.shape(x)[1], tf.shape(x)[2]
    sh = tf.cast(tf.cast(h, tf.float32) * ratio + 0.5, tf.int32)
    sw = tf.cast(tf.cast(w, tf.float32) * ratio + 0.5, tf.int32)
    ty = rng.uniform([n], -sh, sh + 1, dtype=tf.int32)
    tx = rng.uniform([n], -sw, sw + 1, dtype=tf.int32)
    return _translate(x, ty, tx, "zeros")


def _diff_cutout(x: tf.Tensor, rng: _Rng, ratio: float = 0.5) -> tf.Tensor:
    """Zero one square of ratio·size per sample (clipped at the border)."""
    return x * _cutout_mask(x, rng, ratio)


_DIFF_FNS = {"color": _diff_color, "translation": _diff_translation, "cutout": _diff_cutout}


def _parse_ops(policy: str, known: tuple[str, ...], what: str) -> list[str]:
    names = [p.strip() for p in policy.split(",") if p.strip()]
    for name in names:
        if name not in known:
            raise ValueError(
                f"Unknown {what} op {name!r} in {policy!r}; choose from {', '.join(known)}"
            )
    return names


def diff_augment(
    images: tf.Tensor,
    policy: str = "color,translation,cutout",
    seed: tf.Tensor | None = None,
) -> tf.Tensor:
    """DiffAugment T(x) (Zhao et al. 2020), applied the same way to reals and fakes.

    policy: comma-separated subset of ``color`` (brightness ±0.5, saturation ×U(0, 2),
    contrast ×U(0.5, 1.5)), ``translation`` (shift ≤ 1/8 of the size, zero padding) and
    ``cutout`` (one square of half the size set to 0), applied in the given order, each to
    every sample with its own random parameters. An empty policy returns ``images``.

    seed: optional shape-[2] integer tensor; if given, stateless ops make the result a pure
    function of (images, seed); under a multi-replica strategy the replica id is folded in.
    Vary it per step. Without a seed ``tf.random`` stateful ops are used.

    Returns a tensor of the same shape and dtype; d(output)/d(images) is defined everywhere.
    """
    names = _parse_ops(policy, DIFF_AUGMENT_OPS, "DiffAugment")
    x = tf.convert_to_tensor(images)
    rng = _Rng(seed)
    for name in names:
        x = _DIFF_FNS[name](x, rng)
    return x


# --------------------------------------------------------------------------------------------
# ADA
# --------------------------------------------------------------------------------------------
def _rot90(x: tf.Tensor) -> tf.Tensor:
    """Rotate NHWC images by 90° (square images)."""
    return tf.reverse(tf.transpose(x, [0, 2, 1, 3]), axis=[1])


def _coin(rng: _Rng, n: tf.Tensor) -> tf.Tensor:
    """A fair per-sample coin ([n] bool), as stylegan2-ada's ``randint(2)`` for the flips."""
    return rng.uniform([n]) < 0.5


def _luma_axis(dtype) -> tf.Tensor:
    return tf.constant([1.0, 1.0, 1.0], dtype) / math.sqrt(3.0)


@keras.saving.register_keras_serializable(package="gans")
class AdaptiveAugment(keras.layers.Layer):
    """Adaptive discriminator augmentation (Karras et al. 2020, ADA).

    Every op in ``ops`` is applied to each sample independently with probability p
    (``probability``, a non-trainable float32 variable, so it is checkpointed and restored).
    Implemented ops, with the paper's default strengths (images in [-1, 1]):

    - ``xflip``: horizontal flip with probability ½ once gated (p/2 overall, as stylegan2-ada).
    - ``rotate90``: rotation by k·90°, k ~ U{0..3} (skipped when H ≠ W statically).
    - ``xint``: integer translation by round(U(-0.125, 0.125)·size) per axis, reflect padding.
    - ``brightness``: x + N(0, 0.2).
    - ``contrast``: x · 2^N(0, 0.5) (about 0, the mid-grey of [-1, 1]).
    - ``lumaflip``: x − 2·v vᵀ x, v = (1, 1, 1)/√3, with probability ½ once gated (p/2
      overall, as stylegan2-ada; 3+ colour channels only).
    - ``hue``: rotation about v by θ ~ U(-π, π) (3+ colour channels only).
    - ``saturation``: v vᵀ x + (x − v vᵀ x)·2^N(0, 1) (3+ colour channels only).
    - ``cutout``: one square of half the size set to 0 (the paper's 'bgcfnc' ``cutout``).

    Not implemented: the general geometric ops that need resampling (isotropic/anisotropic
    scaling, arbitrary rotation, fractional translation), image-space filtering and
    additive noise. Alpha (2/4 channels) is not touched by colour ops.

    Adjustment (paper §2.3, heuristic r_t = E[sign(D(x_real))]): ``update(real_logits)``
    accumulates sign(D(real)) over ``interval`` calls, then
    p ← clip(p + sign(r_t − target) · n_images / adjust_speed, 0, 1), where n_images is the
    number of real images seen in those calls (over all replicas), so p can go from 0 to 1
    in ``adjust_speed`` images (500k in the paper).
    """

    def __init__(
        self,
        target: float = 0.6,
        adjust_speed: float = 500_000,
        interval: int = 4,
        initial_probability: float = 0.0,
        ops: str = ADA_DEFAULT_OPS,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if adjust_speed <= 0 or interval < 1:
            raise ValueError("adjust_speed must be > 0 and interval >= 1")
        self.target = float(target)
        self.adjust_speed = float(adjust_speed)
        self.interval = int(interval)
        self.initial_probability = float(initial_probability)
        self.ops = ops
        self._op_names = _parse_ops(ops, ADA_OPS, "ADA")

        def scalar(name: str, value: float) -> keras.Variable:
            # All replicas compute identical values (update all-reduces first), so the
            # replica-local assign of aggregation="none" keeps mirrored copies equal.
            return self.add_weight(
                name=name,
                shape=(),
                dtype="float32",
                initializer=keras.initializers.Constant(value),
                trainable=False,
            )

        self.probability = scalar("probability", self.initial_probability)
        self.rt = scalar("rt", 0.0)  # last r_t, for logging
        self._sign_sum = scalar("sign_sum", 0.0)
        self._image_count = scalar("image_count", 0.0)
        self._calls = scalar("calls", 0.0)
        self.built = True

    # ---------------------------------------------------------------- augmentation
    def call(self, images, training=True, seed=None):
        """Augment ``images`` (NHWC in [-1, 1]); identity when ``training`` is False."""
        x = tf.convert_to_tensor(images)
        if not training or not self._op_names:
            return x
        rng = _Rng(seed)
        n = tf.shape(x)[0]
        p = tf.cast(tf.convert_to_tensor(self.probability), tf.float32)

        def gate() -> tf.Tensor:
            return rng.uniform([n]) < p

        for name in self._op_names:
            x = getattr(self, f"_op_{name}")(x, gate(), rng)
        return x

    def _op_xflip(self, x, apply, rng):
        # stylegan2-ada: gated with probability p, then flipped with probability ½ (p/2 overall).
        apply = tf.logical_and(apply, _coin(rng, tf.shape(x)[0]))
        return _select(apply, tf.reverse(x, axis=[2]), x)

    def _op_rotate90(self, x, apply, rng):
        h, w = x.shape[1], x.shape[2]
        if h is not None and w is not None and h != w:
            return x
        k = rng.uniform([tf.shape(x)[0]], 0, 4, dtype=tf.int32)
        k = tf.where(apply, k, 0)
        r1 = _rot90(x)
        r2 = tf.reverse(x, axis=[1, 2])
        r3 = _rot90(r2)
        out = _select(tf.equal(k, 1), r1, x)
        out = _select(tf.equal(k, 2), r2, out)
        return _select(tf.equal(k, 3), r3, out)

    def _op_xint(self, x, apply, rng, xint_max: float = 0.125):
        n = tf.shape(x)[0]
        size = tf.cast(tf.shape(x)[1:3], tf.float32)
        t = (rng.uniform([n, 2]) * 2.0 - 1.0) * xint_max * size
        t = tf.where(apply[:, tf.newaxis], tf.cast(tf.round(t), tf.int32), 0)
        return _translate(x, t[:, 0], t[:, 1], "reflect")

    def _op_brightness(self, x, apply, rng, std: float = 0.2):
        color, alpha = _split_color(x)
        b = tf.where(apply, rng.normal([tf.shape(x)[0]], std), 0.0)
        return _join_color(color + _per_sample(b, x.dtype), alpha)

    def _op_contrast(self, x, apply, rng, std: float = 0.5):
        color, alpha = _split_color(x)
        c = tf.where(apply, tf.pow(2.0, rng.normal([tf.shape(x)[0]], std)), 1.0)
        return _join_color(color * _per_sample(c, x.dtype), alpha)

    def _op_lumaflip(self, x, apply, rng):
        v = _luma_axis(x.dtype)
        flipped = _on_rgb(x, lambda rgb: rgb - 2.0 * tf.reduce_sum(rgb * v, -1, keepdims=True) * v)
        if flipped is None:
            return x
        # As xflip: gated with probability p, then flipped with probability ½.
        apply = tf.logical_and(apply, _coin(rng, tf.shape(x)[0]))
        return _select(apply, flipped, x)

    def _op_hue(self, x, apply, rng, hue_max: float = 1.0):
        def rotate(rgb):
            theta = (rng.uniform([tf.shape(x)[0]]) * 2.0 - 1.0) * math.pi * hue_max
            theta = tf.where(apply, theta, 0.0)
            # Rodrigues: R = cosθ I + sinθ [v]× + (1 − cosθ) v vᵀ, per sample (N, 3, 3).
            v = _luma_axis(tf.float32)
            vvt = v[:, tf.newaxis] * v[tf.newaxis, :]
            cross = tf.constant([[0.0, -1.0, 1.0], [1.0, 0.0, -1.0], [-1.0, 1.0, 0.0]])
            cos = tf.reshape(tf.cos(theta), [-1, 1, 1])
            sin = tf.reshape(tf.sin(theta), [-1, 1, 1])
            rot = cos * tf.eye(3) + sin * cross / math.sqrt(3.0) + (1.0 - cos) * vvt
            return tf.einsum("nhwc,ndc->nhwd", rgb, tf.cast(rot, x.dtype))

        out = _on_rgb(x, rotate)
        return x if out is None else _select(apply, out, x)

    def _op_saturation(self, x, apply, rng, std: float = 1.0):
        def scale(rgb):
            v = _luma_axis(x.dtype)
            luma = tf.reduce_sum(rgb * v, axis=-1, keepdims=True) * v
            s = _per_sample(tf.pow(2.0, rng.normal([tf.shape(x)[0]], std)), x.dtype)
            return luma + (rgb - luma) * s

        out = _on_rgb(x, scale)
        return x if out is None else _select(apply, out, x)

    def _op_cutout(self, x, apply, rng):
        return _select(apply, x * _cutout_mask(x, rng, 0.5), x)

    # ---------------------------------------------------------------- adjustment
    def update(self, real_logits: tf.Tensor) -> tf.Tensor:
        """Accumulate sign(D(real)) and, every ``interval`` calls, move p. Returns p.

        Call it once per discriminator step with that step's real logits (shape (N, ...)),
        eagerly, in a ``tf.function``, or per replica inside ``strategy.run`` / a Keras
        ``train_step`` under a strategy: pass this replica's logits; the sum of signs and the
        image count are all-reduced over replicas here, so every replica makes the same
        update and the variables stay in sync. Do not call it in cross-replica context with
        per-replica values. All replicas must call it the same number of times (collective).
        Create the layer inside ``strategy.scope()`` so its variables are mirrored.
        """
        logits = tf.cast(tf.convert_to_tensor(real_logits), tf.float32)
        n = tf.shape(logits)[0]
        per_image = tf.reduce_mean(tf.reshape(tf.sign(logits), [n, -1]), axis=1)
        sign_sum = tf.reduce_sum(per_image)
        count = tf.cast(n, tf.float32)
        ctx = tf.distribute.get_replica_context()
        if ctx is not None and ctx.num_replicas_in_sync > 1:
            sign_sum, count = ctx.all_reduce(tf.distribute.ReduceOp.SUM, [sign_sum, count])

        total = self._sign_sum + sign_sum
        images = self._image_count + count
        calls = self._calls + 1.0
        due = calls >= float(self.interval)
        rt = total / tf.maximum(images, 1.0)
        step = tf.sign(rt - self.target) * images / self.adjust_speed
        p = tf.convert_to_tensor(self.probability)
        new_p = tf.where(due, tf.clip_by_value(p + step, 0.0, 1.0), p)

        self.probability.assign(new_p)
        self.rt.assign(tf.where(due, rt, tf.convert_to_tensor(self.rt)))
        self._sign_sum.assign(tf.where(due, 0.0, total))
        self._image_count.assign(tf.where(due, 0.0, images))
        self._calls.assign(tf.where(due, 0.0, calls))
        return new_p

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "target": self.target,
            "adjust_speed": self.adjust_speed,
            "interval": self.interval,
            "initial_probability": self.initial_probability,
            "ops": self.ops,
        }
