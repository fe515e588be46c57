"""MNIST input pipeline: the shared provider on the converted MNIST records."""

from gans.core.provider import provide_for_spec
from gans.mnist.mnist_dataset import mnist_spec


def provide_mnist(
    data_dir: str = "datasets/mnist", batch_size: int = 128, variant="mnist", **kwargs
):
    """Batches of (28x28x1 images in [-1, 1], noise) and the steps per epoch."""
    return provide_for_spec(mnist_spec(variant), data_dir, batch_size, **kwargs)
