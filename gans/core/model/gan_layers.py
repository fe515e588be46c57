"""Layers the network builders share: minibatch discrimination, minibatch std-dev, spectral
normalization, synchronized batch norm, and ``NetworkOptions``, the builders' knobs.

References:
- Salimans et al. 2016, "Improved Techniques for Training GANs", §3.2.
- Karras et al. 2018, "Progressive Growing of GANs for Improved Quality, Stability, and
  Variation", §3.
- Miyato et al. 2018, "Spectral Normalization for Generative Adversarial Networks".

All statistics over the batch are computed per replica under a ``tf.distribute`` strategy (over
the replica's shard), as in the papers' multi-GPU code.
"""

from __future__ import annotations

import dataclasses

import keras
import tensorflow as tf
from keras import ops


@dataclasses.dataclass(frozen=True)
class NetworkOptions:
    """Knobs shared by the builders.

    Attributes:
      width: filters of the widest-resolution conv layer (DCGAN's ngf/ndf, 64).
      max_filters: cap on filters at low resolutions.
      d_norm: discriminator normalization: "batch" (DCGAN), "layer" (WGAN-GP safe), "none".
      spectral_norm: wrap discriminator Conv/Dense in spectral normalization (Miyato 2018).
      g_spectral_norm: wrap the FastGAN generator's Conv/Dense in spectral normalization,
        as FastGAN's reference code does (Liu et al. 2021); the config allows it only there.
      d_head: the FastGAN discriminator's head over its 8×8 map: "dense" (flatten → dense,
        position-aware) or "pool" (global average pool → dense: one translation-invariant
        logit, the mean of 1×1 patch logits; cf. the paper's 5×5 patch logits and BigGAN's
        pooled head). FastGAN only, as ``g_spectral_norm``.
      minibatch_std: append a minibatch-stddev feature map before the D head (Karras 2018).
      minibatch_disc: kernels of a minibatch-discrimination layer in the D head, 0 = off
        (Salimans et al. 2016, §3.2).
      dropout: dropout rate in the fully connected discriminator.
      upsample: DCGAN generator upsampling: "transposed" (Radford et al. 2016) or
        "nearest" (nearest-neighbour resize + 3x3 conv; Odena et al. 2016, no checkerboard).
    """

    width: int = 64
    max_filters: int = 512
    d_norm: str = "batch"
    spectral_norm: bool = False
    g_spectral_norm: bool = False
    d_head: str = "dense"
    minibatch_std: bool = False
    minibatch_disc: int = 0
    dropout: float = 0.3
    upsample: str = "transposed"


def batch_norm() -> keras.layers.Layer:
    """Batch norm over the *global* batch, so N replicas train like one.

    Synchronized only when the strategy the net is built under has several replicas: on one
    device Keras's synchronized path still computes the statistics by hand (sums of x, x²
    and a tensor of ones), which is slower than plain ``tf.nn.moments``.
    Momentum 0.9 (PyTorch's 0.1, the DCGAN reference) rather than Keras's 0.99: the moving
    statistics used for sampling then catch up within tens of steps, not hundreds.
    """
    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    return keras.layers.BatchNormalization(momentum=0.9, synchronized=replicas > 1)


def image_output(x: keras.KerasTensor) -> keras.KerasTensor:
    """A generator's last layer: tanh to [-1, 1], named ``image``, computed in float32
    under mixed precision (the samples, losses and metrics all read it)."""
    return keras.layers.Activation("tanh", dtype="float32", name="image")(x)


