"""Magic: The Gathering card artwork (Scryfall ``art_crop``, or art cut out of scans).

Defaults, and why: 64 px (128 with ``--image_size``); Scryfall's art crops are landscape
(about 4:3), so the default center-crops to square (``--fit=pad`` keeps the whole art);
200 epochs.
The small-set defaults (FastGAN at batch 16, hinge, DiffAugment + EMA;
gans/core/run/recommended.py).
"""

from __future__ import annotations

from gans.core.data.dataset_spec import DatasetSpec, crawled_dataset, dataset_factory
from gans.core.run.recommended import SMALL_SET_DEFAULTS
from gans.magic.magic_provider import provide_magic


@dataset_factory
def magic_spec() -> DatasetSpec:
    return crawled_dataset(
        "magic",
        "scryfall",
        image_size=64,
        channels=3,
        fit="crop",
        epochs=200,
        train_defaults=SMALL_SET_DEFAULTS,
        provider=provide_magic,
    )
