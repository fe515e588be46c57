"""``--steps_per_execution``: several train steps per compiled call train exactly like one."""

import numpy as np
import pytest

from gans.core.run.experiment import GANExperiment
from gans.core.run.trainer import steps_per_call
from gans.mnist.mnist_dataset import mnist_spec
from tests.testing_utils import make_idx_dir, tiny_config


@pytest.mark.parametrize(
    ("requested", "steps", "expected"), [(1, 5, 1), (4, 6, 3), (8, 16, 8), (10, 3, 3), (3, 7, 1)]
)
def test_steps_per_call_is_a_divisor_of_the_epoch(requested, steps, expected):
    assert steps_per_call(requested, steps) == expected


@pytest.mark.parametrize("schedule", [{}, {"d_steps": 2}], ids=["alternating", "scheduled"])
def test_several_steps_per_call_train_like_one(tmp_path, schedule):
    """Same seed, same data: 2 epochs of 4 steps at 1 and at 2 steps per call give the same
    weights, for the fused step and for the scheduled one (its ``tf.cond`` in the loop)."""
    source = make_idx_dir(tmp_path / "idx", 64)
    weights, logs = {}, {}
    for repeats in (1, 2):
        config = tiny_config(
            tmp_path / f"spe{repeats}",
            source_dir=source,
            epochs=2,
            steps_per_epoch=4,
            steps_per_execution=repeats,
            **schedule,
        )
        experiment = GANExperiment(mnist_spec(), config)
        logs[repeats] = experiment.train()
        assert experiment.gan.steps_per_execution == repeats
        nets = (experiment.gan.generator, experiment.gan.discriminator)
        weights[repeats] = [w.numpy() for net in nets for w in net.weights]
    for one, two in zip(weights[1], weights[2], strict=True):
        np.testing.assert_allclose(one, two, rtol=1e-5, atol=1e-6)
    assert logs[2]["d_loss"] == pytest.approx(logs[1]["d_loss"], rel=1e-5)
