"""Pokemon: ~800-1000 official artworks / sprites (PokeAPI), RGBA on transparent background.

Defaults, and why: 64 px (Radford et al.'s DCGAN size; 128/256 with ``--image_size``),
RGB with the transparent background flattened to white (``--channels=4`` keeps alpha),
padded to square so no creature is cut off, many epochs because the set is tiny. With
so few images the discriminator memorises quickly (the original project saw copies and
no convergence), so the small-set defaults are on (``gans/core/run/recommended.py``:
FastGAN at width 16 / batch 16 with its reconstruction loss, hinge loss, DiffAugment on
everything D sees, an EMA generator for samples); docs/ablation.md has what they score
against the plain DCGAN on Pokemon sprites.
"""

from __future__ import annotations

from gans.core.data.dataset_spec import DatasetSpec, crawled_dataset, dataset_factory
from gans.core.run.recommended import SMALL_SET_DEFAULTS
from gans.pokemon.pokemon_provider import provide_pokemon


@dataset_factory
def pokemon_spec() -> DatasetSpec:
    return crawled_dataset(
        "pokemon",
        "pokeapi",
        image_size=64,
        channels=3,
        fit="pad",
        background="white",
        epochs=500,
        train_defaults=SMALL_SET_DEFAULTS,
        provider=provide_pokemon,
    )
