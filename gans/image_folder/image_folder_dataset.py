"""Any folder of images → a GAN, no code needed (one original project used forest photos).

    python gans/image_folder/image_folder_gan.py --source_dir=my_pictures/ --name=forest

Defaults: 64 px RGB, center-cropped, 200 epochs, and the small-set defaults (batch 16,
FastGAN, hinge, DiffAugment + EMA; gans/core/run/recommended.py), since most such folders
hold hundreds to a few thousand pictures.
"""

from __future__ import annotations

from pathlib import Path

from gans.core.data.dataset_spec import DatasetSpec, dataset_factory, folder_dataset
from gans.core.errors import MissingDataError
from gans.core.run.recommended import SMALL_SET_DEFAULTS


def _no_default(options) -> Path:
    raise MissingDataError("image_folder needs --source_dir=FOLDER of pictures")


@dataset_factory
def image_folder_spec(name: str = "images") -> DatasetSpec:
    """A spec named ``name`` (used in datasets/<name>/ and gen_img/<name>/)."""
    return folder_dataset(
        name,
        image_size=64,
        channels=3,
        default_source=_no_default,
        missing_hint="pass --source_dir=FOLDER of pictures",
        fit="crop",
        epochs=200,
        train_defaults=SMALL_SET_DEFAULTS,
    )


def define_name_flag() -> None:
    """``--name``, for the image_folder entry scripts (called under ``__main__``)."""
    from gans.core.run.common_flags import define_flag

    define_flag(
        "string",
        "name",
        "images",
        "Dataset name used in datasets/<name>/, gen_img/<name>/.",
        "data",
    )
