"""CIFAR-10: 50,000 32x32 RGB training images in 10 classes.

Source: tensorflow-datasets (online) or the standard python-pickle batches
(``data_batch_1`` … ``data_batch_5``, in ``cifar-10-batches-py/``) from ``--source_dir``.
Defaults: DCGAN at 32 px (4 → 8 → 16 → 32), batch 128, 50 epochs.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from gans.cifar10.cifar10_provider import provide_cifar10
from gans.core.data.dataset_spec import DatasetSpec, dataset_factory
from gans.core.data.folder_converter import ConvertOptions
from gans.core.data.tfds_source import tfds_records
from gans.core.data.tfrecord_writer import ImageRecord, write_tfrecords
from gans.core.errors import DataError, MissingDataError

BATCHES = [f"data_batch_{i}" for i in range(1, 6)]
CLASS_NAMES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)
OFFLINE_HINT = "offline, pass --source_dir=DIR holding data_batch_1 … data_batch_5"


def find_batches(source_dir: str | os.PathLike) -> list[Path]:
    """The five training batch files in ``source_dir`` or its ``cifar-10-batches-py``."""
    for folder in (Path(source_dir), Path(source_dir) / "cifar-10-batches-py"):
        files = [folder / name for name in BATCHES]
        if all(f.is_file() for f in files):
            return files
    raise MissingDataError(f"{source_dir}: no data_batch_1 … data_batch_5 here; {OFFLINE_HINT}")


def pickle_records(source_dir: str | os.PathLike) -> Iterator[ImageRecord]:
    """Images (channel-first rows → HWC) and labels from the pickle batches."""
    for path in find_batches(source_dir):
        try:
            with open(path, "rb") as f:
                batch = pickle.load(f, encoding="bytes")
            data = np.asarray(batch[b"data"], np.uint8).reshape(-1, 3, 32, 32)
            labels = batch[b"labels"]
        except (OSError, pickle.UnpicklingError, KeyError, ValueError, EOFError) as err:
            raise DataError(f"{path}: not a CIFAR-10 python batch ({err})") from None
        for index, (image, label) in enumerate(zip(data, labels, strict=True)):
            yield ImageRecord(
                image.transpose(1, 2, 0), key=f"{path.name}/{index}", label=int(label)
            )


def convert_cifar10(source_dir: str | None, out_dir: Path, options: ConvertOptions) -> dict:
    del options  # stored at the native 32x32x3
    if source_dir:
        records, source = pickle_records(source_dir), str(source_dir)
    else:
        records, source = tfds_records("cifar10", OFFLINE_HINT), "tfds:cifar10"
    return write_tfrecords(records, out_dir, "cifar10", 32, 3, source=source)


@dataset_factory
def cifar10_spec() -> DatasetSpec:
    return DatasetSpec(
        name="cifar10",
        image_size=32,
        channels=3,
        convert=convert_cifar10,
        stored_size=32,
        batch_size=128,
        epochs=50,
        num_classes=10,
        provider=provide_cifar10,
        class_names=CLASS_NAMES,
    )
