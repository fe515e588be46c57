"""MNIST and Fashion-MNIST: 60,000 28x28 grayscale images in 10 classes.

Defaults (the recommended settings, measured in docs/ablation.md): the DCGAN at 28 px (the
TensorFlow DCGAN tutorial's shape: 7x7 → 14 → 28) at half width (``--width=32``), Adam
5e-4 for the non-saturating loss, batch 128 (fits a laptop CPU and keeps batch-norm
statistics stable), 20 epochs. No DiffAugment or EMA: they do not help on 60k images.
"""

from __future__ import annotations

from gans.core.data.dataset_spec import DatasetSpec, dataset_factory
from gans.mnist.mnist_convert import VARIANTS, convert_mnist
from gans.mnist.mnist_provider import provide_mnist

CLASS_NAMES = {
    "mnist": tuple(str(d) for d in range(10)),
    "fashion": (
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ),
}


@dataset_factory
def mnist_spec(variant: str = "mnist") -> DatasetSpec:
    """The dataset spec of ``variant`` ("mnist" or "fashion")."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; choose one of {sorted(VARIANTS)}")

    def convert(source_dir, out_dir, options):
        del options  # stored at the native 28x28x1
        return convert_mnist(variant, source_dir, out_dir)

    return DatasetSpec(
        name=VARIANTS[variant].name,
        image_size=28,
        channels=1,
        convert=convert,
        stored_size=28,
        network="dcgan",
        batch_size=128,
        epochs=20,
        num_classes=10,
        class_names=CLASS_NAMES[variant],
        train_defaults={"width": 32},
        loss_defaults={"gan": {"g_lr": 5e-4, "d_lr": 5e-4}},
        provider=provide_mnist,
    )
