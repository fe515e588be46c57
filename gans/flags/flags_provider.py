"""flags input pipeline: the shared provider on the converted flags records."""

from gans.core.provider import provide_for_spec
from gans.flags.flags_dataset import flags_spec


def provide_flags(data_dir: str = "datasets/flags", batch_size: int = 64, **kwargs):
    """Batches of (images in [-1, 1], noise) and the steps per epoch."""
    return provide_for_spec(flags_spec(), data_dir, batch_size, **kwargs)
