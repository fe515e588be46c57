"""The bodies of every dataset's entry scripts: train, and convert on its own.

A dataset script is then a few lines under ``__main__``::

    run_training(pokemon_spec)          # pokemon_gan.py
    run_conversion(pokemon_spec)        # pokemon_convert.py

Flags are defined here, when called, never at import.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypedDict

from gans.core.data.class_labels import describe_classes
from gans.core.data.contact_sheet import write_contact_sheet
from gans.core.data.data_prep import DataPreparation
from gans.core.data.dataset_spec import DatasetSpec
from gans.core.run.common_flags import (
    FLAGS,
    config_from_flags,
    define_common_flags,
    define_flag,
    run_app,
    set_defaults,
)
from gans.core.run.experiment import GANExperiment, resolve

if TYPE_CHECKING:
    from typing_extensions import Unpack  # typing.Unpack from Python 3.11

SpecFactory = Callable[[], DatasetSpec]


class AppOptions(TypedDict, total=False):
    """``run_app``'s options, for the CLI: the arguments to parse and the ``--help`` text."""

    argv: list[str] | None
    doc: str | None


def _define_flags(make_spec: SpecFactory, default_spec: DatasetSpec | None) -> None:
    """The shared flags with the dataset's defaults. ``default_spec`` gives them when
    ``make_spec`` reads flags (mnist's ``--variant``) and so cannot be called before parsing."""
    define_common_flags()
    set_defaults(**(default_spec or make_spec()).default_options())


def run_training(
    make_spec: SpecFactory, default_spec: DatasetSpec | None = None, **app: Unpack[AppOptions]
) -> None:
    """Define the shared flags, apply the dataset's defaults, parse, train."""
    _define_flags(make_spec, default_spec)

    def main(argv: list[str]) -> None:
        spec = make_spec()
        GANExperiment(spec, config_from_flags(spec.name)).train()

    run_app(main, **app)


def run_conversion(
    make_spec: SpecFactory, default_spec: DatasetSpec | None = None, **app: Unpack[AppOptions]
) -> None:
    """Convert a dataset's source into TFRecords (and a contact sheet) without training.

    Uses the shared flags (``--source_dir``, ``--data_dir``, ``--image_size``, ``--channels``,
    ``--fit``, ``--background``, ``--labels``) plus ``--inspect`` and ``--force``; records
    converted with other ``--labels`` are converted again.
    """
    _define_flags(make_spec, default_spec)
    define_flag(
        "bool", "inspect", False, "Only write the contact sheet of existing records.", "data"
    )
    define_flag("bool", "force", False, "Convert again even if records exist.", "data")

    def main(argv: list[str]) -> None:
        spec = make_spec()
        data = DataPreparation(spec, resolve(config_from_flags(spec.name), spec))
        out_dir = data.tfrecord_dir
        existing = data.manifest()
        relabel = existing and data.labels_stale_reason(existing)
        if relabel:
            print(f"{out_dir}: converting again: {relabel}")
        if not FLAGS.inspect and (FLAGS.force or existing is None or relabel):
            manifest = data.convert()
            print(
                f"wrote {manifest['count']} images to {out_dir} ({len(manifest['skipped'])} "
                f"skipped, {len(manifest['duplicates'])} duplicates; see manifest.json)"
                + describe_classes(manifest)
            )
        elif not FLAGS.inspect:
            print(f"{out_dir} already converted (--force to redo)")
        print(f"contact sheet: {write_contact_sheet(out_dir)}")

    run_app(main, **app)
