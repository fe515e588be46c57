"""What a dataset package declares: name, shape, how to convert its source, its networks."""

from __future__ import annotations

import dataclasses
import functools
import importlib
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from gans.core.data.folder_converter import ConvertOptions, convert_folder
from gans.core.data.provider import provide_dataset

if TYPE_CHECKING:
    from gans.core.run.config import TrainConfig

# convert(source_dir or None, tfrecord_dir, options) -> manifest dict
Converter = Callable[[str | None, Path, ConvertOptions], dict]
# provider(tfrecord_dir, global_batch_size=, image_size=, ...) -> (dataset, steps per epoch),
# with the signature of gans.core.data.provider.provide_dataset.
Provider = Callable[..., tuple]


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
    """A dataset package's declaration.

    Attributes:
      name: used in paths (``datasets/<name>/``, ``gen_img/<name>/``) and file names.
      image_size, channels: training defaults.
      convert: builds the TFRecords from ``--source_dir`` (or a download when ``None``).
      stored_size: the size images are stored at when the source has a native size
        (MNIST: 28); ``None`` stores at the training size.
      network: the builder this dataset trains with by default.
      batch_size, epochs: training defaults, explained in the dataset's module.
      num_classes: > 0 for sets with labels of their own (MNIST, CIFAR-10); folder sets
        get theirs at conversion (``--labels``), in the manifest.
      class_names: the names of those classes (column titles, ``generate --label=NAME``).
      fit, background: how non-square / transparent sources are stored by default.
      train_defaults: flag defaults this dataset trains best with (e.g. augmentation):
        with ``batch_size`` and ``epochs``, its recommended settings, in this one place.
      loss_defaults: settings recommended for one loss only, ``{loss: {name: value}}``
        (e.g. a learning rate measured for the non-saturating loss), used where the
        flag is left unset.
      provider: the dataset's input pipeline (its package's ``<name>_provider``).
      origin: ``("module:function", kwargs)`` that made this spec (``dataset_factory``);
        the run directory records it, so a model dir knows its dataset.
    """

    name: str
    image_size: int
    channels: int
    convert: Converter
    stored_size: int | None = None
    network: str = "dcgan"
    batch_size: int = 64
    epochs: int = 50
    num_classes: int = 0
    class_names: tuple[str, ...] = ()
    fit: str = "crop"
    background: str = "white"
    train_defaults: dict = dataclasses.field(default_factory=dict)
    loss_defaults: dict = dataclasses.field(default_factory=dict)
    provider: Provider = provide_dataset
    origin: tuple[str, dict] | None = None

    def default_options(self) -> dict:
        """The training options this dataset starts from (its entry script's flag defaults)."""
        return {"epochs": self.epochs, "batch_size": self.batch_size, **self.train_defaults}

    def train_config(self, **overrides) -> TrainConfig:
        """A ``TrainConfig`` as this dataset's entry script builds it: the dataset's defaults
        (epochs, batch size, its recommended tricks), then ``overrides``.

        A bare ``TrainConfig()`` has the engine's generic defaults instead (no DiffAugment,
        full width), which is what the plain-DCGAN baseline uses.
        """
        from gans.core.run.config import TrainConfig

        return TrainConfig(**{**self.default_options(), "dataset": self.name, **overrides})

    def tfrecord_dir(self, data_dir: str | Path, options: ConvertOptions) -> Path:
        """``<data_dir>/tfrecords/<tag>``: one folder per storage format.

        Sets with a native size (MNIST) are stored once as ``<size>px``; others once per
        size/channels/fit/background, so changing a flag never reuses stale records.
        """
        tag = f"{self.stored_size}px" if self.stored_size else options.tag
        return Path(data_dir) / "tfrecords" / tag


def dataset_factory(make_spec: Callable[..., DatasetSpec]) -> Callable[..., DatasetSpec]:
    """Decorate a dataset package's spec factory: the spec it returns carries ``origin``
    (this function and its arguments), which ``config.json`` records, so commands that
    start from a model dir rebuild the spec without the engine knowing dataset packages."""
    signature = inspect.signature(make_spec)

    @functools.wraps(make_spec)
    def factory(*args, **kwargs) -> DatasetSpec:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        spec = make_spec(*args, **kwargs)
        where = f"{make_spec.__module__}:{make_spec.__qualname__}"
        return dataclasses.replace(spec, origin=(where, dict(bound.arguments)))

    return factory


def spec_from_origin(origin: tuple[str, dict] | list) -> DatasetSpec:
    """The spec a recorded ``origin`` names (see ``dataset_factory``)."""
    where, kwargs = origin
    module, _, name = where.partition(":")
    return getattr(importlib.import_module(module), name)(**kwargs)


def folder_dataset(
    name: str,
    image_size: int,
    channels: int,
    default_source: Callable[[ConvertOptions], Path],
    missing_hint: str,
    select: Callable[[Path], bool] | None = None,
    **fields,
) -> DatasetSpec:
    """A spec whose source is a folder of image files (``--source_dir`` or a default),
    labelled by ``--labels`` (class subfolders, a mapping file, the crawlers' labels.csv)."""

    def convert(source_dir: str | None, out_dir: Path, options: ConvertOptions) -> dict:
        source = Path(source_dir) if source_dir else default_source(options)
        return convert_folder(source, out_dir, name, options, select, missing_hint)

    return DatasetSpec(
        name=name, image_size=image_size, channels=channels, convert=convert, **fields
    )


def crawled_dataset(
    name: str, spider: str, image_size: int, channels: int, **fields
) -> DatasetSpec:
    """A folder dataset the crawler fills: its default source is ``datasets/<name>/raw``,
    where ``datasets/crawler/crawl.py --spider=<spider>`` writes (and says so when empty)."""
    raw = Path("datasets") / name / "raw"
    return folder_dataset(
        name,
        image_size,
        channels,
        default_source=lambda options: raw,
        missing_hint=(
            f"crawl it first: python datasets/crawler/crawl.py --spider={spider} "
            f"--out_dir={raw}, or pass --source_dir"
        ),
        **fields,
    )
