"""The one tf.data provider: TFRecord shards → batches of (images in [-1, 1], noise).

The noise is a pure function of ``(seed, epoch, step)``, so a resumed run draws exactly the
noise an uninterrupted one would have. The shuffle order is seeded by ``(seed, first epoch
of this process)``: deterministic for a given resume point, but not the order an
uninterrupted run would have used (tf.data's shuffle takes only a Python seed).
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np
import tensorflow as tf

from gans.core.data.tfrecord_writer import read_manifest
from gans.core.errors import DataError, MissingDataError

DATA_AUGMENTATIONS = ("flip", "rotate", "shift", "zoom")

_REDO = "delete the folder and convert again"

_FEATURES = {
    "image": tf.io.FixedLenFeature([], tf.string),
    "label": tf.io.FixedLenFeature([], tf.int64, default_value=-1),
}


def dataset_info(tfrecord_dir: str | os.PathLike) -> dict:
    """The manifest of a converted dataset, with a one-line error if there is none."""
    manifest = read_manifest(tfrecord_dir)
    if manifest is None:
        raise MissingDataError(
            f"{tfrecord_dir}: no converted dataset (manifest.json missing); run the converter"
        )
    for shard in manifest["shards"]:
        path = Path(tfrecord_dir) / shard
        if not path.is_file():
            raise DataError(f"{path}: shard listed in the manifest is missing; {_REDO}")
        expected = manifest.get("shard_bytes", {}).get(shard)
        if expected is not None and path.stat().st_size != expected:
            raise DataError(
                f"{path}: {path.stat().st_size} bytes, the manifest says {expected} "
                f"(truncated or replaced); {_REDO}"
            )
    return manifest


def _manifest_for(tfrecord_dir: str | os.PathLike, channels: int) -> dict:
    """The manifest, checked to hold images with the channel count training asks for."""
    manifest = dataset_info(tfrecord_dir)
    if manifest["channels"] != channels:
        raise DataError(
            f"{tfrecord_dir}: stored images have {manifest['channels']} channels, "
            f"training asks for {channels}; convert again with the right channels"
        )
    return manifest


def verify_records(tfrecord_dir: str | os.PathLike, channels: int) -> dict:
    """Read every record once (CRC checks) and check the stored image shape, so a corrupt
    shard or one written for another size or channel count fails *before* training,
    naming the file. Returns the manifest."""
    manifest = _manifest_for(tfrecord_dir, channels)
    stored = (manifest["image_size"], manifest["image_size"], manifest["channels"])
    shape_features = {
        k: tf.io.FixedLenFeature([], tf.int64) for k in ("height", "width", "channels")
    }
    for shard in manifest["shards"]:
        path = Path(tfrecord_dir) / shard
        records = tf.data.TFRecordDataset(str(path))
        try:
            first = next(iter(records.take(1)), None)
            count = int(records.reduce(np.int64(0), lambda n, _: n + 1))
        except tf.errors.OpError as err:
            reason = err.message.splitlines()[0] if err.message else type(err).__name__
            raise DataError(f"{path}: corrupt TFRecord shard ({reason}); {_REDO}") from None
        if first is None or count == 0:
            raise DataError(f"{path}: empty shard; {_REDO}")
        parsed = tf.io.parse_single_example(first, shape_features)
        shape = tuple(int(parsed[k]) for k in ("height", "width", "channels"))
        if shape != stored:
            raise DataError(
                f"{path}: holds {shape[0]}x{shape[1]}x{shape[2]} images, the manifest says "
                f"{stored[0]}x{stored[1]}x{stored[2]}; {_REDO}"
            )
    return manifest


_SEED_STRIDE = 1_000_003  # a prime: (seed, epoch) pairs map to distinct integers


def shuffle_seed(seed: int, start_epoch: int) -> int:
    """The shuffle seed of a pipeline that starts at ``start_epoch``."""
    return seed * _SEED_STRIDE + start_epoch


def batch_noise(
    seed: int, epoch: tf.Tensor, stream: tf.Tensor, batch_size: int, noise_dim: int
) -> tf.Tensor:
    """Generator noise N(0, 1) ``[batch_size, noise_dim]``, a pure function of
    ``(seed, epoch, stream)``: a resumed run draws what an uninterrupted one would have."""
    return tf.random.stateless_normal(
        [batch_size, noise_dim],
        seed=tf.stack([tf.cast(seed, tf.int64) * _SEED_STRIDE + epoch, stream]),
    )


def steps_per_epoch(count: int, global_batch_size: int, cap: int = 0) -> int:
    """Full batches per epoch (drop remainder), optionally capped by ``cap`` > 0."""
    steps = count // global_batch_size
    if steps == 0:
        raise ValueError(
            f"dataset has {count} images, fewer than one batch of {global_batch_size}; "
            "lower --batch_size"
        )
    return min(steps, cap) if cap > 0 else steps


def decode_images(
    tfrecord_dir: str | os.PathLike, image_size: int, channels: int, with_labels: bool = False
) -> tf.data.Dataset:
    """Parse → decode PNG → resize if needed → float32 in [-1, 1] (no shuffle, no batch)."""
    pixels = decode_pixels(tfrecord_dir, image_size, channels, with_labels)
    if with_labels:
        return pixels.map(lambda image, label: (to_unit_range(image), label))
    return pixels.map(to_unit_range)


def to_unit_range(pixels: tf.Tensor) -> tf.Tensor:
    """uint8 pixels (any shape) → float32 in [-1, 1]."""
    return tf.cast(pixels, tf.float32) / 127.5 - 1.0


def decode_pixels(
    tfrecord_dir: str | os.PathLike, image_size: int, channels: int, with_labels: bool = False
) -> tf.data.Dataset:
    """Parse → decode PNG → resize if needed, as **uint8** ``[S, S, C]`` images.

    uint8 is what the in-memory cache holds: a quarter of float32's memory (12k images at
    256 px: 2.4 GB instead of 9.4 GB). A resized image is rounded back to uint8.
    """
    manifest = _manifest_for(tfrecord_dir, channels)
    files = [str(Path(tfrecord_dir) / s) for s in manifest["shards"]]
    stored = manifest["image_size"]

    def parse(record: tf.Tensor):
        parsed = tf.io.parse_single_example(record, _FEATURES)
        image = tf.io.decode_png(parsed["image"], channels=channels)
        image = tf.ensure_shape(image, [stored, stored, channels])
        if stored != image_size:
            image = tf.image.resize(image, [image_size, image_size], antialias=True)
            image = tf.saturate_cast(tf.round(image), tf.uint8)
        return (image, parsed["label"]) if with_labels else image

    files_ds = tf.data.Dataset.from_tensor_slices(files)
    records = files_ds.interleave(
        tf.data.TFRecordDataset,
        cycle_length=min(len(files), 8),
        num_parallel_calls=tf.data.AUTOTUNE,
        deterministic=True,
    )
    return records.map(parse, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)


def classic_augmentation(names: tuple[str, ...], seed: int = 0):
    """Keras preprocessing layers for ``--data_augment`` (flip, rotate ±10°, shift ±10%,
    zoom ±10%), applied to real batches in the input pipeline (reflect fill)."""
    import keras

    unknown = set(names) - set(DATA_AUGMENTATIONS)
    if unknown:
        raise ValueError(f"unknown data augmentation {sorted(unknown)}; use {DATA_AUGMENTATIONS}")
    layers = {
        "flip": lambda: keras.layers.RandomFlip("horizontal", seed=seed),
        "rotate": lambda: keras.layers.RandomRotation(0.028, fill_mode="reflect", seed=seed),
        "shift": lambda: keras.layers.RandomTranslation(0.1, 0.1, fill_mode="reflect", seed=seed),
        "zoom": lambda: keras.layers.RandomZoom(0.1, fill_mode="reflect", seed=seed),
    }
    return keras.Sequential([layers[n]() for n in DATA_AUGMENTATIONS if n in names])


@dataclasses.dataclass(frozen=True)
class EpochPlan:
    """What a trainer reads: the global batch, the image shape, the noise size, the seed
    and the epochs ``start_epoch`` … ``end_epoch - 1`` (each capped at
    ``steps_per_epoch_cap`` batches when > 0). The keyword arguments of
    ``provide_dataset``, as one value for the other input paths (the tf.data service)."""

    global_batch_size: int
    image_size: int
    channels: int
    noise_dim: int
    seed: int = 0
    start_epoch: int = 0
    end_epoch: int = 1
    steps_per_epoch_cap: int = 0

    def kwargs(self) -> dict:
        return dataclasses.asdict(self)


def provide_dataset(
    tfrecord_dir: str | os.PathLike,
    global_batch_size: int,
    image_size: int,
    channels: int,
    noise_dim: int,
    seed: int = 0,
    start_epoch: int = 0,
    end_epoch: int = 1,
    steps_per_epoch_cap: int = 0,
    cache: bool = True,
    shuffle_buffer: int = 10_000,
    data_augment: tuple[str, ...] = (),
    with_labels: bool = False,
    balanced_classes: bool = False,
) -> tuple[tf.data.Dataset, int]:
    """Batches ``(images [B, S, S, C] in [-1, 1], noise [B, noise_dim])`` and steps/epoch.

    With ``with_labels`` the batches are ``(images, noise, labels [B] int32)``. With
    ``balanced_classes`` the shuffle step draws every class equally often instead
    (``class_balanced``): an "epoch" is still ``count // batch`` steps.

    Steps: interleave shards → parse → decode PNG → resize (if stored at another size) →
    cache (in memory, as uint8) → shuffle (reshuffled each epoch) → batch(drop_remainder) →
    take(steps) → repeat for epochs ``start_epoch`` … ``end_epoch - 1`` → scale the batch to
    [-1, 1] → classic augmentation (``data_augment``) → noise N(0, 1) seeded by (seed, epoch,
    step) → prefetch(AUTOTUNE), so
    ``fit(initial_epoch=start_epoch, steps_per_epoch=steps)`` consumes it exactly.
    """
    info = dataset_info(tfrecord_dir)
    count = info["count"]
    steps = steps_per_epoch(count, global_batch_size, steps_per_epoch_cap)
    labelled = with_labels or balanced_classes
    images = decode_pixels(tfrecord_dir, image_size, channels, with_labels=labelled)
    if cache:
        images = images.cache()
    epochs = max(end_epoch - start_epoch, 0)
    if balanced_classes:
        from gans.core.data.class_balance import class_balanced

        balanced = class_balanced(images, info, shuffle_seed(seed, start_epoch), shuffle_buffer)
        batches = balanced.batch(global_batch_size, drop_remainder=True).take(steps * epochs)
        if not with_labels:
            batches = batches.map(lambda image, label: image)
    else:
        shuffled = images.shuffle(
            min(count, shuffle_buffer),
            seed=shuffle_seed(seed, start_epoch),
            reshuffle_each_iteration=True,
        )
        batches = shuffled.batch(global_batch_size, drop_remainder=True)
        batches = batches.take(steps).repeat(epochs)

    def add_noise(index: tf.Tensor, batch: tf.Tensor):
        epoch = start_epoch + index // steps
        noise = batch_noise(seed, epoch, index % steps, global_batch_size, noise_dim)
        if with_labels:
            return batch[0], noise, tf.cast(batch[1], tf.int32)
        return batch, noise

    if with_labels:
        batches = batches.map(lambda image, label: (to_unit_range(image), label))
    else:
        batches = batches.map(to_unit_range)
    if data_augment:
        augmenter = classic_augmentation(data_augment, seed)

        def augment(batch):
            if with_labels:
                return augmenter(batch[0], training=True), batch[1]
            return augmenter(batch, training=True)

        batches = batches.map(augment, num_parallel_calls=2)
    dataset = batches.enumerate().map(add_noise).prefetch(tf.data.AUTOTUNE)
    return dataset, steps


def dataset_provider(name: str, *, cache: bool = True, shuffle_buffer: int = 10_000):
    """A dataset package's provider: ``provide_dataset`` with that set's pipeline settings.

    Each package declares its own (``<name>_provider.py``, named in its ``DatasetSpec``)
    so a set that needs other settings (no cache for a set larger than memory, a smaller
    shuffle buffer) changes one line there, and the pipeline itself stays here.
    """

    def provide(
        tfrecord_dir: str | os.PathLike, global_batch_size: int, **kwargs
    ) -> tuple[tf.data.Dataset, int]:
        return provide_dataset(
            tfrecord_dir,
            global_batch_size,
            cache=cache,
            shuffle_buffer=shuffle_buffer,
            **kwargs,
        )

    provide.__name__ = provide.__qualname__ = f"provide_{name}"
    provide.__doc__ = (
        f"{name} batches of (images in [-1, 1], noise) and the steps per epoch "
        f"(cache={cache}, shuffle_buffer={shuffle_buffer}; see ``provide_dataset``)."
    )
    return provide
