"""Yu-Gi-Oh! card artwork (YGOPRODeck ``image_url_cropped``, or art cut out of scans).

Defaults, and why: 64 px (128 with ``--image_size``); the art crops are square already
and scans cut by ``preprocess/crop_card_art.py --layout=yugioh`` are nearly so, so the
default is a center crop (``--fit=pad`` keeps whole portrait cards, padded);
200 epochs (~12k artworks).
The small-set defaults (FastGAN at batch 16, hinge, DiffAugment + EMA;
gans/core/run/recommended.py).
"""

from __future__ import annotations

from gans.core.data.dataset_spec import DatasetSpec, crawled_dataset, dataset_factory
from gans.core.run.recommended import SMALL_SET_DEFAULTS
from gans.yugioh.yugioh_provider import provide_yugioh


@dataset_factory
def yugioh_spec() -> DatasetSpec:
    return crawled_dataset(
        "yugioh",
        "ygoprodeck",
        image_size=64,
        channels=3,
        fit="crop",
        epochs=200,
        train_defaults=SMALL_SET_DEFAULTS,
        provider=provide_yugioh,
    )
