"""Records from tensorflow-datasets, with one clear line when the download fails."""

from __future__ import annotations

from collections.abc import Iterator

from gans.core.data.tfrecord_writer import ImageRecord
from gans.core.errors import MissingDataError


def tfds_records(name: str, offline_hint: str, split: str = "train") -> Iterator[ImageRecord]:
    """Images and labels of ``name`` through tfds (downloads on first use).

    ``offline_hint`` completes the error message, e.g. which ``--source_dir`` files to use.
    """
    import tensorflow_datasets as tfds

    try:
        ds = tfds.load(name, split=split, as_supervised=True)
    except Exception as err:  # offline, tfds raises many types (DownloadError, OSError, ...)
        text = str(err).strip()
        first = text.splitlines()[0][:160] if text else type(err).__name__
        raise MissingDataError(
            f"could not download {name} with tensorflow-datasets ({first}); {offline_hint}"
        ) from None
    for index, (image, label) in enumerate(tfds.as_numpy(ds)):
        yield ImageRecord(image, key=f"{split}/{index}", label=int(label))
