"""cifar10 input pipeline: the shared provider on the converted cifar10 records."""

from gans.cifar10.cifar10_dataset import cifar10_spec
from gans.core.provider import provide_for_spec


def provide_cifar10(data_dir: str = "datasets/cifar10", batch_size: int = 64, **kwargs):
    """Batches of (images in [-1, 1], noise) and the steps per epoch."""
    return provide_for_spec(cifar10_spec(), data_dir, batch_size, **kwargs)
