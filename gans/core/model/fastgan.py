"""FastGAN generator and discriminator (``--network=fastgan``).

Liu, Zhu, Song & Elgammal, ICLR 2021, "Towards Faster and Stabilized GAN Training for
High-fidelity Few-shot Image Synthesis" (arXiv:2101.04775), checked against the paper and
its reference code (odegeasslbc/FastGAN-pytorch, ``models.py``).

Sizes 32, 64, 128 and 256, channels 1, 3 or 4. Channel counts follow the paper's ``nfc``
tables, scaled by ``opts.width`` (the paper's ngf = ndf = 64) and capped by
``opts.max_filters``.

Generator (``fastgan_generator``):
  noise → dense to 4×4×2c + BN + GLU (same as the paper's 4×4 transposed conv from 1×1),
  then one up-block per octave: nearest ×2 → 3×3 conv to 2× channels → BN → GLU. The blocks
  at 8, 32 and 128 px are the paper's UpBlockComp (a second 3×3 conv + BN + GLU and
  per-pixel noise injection with a learned scalar weight, initialised to 0, after each conv).
  Skip-layer excitation (SLE) gates a map channel-wise with a function of a map four octaves
  lower, as the reference code does at 256 px (4→64, 8→128, 16→256):

  ====== ==================================================
  size   SLE pairs (low → high resolution)
  ====== ==================================================
  32     4→32 (three octaves: the only pair a 32 px net has)
  64     4→64
  128    4→64, 8→128
  256    4→64, 8→128, 16→256
  ====== ==================================================

  Last: 3×3 conv to ``channels`` → tanh (float32). The noise injection draws new noise on
  every training call, as in the paper, and uses one fixed map per layer at inference (see
  :class:`NoiseInjection`); with its weights still 0 (at init) it adds nothing.
  ``opts.g_spectral_norm`` wraps G's dense, convs and SLE convs in spectral normalization,
  as the reference code does (its ``conv2d`` helper is spectral-normed in G as in D); off
  by default (no better in a 600 CPU-s screen, docs/ablation.md).

Discriminator (``fastgan_discriminator`` → :class:`FastGANDiscriminator`):
  3×3 conv + LeakyReLU(0.2) at full resolution, then DownBlockComp blocks down to 8×8
  (4×4 stride-2 conv + BN + LReLU → 3×3 conv + BN + LReLU, averaged with avg-pool 2 + 1×1
  conv + BN + LReLU). SLE inside D as in the reference code: a map at resolution r is gated
  by the map at 8r (256 px: 256→32, 128→16, 64→8; 128 px: 128→16, 64→8; 64 px: 64→8;
  32 px: none). All convs and the head are spectral-normed (the reference code wraps every
  conv), whatever ``opts.spectral_norm`` says. Head: 1×1 conv + BN + LReLU on the 8×8 map,
  flatten (layer ``"features"``), spectral-normed dense → one float32 logit (layer
  ``"logit"``), like the project's other discriminators (the paper's 4×4 valid conv gives
  5×5 patch logits instead). ``opts.d_head="pool"`` global-average-pools the 8×8 map
  instead of flattening it: the logit is then the mean of 1×1 patch logits, the same at
  every position (translation-invariant like the paper's patch head, which averages the
  hinge over its patches where this averages the logits first).

  Two decoders (the paper's SimpleDecoder: up-blocks nearest ×2 → 3×3 conv → BN → GLU, then
  3×3 conv → tanh) rebuild, from the real image's features, the whole image from the 8×8 map
  and one quadrant (of four, chosen by the caller) of the image from the same quadrant of
  the 16×16 map:

  ====== ======================= ==========================
  size   whole image (8×8 map)   quadrant (8×8 of 16×16)
  ====== ======================= ==========================
  32     32 px (2 up-blocks)     16 px (1 up-block)
  64     64 px (3 up-blocks)     32 px (2 up-blocks)
  128    128 px (4 up-blocks)    64 px (3 up-blocks)
  256    128 px (4 up-blocks)    128 px (4 up-blocks)
  ====== ======================= ==========================

  Targets larger than the decoder's output are average-pooled down to it (at 256 px the
  whole image, as the paper's 128 px reconstruction).

Reconstruction loss: the paper uses LPIPS (VGG) + MSE; VGG weights cannot be fetched here,
so :func:`reconstruction_loss` is weights-free: the mean of the per-pixel MSE at full, ½ and
¼ resolution (average-pooled; coarser scales only while at least 4 px remain), per example.
"""

from __future__ import annotations

import zlib

import keras
import tensorflow as tf
from keras import layers, ops

