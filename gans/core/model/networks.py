"""Network builders: fully connected and DCGAN generators/discriminators.

Sizes: 28 (MNIST) and any power of two from 32 to 256; channels 1, 3 or 4. Generators end
in ``tanh`` (images in [-1, 1]); discriminators return one float32 logit per image, so
losses stay in float32 under mixed precision. Dataset packages choose a builder by name
(``NETWORKS``), they do not re-implement one.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import keras
from keras import layers

from gans.core.errors import ConfigError
from gans.core.model.gan_layers import NetworkOptions, batch_norm, image_output

DEFAULT_OPTIONS = NetworkOptions()  # frozen: safe as a default argument

SUPPORTED_SIZES = (28, 32, 64, 128, 256)
SUPPORTED_CHANNELS = (1, 3, 4)


def check_shape(image_size: int, channels: int) -> None:
    """One-line ``ConfigError`` for an image size or channel count no builder supports."""
    if image_size not in SUPPORTED_SIZES:
        raise ConfigError(f"image size {image_size} not supported; choose one of {SUPPORTED_SIZES}")
    if channels not in SUPPORTED_CHANNELS:
        raise ConfigError(f"channels {channels} not supported; choose one of {SUPPORTED_CHANNELS}")


def image_input(image_size: int, channels: int) -> keras.KerasTensor:
    """A discriminator's input ``[B, S, S, C]``, after ``check_shape``."""
    check_shape(image_size, channels)
    return keras.Input((image_size, image_size, channels), name="image")


def _base_and_upsamples(image_size: int) -> tuple[int, int]:
    """Start resolution and number of 2x upsamplings: 28 = 7·2², 2^k = 4·2^(k-2)."""
    if image_size == 28:
        return 7, 2
    return 4, int(math.log2(image_size)) - 2


def _maybe_sn(layer: layers.Layer, opts: NetworkOptions) -> layers.Layer:
    """Spectral normalization as a reparametrization W/σ(W) (see gan_layers.SpectralNorm)."""
    from gans.core.model.gan_layers import spectral_norm

    return spectral_norm(layer, enabled=opts.spectral_norm)


def _d_norm(opts: NetworkOptions) -> layers.Layer | None:
    if opts.d_norm == "batch":
        return batch_norm()
    if opts.d_norm == "layer":
        return layers.LayerNormalization()
    if opts.d_norm == "none":
        return None
    raise ConfigError(f"unknown d_norm {opts.d_norm!r}; choose batch, layer or none")


def _d_head(x, opts: NetworkOptions):
    """Flatten (+ optional minibatch features) → one float32 logit."""
    if opts.minibatch_std and len(x.shape) == 4:
        from gans.core.model.gan_layers import MinibatchStdDev

        x = MinibatchStdDev()(x)
    x = layers.Flatten()(x)
    if opts.minibatch_disc > 0:
        from gans.core.model.gan_layers import MinibatchDiscrimination

        x = MinibatchDiscrimination(num_kernels=opts.minibatch_disc, kernel_dim=5)(x)
    x = layers.Identity(name="features")(x)
    x = _maybe_sn(layers.Dense(1), opts)(x)
    return layers.Activation("linear", dtype="float32", name="logit")(x)


def dcgan_generator(
    image_size: int, channels: int, noise_dim: int, opts: NetworkOptions = DEFAULT_OPTIONS
) -> keras.Model:
    """DCGAN generator (Radford et al. 2016): project, then stride-2 transposed convs.

    ``opts.upsample == "nearest"`` replaces each 4x4 stride-2 transposed conv by a 2x
    nearest-neighbour resize + 3x3 conv (Odena et al. 2016, "Deconvolution and Checkerboard
    Artifacts", Distill), which cannot produce checkerboard patterns.
    """
    check_shape(image_size, channels)
    if opts.upsample not in ("transposed", "nearest"):
        raise ConfigError(f"unknown upsample {opts.upsample!r}; choose transposed or nearest")

    def up(filters: int, **kwargs) -> Callable:
        if opts.upsample == "transposed":
            return layers.Conv2DTranspose(filters, 4, strides=2, padding="same", **kwargs)
        upsample = layers.UpSampling2D(2, interpolation="nearest")
        conv = layers.Conv2D(filters, 3, padding="same", **kwargs)
        return lambda t: conv(upsample(t))

    base, ups = _base_and_upsamples(image_size)
    filters = min(opts.width * 2 ** (ups - 1), opts.max_filters)
    z = keras.Input((noise_dim,), name="noise")
    x = layers.Dense(base * base * filters, use_bias=False)(z)
    x = batch_norm()(x)
    x = layers.ReLU()(x)
    x = layers.Reshape((base, base, filters))(x)
    for i in range(ups - 1):
        filters = min(opts.width * 2 ** (ups - 2 - i), opts.max_filters)
        x = up(filters, use_bias=False)(x)
        x = batch_norm()(x)
        x = layers.ReLU()(x)
    x = up(channels)(x)
    return keras.Model(z, image_output(x), name="dcgan_generator")


def dcgan_discriminator(
    image_size: int, channels: int, opts: NetworkOptions = DEFAULT_OPTIONS
) -> keras.Model:
    """DCGAN discriminator: stride-2 convs with LeakyReLU(0.2), no norm on the first."""
    x = img = image_input(image_size, channels)
    _, downs = _base_and_upsamples(image_size)
    for i in range(downs):
        filters = min(opts.width * 2**i, opts.max_filters)
        x = _maybe_sn(layers.Conv2D(filters, 4, strides=2, padding="same"), opts)(x)
        norm = _d_norm(opts) if i > 0 and not opts.spectral_norm else None
        if norm is not None:
            x = norm(x)
        x = layers.LeakyReLU(0.2)(x)
    return keras.Model(img, _d_head(x, opts), name="dcgan_discriminator")


