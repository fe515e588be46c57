"""yugioh input pipeline: the shared provider on the converted yugioh records."""

from gans.core.provider import provide_for_spec
from gans.yugioh.yugioh_dataset import yugioh_spec


def provide_yugioh(data_dir: str = "datasets/yugioh", batch_size: int = 64, **kwargs):
    """Batches of (images in [-1, 1], noise) and the steps per epoch."""
    return provide_for_spec(yugioh_spec(), data_dir, batch_size, **kwargs)