from gans.core.errors import ConfigError
from gans.core.model.gan_layers import NetworkOptions, batch_norm, image_output, spectral_norm

FASTGAN_SIZES = (32, 64, 128, 256)

# The paper's channel multipliers per resolution (models.py, ``nfc_multi``), times ngf/ndf.
_G_MULT = {4: 16, 8: 8, 16: 4, 32: 2, 64: 2, 128: 1, 256: 0.5}
_D_MULT = {4: 16, 8: 16, 16: 8, 32: 4, 64: 2, 128: 1, 256: 0.5, 512: 0.25}
# Resolutions whose up-block is the paper's UpBlockComp (two convs, noise injection).
_COMP_BLOCKS = (8, 32, 128)


def check_fastgan_shape(image_size: int, channels: int) -> None:
    """One-line ``ConfigError`` for a size or channel count FastGAN does not support."""
    if image_size not in FASTGAN_SIZES:
        raise ConfigError(
            f"fastgan needs a power-of-two image size in {FASTGAN_SIZES}, got {image_size}"
        )
    if channels not in (1, 3, 4):
        raise ConfigError(f"channels {channels} not supported; choose one of (1, 3, 4)")


def _channels(mult: float, width: int, max_filters: int) -> int:
    return max(1, min(int(mult * width), max_filters))


