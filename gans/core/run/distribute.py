"""Distribution strategy from a flag value (tensorflow/models ``get_distribution_strategy``).

Multi-worker: every worker runs the same command with its own ``TF_CONFIG``
(``{"cluster": {"worker": ["host1:port", "host2:port"]}, "task": {"type": "worker",
"index": i}}``); worker 0 is the chief and alone writes images, reports and TensorBoard.
"""

from __future__ import annotations

import functools
import json
import os

import tensorflow as tf

from gans.core.errors import ConfigError

STRATEGIES = ("auto", "one_device", "mirrored", "multi_worker", "tpu")


def _tpu_requested() -> bool:
    return bool(os.environ.get("TPU_NAME") or os.environ.get("COLAB_TPU_ADDR"))


def get_strategy(name: str = "auto", num_gpus: int | None = None) -> tf.distribute.Strategy:
    """A ``tf.distribute.Strategy`` for ``--strategy``.

    ``auto``: a TPU when one is configured (``TPU_NAME``), multi-worker when ``TF_CONFIG``
    names a cluster, mirrored when there are several GPUs, else one device (GPU or CPU).
    ``mirrored`` uses every visible GPU, or every logical CPU device when there is no GPU
    (how tests exercise it on a CPU split into logical devices).
    """
    if name not in STRATEGIES:
        raise ConfigError(f"unknown strategy {name!r}; choose one of {STRATEGIES}")
    if name == "auto":
        if _tpu_requested():
            name = "tpu"
        elif "cluster" in json.loads(os.environ.get("TF_CONFIG", "{}") or "{}"):
            name = "multi_worker"
        else:
            gpus = tf.config.list_logical_devices("GPU")
            name = "mirrored" if len(gpus) > 1 else "one_device"
    if name == "tpu":
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(
            tpu=os.environ.get("TPU_NAME", "")
        )
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    if name == "multi_worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    gpus = tf.config.list_logical_devices("GPU")
    if num_gpus is not None:
        gpus = gpus[:num_gpus]
    if name == "one_device":
        return tf.distribute.OneDeviceStrategy(gpus[0].name if gpus else "/cpu:0")
    devices = [d.name for d in gpus] or [d.name for d in tf.config.list_logical_devices("CPU")]
    return _mirrored(tuple(devices))


@functools.cache
def _mirrored(devices: tuple[str, ...]) -> tf.distribute.MirroredStrategy:
    """One MirroredStrategy per device set and process: a second instance over the same
    devices restarts the collective keys, and its all-reduces then collide with the first
    one's ("Shape mismatch in the collective instance"), e.g. two runs in one notebook."""
    return tf.distribute.MirroredStrategy(list(devices))


def is_chief(strategy: tf.distribute.Strategy) -> bool:
    """Whether this process writes outputs (worker 0 of a cluster; always true otherwise)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return True
    task_type, task_id = resolver.task_type, resolver.task_id
    return task_type in (None, "chief") or (task_type == "worker" and task_id == 0)


def worker_model_dir(model_dir: str, strategy: tf.distribute.Strategy) -> str:
    """Where this worker saves checkpoints: the real dir on the chief, a throw-away
    per-worker dir elsewhere (every worker must take part in a save; only one may own it)."""
    if is_chief(strategy):
        return model_dir
    resolver = strategy.cluster_resolver
    return os.path.join(model_dir, ".workers", f"{resolver.task_type}_{resolver.task_id}")
