"""Yu-Gi-Oh! input pipeline: the shared provider, with its pipeline settings.

``yugioh_spec`` declares it (``DatasetSpec.provider``), so ``yugioh_gan.py`` trains from it.
~10k art crops: the decoded images are cached in memory after the first epoch and shuffled
10,000 at a time.
"""

from gans.core.data.provider import dataset_provider

provide_yugioh = dataset_provider("yugioh", cache=True, shuffle_buffer=10_000)
