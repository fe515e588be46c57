"""EmojiOne country flags: 257 circle flags, RGBA (CC-BY-SA-4.0, by EmojiOne/JoyPixels).

Source: the Debian package ``ruby-gemojione`` (found automatically) or ``--source_dir``.
Country flags are the files named by two regional-indicator code points
(``1F1EB-1F1F7.png`` is France). Defaults, and why: 64 px (the PNGs' native size; at 128
and 256 the SVGs are rendered instead, so nothing is upscaled), **RGBA kept** (4 channels:
the transparent outside of the circle is part of the image; ``--channels=3
--background=R,G,B`` composites instead), many epochs, and the small-set defaults
(``gans/core/run/recommended.py``: FastGAN at width 16 and batch 16, 15 steps per epoch on
253 images, with hinge loss, DiffAugment and EMA) against the collapse the original
project saw at 64 px. What they score against the plain DCGAN: docs/ablation.md.
"""

from __future__ import annotations

import glob
import re
from pathlib import Path

from gans.core.data.dataset_spec import DatasetSpec, dataset_factory
from gans.core.data.folder_converter import ConvertOptions, convert_folder
from gans.core.errors import MissingDataError
from gans.core.run.recommended import FLAGS_DEFAULTS
from gans.flags.flags_continents import continent_of
from gans.flags.flags_provider import provide_flags

GEMOJIONE_GLOB = "/usr/share/rubygems-integration/all/gems/gemojione-*/assets"
MISSING_HINT = "apt-get install ruby-gemojione, or pass --source_dir=FOLDER of flag images"
_FLAG_NAME = re.compile(r"^1f1(e[6-9a-f]|f[0-9a-f])-1f1(e[6-9a-f]|f[0-9a-f])$", re.IGNORECASE)


def is_country_flag(path: Path) -> bool:
    """Whether a file name is a pair of regional-indicator code points."""
    return bool(_FLAG_NAME.match(path.stem))


def gemojione_assets() -> Path | None:
    """The installed gemojione ``assets`` folder (newest version), if any."""
    found = sorted(glob.glob(GEMOJIONE_GLOB))
    return Path(found[-1]) if found else None


def default_source(image_size: int = 64) -> Path:
    """gemojione's PNGs up to 64 px, its SVGs above (rendered at the target size)."""
    assets = gemojione_assets()
    if assets is None:
        local = Path("datasets/flags/raw")
        if local.is_dir():
            return local
        raise MissingDataError(f"no EmojiOne flags found ({GEMOJIONE_GLOB}); {MISSING_HINT}")
    return assets / ("svg" if image_size > 64 else "png")


def convert_flags(source_dir: str | None, out_dir: Path, options: ConvertOptions) -> dict:
    """Convert a folder of flags; in the gemojione folder only the country flags count.

    ``--labels=auto`` labels flags named by country code with their continent
    (``flags_continents``), so ``--conditional`` draws one continent per column.
    """
    if source_dir:
        return convert_folder(
            source_dir, out_dir, "flags", options, None, MISSING_HINT, class_of=continent_of
        )
    source = default_source(options.image_size)
    select = is_country_flag if gemojione_assets() else None
    return convert_folder(
        source, out_dir, "flags", options, select, MISSING_HINT, class_of=continent_of
    )


@dataset_factory
def flags_spec() -> DatasetSpec:
    return DatasetSpec(
        name="flags",
        image_size=64,
        channels=4,
        convert=convert_flags,
        fit="pad",
        background="white",
        epochs=1000,
        train_defaults=FLAGS_DEFAULTS,
        provider=provide_flags,
    )
