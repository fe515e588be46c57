"""EmojiOne flags input pipeline: the shared provider, with its pipeline settings.

``flags_spec`` declares it (``DatasetSpec.provider``), so ``flags_gan.py`` trains from it.
253 images: decoded images are cached in memory after
the first epoch and shuffled 10,000 at a time.
"""

from gans.core.data.provider import dataset_provider

provide_flags = dataset_provider("flags", cache=True, shuffle_buffer=10_000)