@keras.saving.register_keras_serializable(package="gans")
class MinibatchDiscrimination(keras.layers.Layer):
    """Minibatch discrimination (Salimans et al. 2016, §3.2).

    For features x ∈ R^(N×A) and a learned tensor T ∈ R^(A×B·C):
    M = x·T reshaped to (N, B, C), c_b(x_i, x_j) = exp(−‖M_i,b − M_j,b‖_L1),
    o(x_i)_b = Σ_{j≠i} c_b(x_i, x_j) (the sum over all j minus the self term exp(0) = 1),
    output concat([x, o]) of shape (N, A + B) with B = ``num_kernels``, C = ``kernel_dim``.

    A batch of identical samples gives o = N − 1 per kernel, a batch of far-apart samples
    o ≈ 0, so D can tell collapsed batches apart. Memory is O(N²·B·C).
    """

    def __init__(
        self,
        num_kernels: int = 50,
        kernel_dim: int = 5,
        kernel_initializer="glorot_uniform",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.num_kernels = int(num_kernels)
        self.kernel_dim = int(kernel_dim)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.input_spec = keras.layers.InputSpec(ndim=2)

    def build(self, input_shape):
        features = input_shape[-1]
        self.kernel = self.add_weight(
            name="kernel",
            shape=(features, self.num_kernels * self.kernel_dim),
            initializer=self.kernel_initializer,
        )
        self.input_spec = keras.layers.InputSpec(ndim=2, axes={-1: features})

    def call(self, inputs):
        m = ops.reshape(ops.matmul(inputs, self.kernel), (-1, self.num_kernels, self.kernel_dim))
        # (N, 1, B, C) − (1, N, B, C) → L1 over C → (N, N, B)
        l1 = ops.sum(ops.abs(ops.expand_dims(m, 1) - ops.expand_dims(m, 0)), axis=-1)
        o = ops.sum(ops.exp(-l1), axis=1) - 1.0  # drop c_b(x_i, x_i) = 1
        return ops.concatenate([inputs, o], axis=-1)

    def compute_output_shape(self, input_shape):
        features = input_shape[-1]
        return (input_shape[0], None if features is None else features + self.num_kernels)

    def get_config(self):
        return {
            **super().get_config(),
            "num_kernels": self.num_kernels,
            "kernel_dim": self.kernel_dim,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
        }


def _group_size(batch: tf.Tensor, group_size: int) -> tf.Tensor:
    """Largest divisor of ``batch`` in [2, group_size]; the whole batch if there is none."""
    candidates = tf.range(group_size, 1, -1)  # group_size, ..., 2
    divides = tf.equal(batch % candidates, 0)
    return tf.cond(
        tf.reduce_any(divides),
        lambda: tf.gather(candidates, tf.argmax(tf.cast(divides, tf.int32))),
        lambda: batch,
    )


@keras.saving.register_keras_serializable(package="gans")
class MinibatchStdDev(keras.layers.Layer):
    """Minibatch standard deviation (Karras et al. 2018, ProGAN §3).

    The batch is split into groups of G samples (sample i is in group i mod N/G, as in the
    ProGAN code); per group: σ = sqrt(Var_group(x) + 1e-8) per feature/pixel (population
    variance over the group), averaged over all non-batch axes to one scalar, which is appended
    to every sample of the group as an extra channel: (N, H, W, C) → (N, H, W, C + 1)
    (any rank ≥ 2 works: (N, F) → (N, F + 1)).

    G is the largest divisor of N in [2, ``group_size``] (so G = N when N ≤ group_size); when
    there is none (e.g. N = 7, group_size = 4) the whole batch is one group. N = 1 gives 1e-4.
    Computed in float32, returned in the input dtype.
    """

    def __init__(self, group_size: int = 4, epsilon: float = 1e-8, **kwargs):
        super().__init__(**kwargs)
        if group_size < 1:
            raise ValueError(f"group_size must be >= 1, got {group_size}")
        self.group_size = int(group_size)
        self.epsilon = float(epsilon)

    def call(self, inputs):
        x = tf.cast(inputs, tf.float32)
        shape = tf.shape(x)
        n = shape[0]
        g = _group_size(n, self.group_size) if self.group_size > 1 else tf.constant(1)
        grouped = tf.reshape(x, tf.concat([[g, n // g], shape[1:]], axis=0))  # (G, M, ...)
        mean = tf.reduce_mean(grouped, axis=0, keepdims=True)
        var = tf.reduce_mean(tf.square(grouped - mean), axis=0)  # (M, ...)
        std = tf.sqrt(var + self.epsilon)
        per_group = tf.reduce_mean(tf.reshape(std, [n // g, -1]), axis=1)  # (M,)
        per_sample = tf.tile(per_group, [g])  # sample k·M + m → group m
        rank = len(inputs.shape)
        stat = tf.reshape(per_sample, [-1] + [1] * (rank - 1))
        stat = tf.broadcast_to(stat, tf.concat([shape[:-1], [1]], axis=0))
        return tf.concat([inputs, tf.cast(stat, inputs.dtype)], axis=-1)

    def compute_output_shape(self, input_shape):
        channels = input_shape[-1]
        return (*input_shape[:-1], None if channels is None else channels + 1)

    def get_config(self):
        return {**super().get_config(), "group_size": self.group_size, "epsilon": self.epsilon}


_SN_LAYERS = (keras.layers.Dense, keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.Conv3D)


@keras.saving.register_keras_serializable(package="gans")
class SpectralNorm(keras.layers.Wrapper):
    """Spectral normalization of a Dense/Conv layer's kernel (Miyato et al. 2018).

    W is reshaped to W₂ of shape (fan_in, out); one power iteration per training call
    (v ← normalize(u W₂ᵀ), u ← normalize(v W₂), u stored in the non-trainable ``vector_u``)
    estimates σ(W) = v W₂ uᵀ, and the layer runs with W / σ(W). As in the paper, u and v are
    constants for back-prop but the gradient flows through σ(W) to W (Eq. 12).

    Why not ``keras.layers.SpectralNormalization`` (Keras 3.15.1): it *assigns* W/σ into the
    wrapped layer's trainable kernel on every training-mode call, so (a) the gradient ignores
    σ(W) (a projection after each step, not the paper's reparametrization), (b) any training-
    mode forward pass, e.g. D inside the generator step, rewrites D's weights, and (c) after an
    optimizer step the stored kernel is no longer normalized for inference calls. This wrapper
    leaves the kernel alone and only updates ``vector_u`` (in training mode; inference reuses
    the stored u). Each replica computes the same u from the same mirrored kernel, so the
    replica-local assign (aggregation "none") keeps copies equal under MirroredStrategy.

    Supports Dense and Conv1D/2D/3D (not transposed or depthwise convs, nor quantized/LoRA
    Dense).
    """

    def __init__(self, layer: keras.layers.Layer, power_iterations: int = 1, **kwargs):
        if not isinstance(layer, _SN_LAYERS):
            raise TypeError(
                f"SpectralNorm supports Dense and Conv1D/2D/3D, got {type(layer).__name__}"
            )
        if power_iterations < 1:
            raise ValueError(f"power_iterations must be >= 1, got {power_iterations}")
        super().__init__(layer, **kwargs)
        self.power_iterations = int(power_iterations)

    def build(self, input_shape):
        super().build(input_shape)
        out = self.layer.kernel.shape[-1]
        self.vector_u = self.add_weight(
            name="vector_u",
            shape=(1, out),
            initializer=keras.initializers.RandomNormal(stddev=1.0),
            trainable=False,
            dtype=self.layer.kernel.dtype,
        )

    def _power_iteration(self) -> tuple[tf.Tensor, tf.Tensor]:
        """Return (σ estimate, updated u); σ is differentiable w.r.t. the kernel."""
        kernel = ops.convert_to_tensor(self.layer.kernel)
        w = ops.reshape(kernel, (-1, kernel.shape[-1]))
        u = ops.convert_to_tensor(self.vector_u)
        v = None
        for _ in range(self.power_iterations):
            v = _l2_normalize(ops.matmul(u, ops.transpose(w)))
            u = _l2_normalize(ops.matmul(v, w))
        u = ops.stop_gradient(u)
        v = ops.stop_gradient(v)
        sigma = ops.sum(ops.matmul(v, w) * u)
        return sigma, u

    def normalized_kernel(self, training: bool = False) -> tf.Tensor:
        """W / σ(W); with ``training`` also stores the new u (one power-iteration step)."""
        sigma, u = self._power_iteration()
        if training:
            self.vector_u.assign(u)
        return ops.convert_to_tensor(self.layer.kernel) / sigma

    def call(self, inputs, training=None):
        layer = self.layer
        kernel = ops.cast(self.normalized_kernel(bool(training)), layer.compute_dtype)
        x = ops.cast(inputs, layer.compute_dtype)
        if isinstance(layer, keras.layers.Dense):
            y = ops.matmul(x, kernel)
            if layer.bias is not None:
                y = y + ops.cast(layer.bias, layer.compute_dtype)
        else:
            y = layer.convolution_op(x, kernel)
            if layer.use_bias:
                if layer.data_format == "channels_last":
                    bias_shape = (1,) * (layer.rank + 1) + (layer.filters,)
                else:
                    bias_shape = (1, layer.filters) + (1,) * layer.rank
                y = y + ops.reshape(ops.cast(layer.bias, layer.compute_dtype), bias_shape)
        if layer.activation is not None:
            y = layer.activation(y)
        return y

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        return {**super().get_config(), "power_iterations": self.power_iterations}


def _l2_normalize(x, eps: float = 1e-12):
    return x / ops.sqrt(ops.maximum(ops.sum(ops.square(x)), eps))


def spectral_norm(
    layer: keras.layers.Layer, enabled: bool = True, power_iterations: int = 1
) -> keras.layers.Layer:
    """Wrap a Dense/Conv layer in :class:`SpectralNorm` when ``enabled``, else return it."""
    return SpectralNorm(layer, power_iterations=power_iterations) if enabled else layer
