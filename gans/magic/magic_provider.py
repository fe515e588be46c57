"""Magic input pipeline: the shared provider, with its pipeline settings.

``magic_spec`` declares it (``DatasetSpec.provider``), so ``magic_gan.py`` trains from it.
~10k-30k art crops: the decoded images are cached in memory after the first epoch and shuffled
10,000 at a time.
"""

from gans.core.data.provider import dataset_provider

provide_magic = dataset_provider("magic", cache=True, shuffle_buffer=10_000)
