"""magic input pipeline: the shared provider on the converted magic records."""

from gans.core.provider import provide_for_spec
from gans.magic.magic_dataset import magic_spec


def provide_magic(data_dir: str = "datasets/magic", batch_size: int = 64, **kwargs):
    """Batches of (images in [-1, 1], noise) and the steps per epoch."""
    return provide_for_spec(magic_spec(), data_dir, batch_size, **kwargs)
