"""The bodies of every dataset's entry scripts: train, and convert on its own.

A dataset script is then a few lines under ``__main__``::

    run_training(pokemon_spec)          # pokemon_gan.py
    run_conversion(pokemon_spec)        # pokemon_convert.py

Flags are defined here, when called, never at import.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from absl import flags

from gans.core.common_flags import (
    FLAGS,
    config_from_flags,
    define_common_flags,
    run_app,
    set_defaults,
)
from gans.core.contact_sheet import write_contact_sheet
from gans.core.dataset_spec import DatasetSpec
from gans.core.experiment import GANExperiment, resolve

SpecFactory = Callable[[], DatasetSpec]


def run_training(make_spec: SpecFactory, default_spec: DatasetSpec | None = None) -> None:
    """Define the shared flags, apply the dataset's defaults, parse, train.

    ``default_spec`` gives the flag defaults when ``make_spec`` reads flags (mnist's
    ``--variant``) and so cannot be called before parsing.
    """
    define_common_flags()
    set_defaults(**(default_spec or make_spec()).default_options())

    def main(argv: list[str]) -> None:
        spec = make_spec()
        GANExperiment(spec, config_from_flags(spec.name)).train()

    run_app(main)


def run_conversion(make_spec: SpecFactory) -> None:
    """Convert a dataset's source into TFRecords (and a contact sheet) without training."""
    for name, default, help_text in (
        ("source_dir", None, "Raw source files (default: the dataset's usual place/download)."),
        ("data_dir", None, "Dataset folder (default datasets/<dataset>)."),
        ("fit", None, "Non-square sources: crop or pad."),
        ("background", None, "Pad/alpha colour: white, black, gray or R,G,B."),
    ):
        if name not in FLAGS:
            flags.DEFINE_string(name, default, help_text)
    if "image_size" not in FLAGS:
        flags.DEFINE_integer("image_size", None, "Stored image size.")
        flags.DEFINE_integer("channels", None, "1, 3 or 4 channels.")
    if "labels" not in FLAGS:
        flags.DEFINE_string("labels", "auto", "Class labels: auto, subfolders, none or FILE.")
    flags.DEFINE_bool("inspect", False, "Only write the contact sheet of existing records.")
    flags.DEFINE_bool("force", False, "Convert again even if records exist.")

    def main(argv: list[str]) -> None:
        from gans.core.class_labels import describe_classes, labels_stale_reason
        from gans.core.config import TrainConfig
        from gans.core.folder_converter import ConvertOptions
        from gans.core.tfrecord_writer import read_manifest

        spec = make_spec()
        f = FLAGS
        config = resolve(
            TrainConfig(
                image_size=f.image_size,
                channels=f.channels,
                fit=f.fit,
                background=f.background,
                data_dir=f.data_dir,
                source_dir=f.source_dir,
                labels=f.labels,
            ),
            spec,
        )
        options = ConvertOptions(
            config.image_size, config.channels, config.fit, config.background, config.labels
        )
        out_dir = spec.tfrecord_dir(config.data_dir, options)
        existing = read_manifest(out_dir)
        relabel = existing and not spec.num_classes and labels_stale_reason(existing, f.labels)
        if relabel:
            print(f"{out_dir}: converting again: {relabel}")
        if not f.inspect and (f.force or existing is None or relabel):
            manifest = spec.convert(config.source_dir, Path(out_dir), options)
            print(
                f"wrote {manifest['count']} images to {out_dir} ({len(manifest['skipped'])} "
                f"skipped, {len(manifest['duplicates'])} duplicates; see manifest.json)"
                + describe_classes(manifest)
            )
        elif not f.inspect:
            print(f"{out_dir} already converted (--force to redo)")
        print(f"contact sheet: {write_contact_sheet(out_dir)}")

    run_app(main)
