"""Convert MNIST / Fashion-MNIST to TFRecords, from IDX files or tensorflow-datasets.

Run on its own:
    python gans/mnist/mnist_convert.py --variant=fashion \
        --source_dir=/usr/share/datasets/fashion-mnist --data_dir=datasets/fashion_mnist
Without ``--source_dir`` the images come from tensorflow-datasets (needs the internet).
"""

from __future__ import annotations

import dataclasses
import gzip
import os
import struct
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from gans.core.data.tfds_source import tfds_records
from gans.core.data.tfrecord_writer import ImageRecord, write_tfrecords
from gans.core.errors import DataError, MissingDataError


@dataclasses.dataclass(frozen=True)
class Variant:
    name: str  # dataset name in paths
    tfds_name: str


VARIANTS = {
    "mnist": Variant("mnist", "mnist"),
    "fashion": Variant("fashion_mnist", "fashion_mnist"),
}
IDX_NAMES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (optionally gzip-compressed) into a uint8 array."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as err:
        raise DataError(f"{path}: cannot read IDX file ({err})") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise DataError(f"{path}: not an unsigned-byte IDX file (bad magic number)")
    ndim = data[3]
    header = 4 + 4 * ndim
    shape = struct.unpack(f">{ndim}I", data[4:header])
    expected = int(np.prod(shape))
    if len(data) - header != expected:
        raise DataError(f"{path}: truncated IDX file ({len(data) - header} of {expected} bytes)")
    return np.frombuffer(data, np.uint8, offset=header).reshape(shape)


def find_idx(source_dir: str | os.PathLike, stem: str) -> Path:
    """``<stem>`` or ``<stem>.gz`` (also the ``train-images.idx3-ubyte`` spelling)."""
    source_dir = Path(source_dir)
    dotted = stem.replace("-idx", ".idx")
    for name in (stem, stem + ".gz", dotted, dotted + ".gz"):
        if (source_dir / name).is_file():
            return source_dir / name
    raise MissingDataError(
        f"{source_dir}: no {stem}[.gz] here; point --source_dir at the IDX files"
    )


def idx_records(source_dir: str | os.PathLike, split: str = "train") -> Iterator[ImageRecord]:
    """Images and labels of one split from IDX files."""
    image_stem, label_stem = IDX_NAMES[split]
    images = read_idx(find_idx(source_dir, image_stem))
    labels = read_idx(find_idx(source_dir, label_stem))
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise DataError(
            f"{source_dir}: IDX images {images.shape} and labels {labels.shape} do not match"
        )
    for index, (image, label) in enumerate(zip(images, labels, strict=True)):
        yield ImageRecord(image[..., None], key=f"{split}/{index}", label=int(label))


def convert_mnist(
    variant: str, source_dir: str | os.PathLike | None, out_dir: str | os.PathLike
) -> dict:
    """Write the training split as TFRecords into ``out_dir``; return the manifest."""
    if source_dir:
        records, source = idx_records(source_dir), str(source_dir)
    else:
        hint = (
            "offline, pass --source_dir=DIR with train-images-idx3-ubyte[.gz] and "
            "train-labels-idx1-ubyte[.gz]"
        )
        name = VARIANTS[variant].tfds_name
        records, source = tfds_records(name, hint), f"tfds:{name}"
    return write_tfrecords(
        records, out_dir, VARIANTS[variant].name, image_size=28, channels=1, source=source
    )


def define_variant_flag() -> None:
    """``--variant``, for the mnist entry scripts (called under ``__main__``)."""
    from gans.core.run.common_flags import define_flag

    define_flag(
        "enum",
        "variant",
        "mnist",
        "mnist or fashion (Fashion-MNIST).",
        "data",
        enum_values=sorted(VARIANTS),
    )


if __name__ == "__main__":
    from absl import flags

    from gans.core.run.entry import run_conversion
    from gans.registry import get_spec

    define_variant_flag()
    run_conversion(
        lambda: get_spec(VARIANTS[flags.FLAGS.variant].name), default_spec=get_spec("mnist")
    )
