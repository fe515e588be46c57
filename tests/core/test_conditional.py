"""Class-conditional GAN: labelled batches, per-class grids, label-driven generation."""

import numpy as np
import pytest
from PIL import Image

from gans.core.run.experiment import GANExperiment
from gans.mnist.mnist_dataset import mnist_spec
from gans.pokemon.pokemon_dataset import pokemon_spec
from tests.testing_utils import tiny_config


def test_conditional_mnist_trains_and_draws_one_class_per_column(tmp_path):
    config = tiny_config(tmp_path, conditional=True, batch_size=16, steps_per_epoch=2, grid_size=20)
    experiment = GANExperiment(mnist_spec(), config)
    assert experiment.config.run_name == "dcgan_gan_28px_cond"
    experiment.train()
    grid = Image.open(tmp_path / "gen/dcgan_gan_28px_cond/mnist_epoch_0001.png")
    cell = 56 + 2  # 28 px upscaled to 56 plus padding
    assert abs(grid.width - (10 * cell + 2)) <= 2  # ten columns, one per class
    zeros = experiment.generate(4, seed=3, labels=[0, 0, 0, 0])
    ones = experiment.generate(4, seed=3, labels=[1, 1, 1, 1])
    assert zeros.shape == (4, 28, 28, 1)
    assert not np.allclose(zeros, ones)  # the label changes the image for the same noise


def test_conditional_needs_labels(tmp_path):
    flat = tmp_path / "flat"  # images directly in the folder: no classes
    flat.mkdir()
    for i in range(3):
        Image.new("RGB", (16, 16), (80 * i, 0, 0)).save(flat / f"{i}.png")
    config = tiny_config(tmp_path, source_dir=flat, conditional=True)
    with pytest.raises(ValueError, match=r"needs a labelled dataset.*one subfolder per class"):
        GANExperiment(pokemon_spec(), config)
