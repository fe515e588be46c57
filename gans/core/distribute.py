"""Distribution strategy from a flag value (tensorflow/models ``get_distribution_strategy``)."""

from __future__ import annotations

import tensorflow as tf

STRATEGIES = ("auto", "one_device", "mirrored")


def get_strategy(name: str = "auto", num_gpus: int | None = None) -> tf.distribute.Strategy:
    """A ``tf.distribute.Strategy`` for ``--strategy``.

    ``auto`` picks ``mirrored`` when there are several GPUs, else ``one_device`` on the GPU
    (or CPU). ``mirrored`` uses every visible GPU, or every logical CPU device when there is
    no GPU (how tests exercise it on a CPU split into logical devices).
    """
    if name not in STRATEGIES:
        raise ValueError(f"unknown strategy {name!r}; choose one of {STRATEGIES}")
    gpus = tf.config.list_logical_devices("GPU")
    if num_gpus is not None:
        gpus = gpus[:num_gpus]
    if name == "auto":
        name = "mirrored" if len(gpus) > 1 else "one_device"
    if name == "one_device":
        return tf.distribute.OneDeviceStrategy(gpus[0].name if gpus else "/cpu:0")
    devices = [d.name for d in gpus] or [d.name for d in tf.config.list_logical_devices("CPU")]
    return tf.distribute.MirroredStrategy(devices)
