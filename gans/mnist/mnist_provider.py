"""MNIST / Fashion-MNIST input pipeline: the shared provider, with its pipeline settings.

``mnist_spec`` declares it (``DatasetSpec.provider``), so ``mnist_gan.py`` trains from it.
60,000 images of 28x28x1 (47 MB as uint8):
decoded images are cached in memory after the first epoch and shuffled 10,000 at a time.
"""

from gans.core.data.provider import dataset_provider

provide_mnist = dataset_provider("mnist", cache=True, shuffle_buffer=10_000)
