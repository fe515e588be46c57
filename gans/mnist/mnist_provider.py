"""MNIST input pipeline: the shared provider on the converted MNIST shards."""

from __future__ import annotations

from pathlib import Path

import tensorflow as tf

from gans.core.provider import provide_dataset
from gans.mnist.mnist_dataset import mnist_spec


def provide_mnist(
    data_dir: str | Path, batch_size: int, noise_dim: int = 100, variant: str = "mnist", **kwargs
) -> tuple[tf.data.Dataset, int]:
    """Batches of (28x28x1 images in [-1, 1], noise) and the steps per epoch."""
    spec = mnist_spec(variant)
    return provide_dataset(spec.tfrecord_dir(data_dir, 28), batch_size, 28, 1, noise_dim, **kwargs)
