"""Input from a tf.data service (``--data_service=grpc://host:port``), for many trainers.

Decoding, resizing, augmenting and batching run on the service's tf.data workers instead of
the trainers' CPUs, so adding trainers (GPU hosts) does not need more input CPU on each.
Start a dispatcher and any number of workers next to the data (they must read the same
TFRecord paths as the trainers: a shared disk or a bucket)::

    gans-data-service --port=5050                        # dispatcher
    gans-data-service --dispatcher=host:5050 --worker    # each worker

How the stream is split: the service hands out the TFRecord shards dynamically
(``ShardingPolicy.DYNAMIC``, a "distributed epoch"), and all trainers of one run read one
shared job, so every batch goes to exactly one trainer. Each trainer's pipeline yields
per-replica batches (``distribute_datasets_from_function``); the generator noise is added on
the trainer, a pure function of ``(seed, epoch, input pipeline, step)`` as in
``provider.py``. Epochs are counted in steps (``count // global batch``); the service's own
passes over the shards do not line up with them exactly (no in-memory cache either: that
is the service workers' job to scale).
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import tensorflow as tf

from gans.core.data.provider import (
    EpochPlan,
    batch_noise,
    dataset_info,
    decode_pixels,
    shuffle_seed,
    steps_per_epoch,
    to_unit_range,
)
from gans.core.errors import MissingDataError

SERVICE_PREFIX = "grpc://"


def is_service_address(address: str) -> bool:
    """Whether ``address`` looks like ``grpc://host:port``."""
    host, _, port = address.removeprefix(SERVICE_PREFIX).rpartition(":")
    return address.startswith(SERVICE_PREFIX) and bool(host) and port.isdigit()


def check_service_address(address: str) -> str:
    """``grpc://host:port`` or a clear error naming the flag."""
    if not is_service_address(address):
        raise ValueError(f"--data_service={address}: use grpc://HOST:PORT of a tf.data dispatcher")
    return address


def check_dispatcher_reachable(address: str, timeout_s: float = 10.0) -> None:
    """Fail in seconds when nothing listens at the dispatcher's address: TF's client would
    otherwise retry forever (it waits out dispatcher restarts), and the run would hang."""
    host, _, port = check_service_address(address).removeprefix(SERVICE_PREFIX).rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=timeout_s).close()
    except OSError as err:
        raise MissingDataError(
            f"--data_service={address}: no tf.data dispatcher answers ({err.strerror or err}); "
            f"start one with: gans-data-service --port={port}"
        ) from None


def service_dataset(
    strategy: tf.distribute.Strategy,
    tfrecord_dir: str | os.PathLike,
    address: str,
    job_name: str,
    plan: EpochPlan,
    shuffle_buffer: int = 10_000,
) -> tuple[tf.distribute.DistributedDataset, int]:
    """A distributed dataset of ``(images, noise)`` per replica read from the service, and
    the steps per epoch. Labels (``--conditional``) are not served yet."""
    check_dispatcher_reachable(address)
    count = dataset_info(tfrecord_dir)["count"]
    global_batch_size, seed, start_epoch = plan.global_batch_size, plan.seed, plan.start_epoch
    steps = steps_per_epoch(count, global_batch_size, plan.steps_per_epoch_cap)
    epochs = max(plan.end_epoch - start_epoch, 0)

    def per_worker(context: tf.distribute.InputContext) -> tf.data.Dataset:
        batch = context.get_per_replica_batch_size(global_batch_size)
        local_replicas = context.num_replicas_in_sync // context.num_input_pipelines
        # Runs on the service's workers: shards are the dynamic splits.
        remote = (
            decode_pixels(Path(tfrecord_dir), plan.image_size, plan.channels)  # uint8 on the wire
            .shuffle(min(count, shuffle_buffer), seed=shuffle_seed(seed, start_epoch))
            .batch(batch, drop_remainder=True)
            .repeat()
        )
        served = remote.apply(
            tf.data.experimental.service.distribute(
                processing_mode=tf.data.experimental.service.ShardingPolicy.DYNAMIC,
                service=address,
                job_name=job_name,
            )
        )
        per_epoch = steps * local_replicas
        pipeline = tf.cast(context.input_pipeline_id, tf.int64)

        def add_noise(index: tf.Tensor, images: tf.Tensor):
            epoch = start_epoch + index // per_epoch
            stream = pipeline * 1_000_003 + index % per_epoch  # pipelines draw apart
            return to_unit_range(images), batch_noise(seed, epoch, stream, batch, plan.noise_dim)

        return served.take(per_epoch * epochs).enumerate().map(add_noise).prefetch(tf.data.AUTOTUNE)

    return strategy.distribute_datasets_from_function(per_worker), steps
