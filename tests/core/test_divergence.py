"""NaN/Inf during training: rollback to the last checkpoint, lower LR, give up clearly."""

import keras
import numpy as np
import pytest

from gans.core.errors import DivergenceError
from gans.core.run.experiment import GANExperiment
from gans.mnist.mnist_dataset import mnist_spec
from tests.testing_utils import tiny_config


class PoisonWeights(keras.callbacks.Callback):
    """Sets a discriminator weight to NaN at the given (epoch, batch) points."""

    def __init__(self, gan, when):
        super().__init__()
        self.gan, self.when, self.epoch = gan, set(when), 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        if (self.epoch, batch) in self.when or ("all", "all") in self.when:
            var = self.gan.discriminator.trainable_variables[0]
            var.assign(np.full(var.shape, np.nan, np.float32))


def experiment(tmp_path, epochs=3, **kwargs):
    config = tiny_config(tmp_path, epochs=epochs, batch_size=16, steps_per_epoch=3, **kwargs)
    return GANExperiment(mnist_spec(), config)


def test_nan_rolls_back_and_lowers_the_learning_rate(tmp_path, capsys):
    exp = experiment(tmp_path)
    lr = float(exp.gan.d_optimizer.learning_rate.numpy())
    exp.train([PoisonWeights(exp.gan, [(1, 1)])])
    assert "rolled back to" in capsys.readouterr().out
    for var in exp.gan.discriminator.weights + exp.gan.generator.weights:
        assert np.isfinite(var.numpy()).all()
    assert float(exp.gan.d_optimizer.learning_rate.numpy()) == pytest.approx(lr / 2)
    images = sorted(p.name for p in (tmp_path / "gen/dcgan_gan_28px").glob("*_epoch_*.png"))
    assert len(images) == 3


def test_repeated_divergence_stops_with_a_clear_error(tmp_path):
    exp = experiment(tmp_path, max_rollbacks=2)
    poison = PoisonWeights(exp.gan, [(1, 0), (1, 1), (1, 2), (2, 0)])
    with pytest.raises(DivergenceError, match="diverged 3 times"):
        exp.train([poison])


def test_divergence_before_the_first_checkpoint(tmp_path):
    exp = experiment(tmp_path)
    with pytest.raises(DivergenceError, match="before the first checkpoint"):
        exp.train([PoisonWeights(exp.gan, [(0, 1)])])


class StopAfter(keras.callbacks.Callback):
    """Stops training at the end of epoch ``epoch`` (0-based), as the CPU budget does."""

    def __init__(self, epoch):
        super().__init__()
        self.stop_epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.stop_epoch:
            self.model.stop_training = True


def test_an_early_stop_saves_the_last_epoch_between_periodic_saves(tmp_path):
    exp = experiment(tmp_path, epochs=6, checkpoint_every=4)
    exp.train([StopAfter(1)])
    assert exp.checkpoints.manager.latest_checkpoint.endswith("ckpt-2")
    assert int(exp.epoch.numpy()) == 2


class CollapseLossScale(keras.callbacks.Callback):
    """What endless float16 overflow does: the loss scale halves below 1."""

    def __init__(self, gan):
        super().__init__()
        self.gan = gan

    def on_train_batch_begin(self, batch, logs=None):
        if batch == 1:
            self.gan.d_optimizer.dynamic_scale.assign(0.5)


def test_float16_overflow_that_no_loss_scale_fixes_stops_clearly(tmp_path):
    exp = experiment(tmp_path, precision="mixed_float16")
    with pytest.raises(DivergenceError, match="overflow float16; use --precision=mixed_bfloat16"):
        exp.train([CollapseLossScale(exp.gan)])


def test_the_cpu_budget_stops_training_and_logs_cpu_seconds(tmp_path):
    """--cpu_budget_s: the ablation's equal-work rule; its cpu_s column goes to history.csv."""
    import csv

    exp = experiment(tmp_path, epochs=1000, cpu_budget_s=0.5)
    exp.train()
    with open(exp.run.model_dir / "history.csv") as f:
        rows = list(csv.DictReader(f))
    assert 0 < len(rows) < 1000 and int(exp.epoch.numpy()) == len(rows)
    cpu = [float(r["cpu_s"]) for r in rows]
    assert cpu == sorted(cpu) and cpu[-1] >= 0.5
