"""Dataset name → spec factory, for commands that start from a model directory."""

from __future__ import annotations

import importlib

from gans.core.data.dataset_spec import DatasetSpec

SPECS = {
    "mnist": ("gans.mnist.mnist_dataset", "mnist_spec", {"variant": "mnist"}),
    "fashion_mnist": ("gans.mnist.mnist_dataset", "mnist_spec", {"variant": "fashion"}),
    "cifar10": ("gans.cifar10.cifar10_dataset", "cifar10_spec", {}),
    "pokemon": ("gans.pokemon.pokemon_dataset", "pokemon_spec", {}),
    "yugioh": ("gans.yugioh.yugioh_dataset", "yugioh_spec", {}),
    "magic": ("gans.magic.magic_dataset", "magic_spec", {}),
    "flags": ("gans.flags.flags_dataset", "flags_spec", {}),
}


def get_spec(name: str) -> DatasetSpec:
    """The spec of a dataset name; any other name is an image folder of that name."""
    if name in SPECS:
        module, function, kwargs = SPECS[name]
        return getattr(importlib.import_module(module), function)(**kwargs)
    from gans.image_folder.image_folder_dataset import image_folder_spec

    return image_folder_spec(name)