def fc_generator(
    image_size: int, channels: int, noise_dim: int, opts: NetworkOptions = DEFAULT_OPTIONS
) -> keras.Model:
    """Fully connected generator (Goodfellow et al. 2014 style): 256-512-1024, tanh."""
    check_shape(image_size, channels)
    z = keras.Input((noise_dim,), name="noise")
    x = z
    for units in (256, 512, 1024):
        x = layers.Dense(units)(x)
        x = batch_norm()(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.Dense(image_size * image_size * channels)(x)
    x = layers.Reshape((image_size, image_size, channels))(x)
    return keras.Model(z, image_output(x), name="fc_generator")


def fc_discriminator(
    image_size: int, channels: int, opts: NetworkOptions = DEFAULT_OPTIONS
) -> keras.Model:
    """Fully connected discriminator: 1024-512-256 with LeakyReLU(0.2) and dropout."""
    img = image_input(image_size, channels)
    x = layers.Flatten()(img)
    for units in (1024, 512, 256):
        x = _maybe_sn(layers.Dense(units), opts)(x)
        x = layers.LeakyReLU(0.2)(x)
        if opts.dropout > 0:
            x = layers.Dropout(opts.dropout)(x)
    return keras.Model(img, _d_head(x, opts), name="fc_discriminator")


def fastgan_generator(
    image_size: int, channels: int, noise_dim: int, opts: NetworkOptions = DEFAULT_OPTIONS
) -> keras.Model:
    """FastGAN generator (Liu et al., ICLR 2021); see ``gans.core.model.fastgan``."""
    from gans.core.model import fastgan  # lazy: fastgan imports this module

    return fastgan.fastgan_generator(image_size, channels, noise_dim, opts)


def fastgan_discriminator(
    image_size: int, channels: int, opts: NetworkOptions = DEFAULT_OPTIONS
) -> keras.Model:
    """FastGAN discriminator with its decoders and ``reconstruct`` (the ``fastgan`` module)."""
    from gans.core.model import fastgan

    return fastgan.fastgan_discriminator(image_size, channels, opts)


GeneratorBuilder = Callable[..., keras.Model]
DiscriminatorBuilder = Callable[..., keras.Model]

NETWORKS: dict[str, tuple[GeneratorBuilder, DiscriminatorBuilder]] = {
    "dcgan": (dcgan_generator, dcgan_discriminator),
    "fc": (fc_generator, fc_discriminator),
    "fastgan": (fastgan_generator, fastgan_discriminator),
}


def build_networks(
    name: str,
    image_size: int,
    channels: int,
    noise_dim: int,
    opts: NetworkOptions = DEFAULT_OPTIONS,
    num_classes: int = 0,
) -> tuple[keras.Model, keras.Model]:
    """``(generator, discriminator)`` for a ``--network`` value.

    With ``num_classes`` > 0 both are class-conditional: G takes ``[noise, label]`` (the
    label embedded and concatenated to the noise, Mirza & Osindero 2014) and D takes
    ``[image, label]`` with a projection head (Miyato & Koyama 2018).
    """
    if name not in NETWORKS:
        raise ConfigError(f"unknown network {name!r}; choose one of {sorted(NETWORKS)}")
    make_g, make_d = NETWORKS[name]
    if num_classes <= 0:
        return make_g(image_size, channels, noise_dim, opts), make_d(image_size, channels, opts)
    generator = make_g(image_size, channels, noise_dim + CLASS_EMBEDDING, opts)
    discriminator = make_d(image_size, channels, opts)
    return (
        conditional_generator(generator, noise_dim, num_classes),
        projection_discriminator(discriminator, num_classes, opts),
    )


CLASS_EMBEDDING = 32


def conditional_generator(base: keras.Model, noise_dim: int, num_classes: int) -> keras.Model:
    """``[noise, label]`` → image: the label's embedding concatenated to the noise."""
    noise = keras.Input((noise_dim,), name="noise")
    label = keras.Input((), dtype="int32", name="label")
    embedded = layers.Embedding(num_classes, CLASS_EMBEDDING, name="class_embedding")(label)
    image = base(layers.Concatenate()([noise, embedded]))
    return keras.Model([noise, label], image, name=f"conditional_{base.name}")


def projection_discriminator(
    base: keras.Model, num_classes: int, opts: NetworkOptions
) -> keras.Model:
    """``[image, label]`` → ``ψ(h) + ⟨embed(label), h⟩`` over D's features ``h``
    (Miyato & Koyama 2018). A FastGAN discriminator keeps its decoders and ``reconstruct``
    (``fastgan.ProjectionFastGANDiscriminator``)."""
    if hasattr(base, "reconstruct"):
        from gans.core.model.fastgan import ProjectionFastGANDiscriminator

        return ProjectionFastGANDiscriminator(base, num_classes)
    image = keras.Input(base.input_shape[1:], name="image")
    label = keras.Input((), dtype="int32", name="label")
    features = keras.Model(base.input, base.get_layer("features").output)(image)
    unconditional = _maybe_sn(layers.Dense(1), opts)(features)
    embedded = layers.Embedding(num_classes, features.shape[-1], name="projection")(label)
    projection = layers.Dot(axes=1)([embedded, features])
    logit = layers.Add()([unconditional, projection])
    logit = layers.Activation("linear", dtype="float32", name="logit")(logit)
    return keras.Model([image, label], logit, name=f"projection_{base.name}")