def g_sle_pairs(image_size: int) -> list[tuple[int, int]]:
    """Generator SLE pairs ``(low, high)`` resolutions for an image size (see module doc)."""
    if image_size == 32:
        return [(4, 32)]
    return [(r // 16, r) for r in (64, 128, 256) if r <= image_size]


def d_sle_pairs(image_size: int) -> list[tuple[int, int]]:
    """Discriminator SLE pairs ``(high, low)``: the map at ``high`` gates the one at ``low``."""
    return [(8 * r, r) for r in (8, 16, 32) if 8 * r <= image_size]


def decoder_sizes(image_size: int) -> tuple[int, int]:
    """Output sizes of the (whole-image, quadrant) decoders (see module doc)."""
    return min(image_size, 128), min(image_size // 2, 128)


# ------------------------------------------------------------------------------------ layers
@keras.saving.register_keras_serializable(package="gans")
class GLU(layers.Layer):
    """Gated linear unit over channels: ``a · sigmoid(b)`` for ``[a, b] = split(x, 2)``."""

    def call(self, inputs):
        a, b = ops.split(inputs, 2, axis=-1)
        return a * ops.sigmoid(b)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] // 2)


@keras.saving.register_keras_serializable(package="gans")
class NoiseInjection(layers.Layer):
    """``x + w · n``, n ~ N(0, 1) per pixel (shared over channels), w a learned scalar (init 0).

    Training draws new noise on every call, as the paper's NoiseInjection. Inference uses
    one fixed noise map per layer (StyleGAN2's ``noise_mode='const'``, Karras et al. 2020),
    so the same latent always gives the same image: ``generate --seed`` repeats itself and
    a sample does not depend on the rest of its batch.
    """

    def build(self, input_shape):
        self.weight = self.add_weight(name="weight", shape=(), initializer="zeros")

    def call(self, inputs, training=None):
        # tf.random (no seed-state variable), so it runs in tf.function and under strategies.
        shape = tf.shape(inputs)
        if training:
            noise = tf.random.normal([shape[0], shape[1], shape[2], 1], dtype=inputs.dtype)
        else:
            seed = [zlib.crc32(self.name.encode()), 0]
            noise = tf.random.stateless_normal([1, shape[1], shape[2], 1], seed, dtype=inputs.dtype)
        return inputs + ops.cast(self.weight, inputs.dtype) * noise


@keras.saving.register_keras_serializable(package="gans")
class SkipLayerExcitation(layers.Layer):
    """Skip-layer excitation (FastGAN §3.1, Eq. 1): ``y = x_high · F(x_low)``.

    F: adaptive average pool of ``x_low`` to 4×4 → 4×4 valid conv → LeakyReLU(0.1) (the
    paper's Fig. 3; the reference code uses Swish) → 1×1 conv → sigmoid, a [B, 1, 1, C_high]
    gate. Called on ``[x_low, x_high]``. ``spectral``
    wraps both convs in spectral normalization (the discriminator's SLE).
    """

    def __init__(self, channels: int, spectral: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.channels = int(channels)
        self.spectral = bool(spectral)
        self.conv4 = spectral_norm(
            layers.Conv2D(self.channels, 4, padding="valid", use_bias=False, name="conv4"),
            enabled=self.spectral,
        )
        self.conv1 = spectral_norm(
            layers.Conv2D(self.channels, 1, use_bias=False, name="conv1"), enabled=self.spectral
        )

    def build(self, input_shape):
        low, _ = input_shape
        self.conv4.build((low[0], 4, 4, low[-1]))
        self.conv1.build((low[0], 1, 1, self.channels))

    def gate(self, low, training=None):
        """The channel gate F(x_low), shape [B, 1, 1, channels]."""
        size = low.shape[1]
        if size is None or size % 4:
            raise ValueError(f"SLE needs a low-resolution map of 4·k pixels, got {size}")
        k = size // 4
        if k > 1:
            low = ops.mean(ops.reshape(low, (-1, 4, k, 4, k, low.shape[-1])), axis=(2, 4))
        g = self.conv4(low, training=training)
        g = ops.leaky_relu(g, negative_slope=0.1)
        return ops.sigmoid(self.conv1(g, training=training))

    def call(self, inputs, training=None):
        low, high = inputs
        return high * ops.cast(self.gate(low, training=training), high.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape[1]

    def get_config(self):
        return {**super().get_config(), "channels": self.channels, "spectral": self.spectral}


# --------------------------------------------------------------------------------- generator
def _up_block(x, filters: int, comp: bool, spectral: bool = False):
    """Nearest ×2 → 3×3 conv (2·filters) → [noise] → BN → GLU (→ same again when ``comp``)."""
    x = layers.UpSampling2D(2, interpolation="nearest")(x)
    for i in range(2 if comp else 1):
        conv = layers.Conv2D(2 * filters, 3, padding="same", use_bias=False)
        x = spectral_norm(conv, enabled=spectral)(x)
        if comp:  # named by place: the name seeds the inference noise map
            x = NoiseInjection(name=f"noise_{x.shape[1]}px_{i}")(x)
        x = batch_norm()(x)
        x = GLU()(x)
    return x


def fastgan_generator(
    image_size: int, channels: int, noise_dim: int, opts: NetworkOptions | None = None
) -> keras.Model:
    """FastGAN generator (Liu et al., ICLR 2021): GLU up-blocks with skip-layer excitation.

    ``noise`` [B, noise_dim] → image [B, image_size, image_size, channels] in [-1, 1]
    (float32). See the module docstring for the layout and the SLE pairs per size.
    """
    check_fastgan_shape(image_size, channels)
    opts = opts or NetworkOptions()

    def nfc(r: int) -> int:
        return _channels(_G_MULT[r], opts.width, opts.max_filters)

    sn = opts.g_spectral_norm
    z = keras.Input((noise_dim,), name="noise")
    x = spectral_norm(layers.Dense(4 * 4 * 2 * nfc(4), use_bias=False), enabled=sn)(z)
    x = layers.Reshape((4, 4, 2 * nfc(4)))(x)
    x = batch_norm()(x)
    x = GLU()(x)
    maps = {4: x}
    gates = dict((high, low) for low, high in g_sle_pairs(image_size))
    r = 4
    while r < image_size:
        r *= 2
        x = _up_block(x, nfc(r), comp=r in _COMP_BLOCKS, spectral=sn)
        if r in gates:
            sle = SkipLayerExcitation(nfc(r), spectral=sn, name=f"sle_{gates[r]}_{r}")
            x = sle([maps[gates[r]], x])
        maps[r] = x
    to_image = layers.Conv2D(channels, 3, padding="same", use_bias=False, name="to_image")
    x = spectral_norm(to_image, enabled=sn)(x)
    out = image_output(x)
    return keras.Model(z, out, name="fastgan_generator")


# ----------------------------------------------------------------------------- discriminator
def _sn_conv(filters: int, kernel: int, strides: int = 1, padding: str = "same", name=None):
    conv = layers.Conv2D(filters, kernel, strides, padding=padding, use_bias=False, name=name)
    return spectral_norm(conv)


def _down_block(x, filters: int):
    """The paper's DownBlockComp: (strided conv path + avg-pool/1×1 path) / 2."""
    main = _sn_conv(filters, 4, strides=2)(x)
    main = layers.LeakyReLU(0.2)(batch_norm()(main))
    main = _sn_conv(filters, 3)(main)
    main = layers.LeakyReLU(0.2)(batch_norm()(main))
    direct = layers.AveragePooling2D(2)(x)
    direct = _sn_conv(filters, 1)(direct)
    direct = layers.LeakyReLU(0.2)(batch_norm()(direct))
    return layers.Average()([main, direct])


def _decoder(in_shape: tuple[int, int, int], out_size: int, channels: int, opts, name: str):
    """SimpleDecoder: up-blocks (nearest ×2 → 3×3 conv → BN → GLU), 3×3 conv → tanh."""
    feats = keras.Input(in_shape, name="features")
    x = feats
    r = in_shape[0]
    while r < out_size:
        r *= 2
        # The paper's decoder uses nfc for ngf = 32 (half the default width).
        x = _up_block(x, _channels(_G_MULT[r], opts.width / 2, opts.max_filters), comp=False)
    x = _sn_conv(channels, 3, name="to_image")(x)
    out = image_output(x)
    return keras.Model(feats, out, name=name)


def _avg_pool_to(x: tf.Tensor, size: int) -> tf.Tensor:
    factor = x.shape[1] // size
    if factor <= 1:
        return x
    return tf.nn.avg_pool2d(x, factor, factor, "VALID")


def _quadrant(x: tf.Tensor, quadrants: tf.Tensor) -> tf.Tensor:
    """Per example, quadrant q of x: 0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right."""
    h, w = x.shape[1] // 2, x.shape[2] // 2
    parts = tf.stack([x[:, :h, :w], x[:, :h, w:], x[:, h:, :w], x[:, h:, w:]], axis=1)
    return tf.gather(parts, tf.cast(quadrants, tf.int32), axis=1, batch_dims=1)


def reconstruction_loss(decoded, target) -> tf.Tensor:
    """Per-example weights-free reconstruction loss, float32 [B].

    Mean over scales s ∈ {1, ½, ¼} (average-pooled; a scale is used while at least 4 px
    remain) of the per-pixel mean squared error. Stands in for the paper's LPIPS + MSE,
    since LPIPS needs pretrained VGG weights. Zero iff ``decoded == target``.
    """
    decoded = tf.cast(decoded, tf.float32)
    target = tf.cast(target, tf.float32)
    terms = []
    for _ in range(3):
        terms.append(tf.reduce_mean(tf.square(decoded - target), axis=[1, 2, 3]))
        if decoded.shape[1] is None or decoded.shape[1] < 8:
            break
        decoded = tf.nn.avg_pool2d(decoded, 2, 2, "VALID")
        target = tf.nn.avg_pool2d(target, 2, 2, "VALID")
    return tf.add_n(terms) / float(len(terms))


class FastGANDiscriminator(keras.Model):
    """FastGAN discriminator with its two self-supervised decoders (Liu et al., ICLR 2021).

    A functional Keras model ``image → logit`` ([B, 1] float32; layers ``"features"`` and
    ``"logit"`` as in the other discriminators). The decoders are sub-models held as
    attributes, so ``trainable_variables`` and ``tf.train.Checkpoint`` include them.
    :meth:`reconstruct` runs the trunk once for the logits and the decoders' loss on reals.
    """

    def __init__(self, image_size: int, channels: int, opts: NetworkOptions | None = None):
        check_fastgan_shape(image_size, channels)
        opts = opts or NetworkOptions()

        def nfc(r: int) -> int:
            # A map at resolution r has the paper's nfc[2r] channels.
            return _channels(_D_MULT[2 * r], opts.width, opts.max_filters)

        image = keras.Input((image_size, image_size, channels), name="image")
        x = layers.LeakyReLU(0.2)(_sn_conv(nfc(image_size), 3)(image))
        maps = {image_size: x}
        gates = {low: high for high, low in d_sle_pairs(image_size)}
        r = image_size
        while r > 8:
            r //= 2
            x = _down_block(x, nfc(r))
            if r in gates:
                sle = SkipLayerExcitation(nfc(r), spectral=True, name=f"sle_{gates[r]}_{r}")
                x = sle([maps[gates[r]], x])
            maps[r] = x
        feat_8, feat_16 = maps[8], maps[16]
        h = _sn_conv(_channels(_D_MULT[8], opts.width, opts.max_filters), 1)(feat_8)
        h = layers.LeakyReLU(0.2)(batch_norm()(h))
        h = layers.GlobalAveragePooling2D()(h) if opts.d_head == "pool" else layers.Flatten()(h)
        h = layers.Identity(name="features")(h)
        h = spectral_norm(layers.Dense(1))(h)
        logit = layers.Activation("linear", dtype="float32", name="logit")(h)
        super().__init__(inputs=image, outputs=logit, name="fastgan_discriminator")

        self.image_size = image_size
        self.image_channels = channels
        self.whole_size, self.part_size = decoder_sizes(image_size)
        self.trunk = keras.Model(image, [logit, feat_8, feat_16], name="fastgan_trunk")
        self.decoder_whole = _decoder(
            tuple(feat_8.shape[1:]), self.whole_size, channels, opts, "decoder_whole"
        )
        part_in = (8, 8, feat_16.shape[-1])
        self.decoder_part = _decoder(part_in, self.part_size, channels, opts, "decoder_part")

    def reconstruct(self, images, quadrants, training=True):
        """``(logits [B, 1] float32, per_example_loss [B] float32)`` from one trunk pass.

        ``images``: the (augmented) real images [B, H, W, C] in [-1, 1]; ``quadrants``: int32
        [B] in 0..3 (0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right), the quadrant
        of the 16×16 map (and of the image) the part decoder rebuilds. The loss is
        ``reconstruction_loss`` of the whole image plus that of the quadrant.
        """
        images = tf.convert_to_tensor(images)
        logits, feat_8, feat_16 = self.trunk(images, training=training)
        loss = decoder_loss(self, images, quadrants, feat_8, feat_16, training)
        return tf.cast(logits, tf.float32), loss


def decoder_loss(d, images, quadrants, feat_8, feat_16, training=True) -> tf.Tensor:
    """Per-example loss of the two decoders of ``d`` (``decoder_whole``/``decoder_part``,
    ``whole_size``/``part_size``) rebuilding ``images`` from their 8×8 and 16×16 maps."""
    whole = d.decoder_whole(feat_8, training=training)
    part = d.decoder_part(_quadrant(feat_16, quadrants), training=training)
    target = tf.cast(images, tf.float32)
    whole_target = _avg_pool_to(target, d.whole_size)
    part_target = _avg_pool_to(_quadrant(target, quadrants), d.part_size)
    return reconstruction_loss(whole, whole_target) + reconstruction_loss(part, part_target)


def fastgan_discriminator(
    image_size: int, channels: int, opts: NetworkOptions | None = None
) -> FastGANDiscriminator:
    """FastGAN discriminator (see :class:`FastGANDiscriminator` and the module docstring)."""
    return FastGANDiscriminator(image_size, channels, opts)


class ProjectionFastGANDiscriminator(keras.Model):
    """Class-conditional FastGAN discriminator that can still ``reconstruct``.

    ``[image, label]`` → ``ψ(h) + ⟨embed(label), h⟩`` over the FastGAN trunk's features
    ``h`` (the projection discriminator, Miyato & Koyama, ICLR 2018), with a new
    spectral-normed head ψ in place of the unconditional one. The trunk's layers and both
    self-supervised decoders are the base discriminator's, so :meth:`reconstruct` runs
    the trunk once for the conditional logits and the decoders' loss (Liu et al. 2021).
    """

    def __init__(self, base: FastGANDiscriminator, num_classes: int):
        super().__init__(name=f"projection_{base.name}")
        features = base.get_layer("features").output
        _, feat_8, feat_16 = base.trunk.outputs
        # Not the base itself: its unconditional head would get no gradients.
        self.trunk = keras.Model(base.input, [features, feat_8, feat_16], name="fastgan_trunk")
        self.decoder_whole = base.decoder_whole
        self.decoder_part = base.decoder_part
        self.whole_size, self.part_size = base.whole_size, base.part_size
        self.head = spectral_norm(layers.Dense(1, name="unconditional"))
        self.embedding = layers.Embedding(num_classes, features.shape[-1], name="projection")
        self.num_classes = num_classes
        image_shape = tuple(base.input_shape[1:])
        self.build([(None, *image_shape), (None,)])

    def build(self, input_shape):
        features = self.trunk.outputs[0].shape[-1]
        self.head.build((None, features))
        self.embedding.build((None,))
        self.built = True

    def _logits(self, features, labels):
        labels = tf.cast(labels, tf.int32)
        projection = tf.reduce_sum(
            tf.cast(self.embedding(labels), features.dtype) * features, axis=-1, keepdims=True
        )
        return tf.cast(self.head(features) + projection, tf.float32)

    def call(self, inputs, training=None):
        images, labels = inputs
        features, _, _ = self.trunk(images, training=training)
        return self._logits(features, labels)

    def reconstruct(self, inputs, quadrants, training=True):
        """``(logits [B, 1], per_example_loss [B])`` for ``[images, labels]`` of reals,
        from one trunk pass (see :meth:`FastGANDiscriminator.reconstruct`)."""
        images, labels = inputs
        images = tf.convert_to_tensor(images)
        features, feat_8, feat_16 = self.trunk(images, training=training)
        loss = decoder_loss(self, images, quadrants, feat_8, feat_16, training)
        return self._logits(features, labels), loss
