"""Pokemon input pipeline: the shared provider, with its pipeline settings.

``pokemon_spec`` declares it (``DatasetSpec.provider``), so ``pokemon_gan.py`` trains from it.
a few hundred to ~10k images: decoded images are cached in memory after
the first epoch and shuffled 10,000 at a time.
"""

from gans.core.data.provider import dataset_provider

provide_pokemon = dataset_provider("pokemon", cache=True, shuffle_buffer=10_000)
