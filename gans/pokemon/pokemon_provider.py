"""pokemon input pipeline: the shared provider on the converted pokemon records."""

from gans.core.provider import provide_for_spec
from gans.pokemon.pokemon_dataset import pokemon_spec


def provide_pokemon(data_dir: str = "datasets/pokemon", batch_size: int = 64, **kwargs):
    """Batches of (images in [-1, 1], noise) and the steps per epoch."""
    return provide_for_spec(pokemon_spec(), data_dir, batch_size, **kwargs)
