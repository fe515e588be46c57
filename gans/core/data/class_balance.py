"""Class-balanced sampling for skewed labelled sets (``--balanced_classes``).

Each class becomes its own endlessly reshuffled stream, and batches draw from the streams
with equal probability, so a class of 20 images is seen as often as one of 400 (its
images repeat more often: balancing trades repetition of the rare classes for their
share of the discriminator's and the generator's attention). The draw is seeded: the same
seed gives the same sequence, which keeps a replayed resume exact.
"""

from __future__ import annotations

import tensorflow as tf

from gans.core.errors import DataError


def class_balanced(
    images: tf.data.Dataset, manifest: dict, seed: int, shuffle_buffer: int = 10_000
) -> tf.data.Dataset:
    """An endless stream of ``(image, label)`` drawing every non-empty class equally.

    ``images`` yields ``(image, label)`` (cached, in record order); ``manifest`` gives the
    per-class counts (``label_counts``). Classes without images are left out.
    """
    counts = {int(k): int(v) for k, v in (manifest.get("label_counts") or {}).items() if v}
    if not counts:
        raise DataError(
            f"{manifest.get('source')}: --balanced_classes needs class labels and the "
            "conversion has none (see --labels)"
        )
    streams = []
    for label, count in sorted(counts.items()):
        stream = images.filter(lambda image, lab, k=label: tf.equal(lab, k))
        stream = stream.shuffle(
            min(count, shuffle_buffer), seed=seed + label, reshuffle_each_iteration=True
        )
        streams.append(stream.repeat())
    weights = [1.0 / len(streams)] * len(streams)
    return tf.data.Dataset.sample_from_datasets(
        streams, weights=weights, seed=seed, stop_on_empty_dataset=False
    )
