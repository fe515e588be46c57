"""Data preparation for a run: convert on first use or when the source (or its labels)
changed, wait for the chief's conversion on other workers, say which classes the data has,
and hand out batches and real samples.

The batches come from the dataset package's provider (``DatasetSpec.provider``, the shared
``gans.core.data.provider.provide_dataset`` by default) or from a tf.data service.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from pathlib import Path

import numpy as np
import tensorflow as tf

from gans.core.data.class_labels import describe_classes, labels_stale_reason, manifest_class_names
from gans.core.data.contact_sheet import write_contact_sheet
from gans.core.data.dataset_spec import DatasetSpec
from gans.core.data.folder_converter import ConvertOptions
from gans.core.data.provider import EpochPlan, decode_images, verify_records
from gans.core.data.tfrecord_writer import read_manifest, stale_reason
from gans.core.errors import DataError, MissingDataError
from gans.core.run.config import TrainConfig

log = logging.getLogger("gans")

# A resume replays (and skips) the data pipeline's first epochs up to this many images, so
# its batches are the uninterrupted run's; beyond, the pipeline is reseeded at the epoch.
REPLAY_LIMIT = 2_000_000


class DataPreparation:
    """The converted records of one dataset in the storage format a config asks for."""

    def __init__(self, spec: DatasetSpec, config: TrainConfig, chief: bool = True) -> None:
        """``config`` is resolved (``gans.core.run.experiment.resolve``): no ``None`` sizes."""
        self.spec = spec
        self.config = config
        self.chief = chief
        self.convert_options = ConvertOptions(
            config.image_size, config.channels, config.fit, config.background, config.labels
        )
        self.tfrecord_dir = spec.tfrecord_dir(config.data_dir, self.convert_options)
        self._ensured: dict | None = None

    def manifest(self) -> dict | None:
        """The manifest of the converted records, ``None`` before a conversion."""
        return read_manifest(self.tfrecord_dir)

    def convert(self) -> dict:
        """Convert the source into ``tfrecord_dir`` now; return the manifest."""
        return self.spec.convert(self.config.source_dir, self.tfrecord_dir, self.convert_options)

    def labels_stale_reason(self, manifest: dict, need_labels: bool = False) -> str | None:
        """Why records converted with other ``--labels`` (or before labels were stored,
        when ``need_labels``) must be converted again; ``None`` when they serve. A dataset
        with labels of its own (MNIST, CIFAR-10) is never relabelled."""
        if self.spec.num_classes:
            return None
        return labels_stale_reason(manifest, self.config.labels, need_labels)

    def ensure(self) -> dict:
        """The dataset's manifest, converting from the source first if needed (once: later
        calls return the same manifest)."""
        if self._ensured is None:
            self._ensured = self._ensure()
        return self._ensured

    def _ensure(self) -> dict:
        manifest = self.manifest()
        if manifest is None and not self.chief:
            manifest = self._wait_for_chief_conversion()
        if manifest is not None and self.chief:
            reason = stale_reason(manifest, self.config.source_dir)
            if not reason:
                need = self.config.conditional or self.config.balanced_classes
                reason = self.labels_stale_reason(manifest, need)
            if reason:
                print(f"{self.tfrecord_dir}: converting again: {reason}")
                manifest = None
            else:
                print(
                    f"using {self.tfrecord_dir} ({manifest.get('count')} images converted from "
                    f"{manifest.get('source')}; a changed source is converted again)"
                )
        if manifest is None:
            log.info("converting %s into %s", self.spec.name, self.tfrecord_dir)
            manifest = self.convert()
            sheet = write_contact_sheet(self.tfrecord_dir)
            print(
                f"converted {manifest['count']} images into {self.tfrecord_dir} "
                f"({len(manifest['skipped'])} skipped, {len(manifest['duplicates'])} duplicates"
                f"{describe_classes(manifest)}); contact sheet: {sheet}"
            )
        return verify_records(self.tfrecord_dir, self.config.channels)

    def class_names(self) -> tuple[str, ...]:
        """The data's classes: the dataset's own (MNIST, CIFAR-10), else the conversion's
        (converting first if there is none yet); a one-line error when it has none."""
        spec = self.spec
        if spec.num_classes:
            return spec.class_names or tuple(str(i) for i in range(spec.num_classes))
        manifest = self.ensure()
        names = manifest_class_names(manifest)
        if not names:
            raise DataError(
                f"--conditional needs a labelled dataset; {spec.name} "
                f"({manifest.get('source')}) has no labels: put the images in one subfolder "
                "per class, or pass --labels=FILE (a CSV/JSON mapping file name -> class)"
            )
        return names

    def check_classes(self, manifest: dict, class_names: tuple[str, ...], model_dir) -> None:
        """The data's classes must be the run's ``class_names`` (a reconverted source may
        have others); ``--balanced_classes`` needs labels."""
        own = bool(self.spec.num_classes)
        stored = self.spec.class_names if own else manifest_class_names(manifest)
        if class_names and not own and stored != class_names:
            raise DataError(
                f"{self.tfrecord_dir}: its classes {list(stored)} are not the ones "
                f"{model_dir} was trained with {list(class_names)}; restore the "
                "source's labels, or train a new --run_name"
            )
        if self.config.balanced_classes and not (own or stored):
            raise DataError(
                f"--balanced_classes needs class labels; {self.tfrecord_dir} has none "
                "(see --labels)"
            )

    def _wait_for_chief_conversion(self, timeout_s: float = 1800) -> dict:
        """Workers other than the chief wait for its conversion instead of racing it."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            manifest = self.manifest()
            if manifest is not None:
                return manifest
            time.sleep(2)
        raise MissingDataError(f"{self.tfrecord_dir}: the chief did not convert the dataset")

    def real_sample(self, count: int) -> np.ndarray:
        """Up to ``count`` real training images in [-1, 1] (the first ones, deterministic)."""
        images = decode_images(self.tfrecord_dir, self.config.image_size, self.config.channels)
        try:
            return np.concatenate(list(images.batch(count).take(1).as_numpy_iterator()))
        except tf.errors.OpError as err:
            reason = err.message.splitlines()[0] if err.message else type(err).__name__
            raise DataError(
                f"{self.tfrecord_dir}: unreadable records ({reason}); delete the folder and "
                "convert again"
            ) from None

    def batches(
        self, strategy: tf.distribute.Strategy, start: int, with_labels: bool = False
    ) -> tuple[tf.data.Dataset, int]:
        """Batches for epochs ``start`` … ``epochs - 1`` and the steps per epoch (the
        dataset's provider, or a tf.data service)."""
        c = self.config
        plan = EpochPlan(
            global_batch_size=c.batch_size,
            image_size=c.image_size,
            channels=c.channels,
            noise_dim=c.noise_dim,
            seed=c.seed,
            start_epoch=start,
            end_epoch=c.epochs,
            steps_per_epoch_cap=c.steps_per_epoch,
        )
        if c.data_service:
            from gans.core.data.data_service import service_dataset

            job = f"{Path(c.model_dir).resolve()}@{start}"  # one job shared by all trainers
            return service_dataset(strategy, self.tfrecord_dir, c.data_service, job, plan)
        count = (self.manifest() or {}).get("count", 0)
        per_epoch = (
            count if c.steps_per_epoch <= 0 else min(count, c.steps_per_epoch * c.batch_size)
        )
        replay = 0 < start * per_epoch <= REPLAY_LIMIT
        if replay:
            # Exact resume: the uninterrupted run's pipeline, its first `start` epochs
            # skipped (the shuffle is seeded from the epoch a pipeline starts at).
            plan = dataclasses.replace(plan, start_epoch=0)
        dataset, steps = self.spec.provider(
            self.tfrecord_dir,
            data_augment=tuple(filter(None, c.data_augment.split(","))),
            with_labels=with_labels,
            balanced_classes=c.balanced_classes,
            **plan.kwargs(),
        )
        if replay:
            dataset = dataset.skip(start * steps)
        return dataset, steps
