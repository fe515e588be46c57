"""Pokemon input pipeline: the shared provider, with its pipeline settings.

``pokemon_spec`` declares it (``DatasetSpec.provider``), so ``pokemon_gan.py`` trains from it.
a few hundred to ~10k images: decoded images are cached in memory after
the first epoch and shuffled 10,000 at a time.
"""

from __future__ import annotations

import os

import tensorflow as tf

from gans.core.data.provider import provide_dataset


def provide_pokemon(
    tfrecord_dir: str | os.PathLike, global_batch_size: int, **kwargs
) -> tuple[tf.data.Dataset, int]:
    """Batches of (images in [-1, 1], noise) and the steps per epoch."""
    return provide_dataset(
        tfrecord_dir, global_batch_size, cache=True, shuffle_buffer=10_000, **kwargs
    )
