"""CIFAR-10 input pipeline: the shared provider, with its pipeline settings.

``cifar10_spec`` declares it (``DatasetSpec.provider``), so ``cifar10_gan.py`` trains from it.
50,000 images of 32x32x3 (150 MB as uint8):
decoded images are cached in memory after the first epoch and shuffled 10,000 at a time.
"""

from gans.core.data.provider import dataset_provider

provide_cifar10 = dataset_provider("cifar10", cache=True, shuffle_buffer=10_000)
