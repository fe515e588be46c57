"""The trainer: builds the GAN of a config under its strategy and trains it with the
suite's callbacks (epoch grids, evaluation, history, TensorBoard, divergence guard,
checkpoints, progress).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import sys

import keras
import numpy as np
import tensorflow as tf

from gans.core.errors import ConfigError
from gans.core.metrics.training_eval import TrainingEvaluation
from gans.core.model.augment import AdaptiveAugment, diff_augment
from gans.core.model.gan import GAN
from gans.core.model.labels import LabelPolicy
from gans.core.model.networks import NetworkOptions, build_networks
from gans.core.model.schedule import ScheduleConfig
from gans.core.run.callbacks import (
    AsyncProgbar,
    CpuBudget,
    DivergenceGuard,
    EpochCheckpoint,
    EpochImages,
    EpochTensorBoard,
    PeriodicReport,
    Throughput,
)
from gans.core.run.checkpoints import RunCheckpoint
from gans.core.run.config import TrainConfig
from gans.core.run.run_dir import RunDirectory

log = logging.getLogger("gans")


def make_optimizer(
    name: str, lr: float, beta1: float, beta2: float, precision: str = "float32"
) -> keras.optimizers.Optimizer:
    """Adam (DCGAN: 2e-4, β1 = 0.5) or RMSProp (WGAN: 5e-5); float16 wraps it in a
    ``LossScaleOptimizer`` (bfloat16 has float32's range and needs none)."""
    if name == "adam":
        optimizer = keras.optimizers.Adam(lr, beta_1=beta1, beta_2=beta2)
    elif name == "rmsprop":
        optimizer = keras.optimizers.RMSprop(lr)
    else:
        raise ConfigError(f"unknown optimizer {name!r}; choose adam or rmsprop")
    if precision == "mixed_float16":
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer


def configure_threads(intra_op: int, inter_op: int) -> None:
    """CPU thread pools (0 = TensorFlow's choice); must run before TF's runtime starts."""
    try:
        if intra_op:
            tf.config.threading.set_intra_op_parallelism_threads(intra_op)
        if inter_op:
            tf.config.threading.set_inter_op_parallelism_threads(inter_op)
    except RuntimeError:
        log.warning("thread counts not applied: TensorFlow's runtime had already started")


def label_policy(config: TrainConfig) -> LabelPolicy:
    """Uniform ranges win over the one-sided constant; flips apply to either."""
    real = config.real_label_range or (1.0 - config.label_smoothing, 1.0 - config.label_smoothing)
    fake = config.fake_label_range or (0.0, 0.0)
    return LabelPolicy(real_range=tuple(real), fake_range=tuple(fake), flip_prob=config.flip_prob)


def make_augment(config: TrainConfig):
    """The discriminator-input augmentation of ``--augment`` (create under the scope)."""
    if config.augment == "diffaugment":
        return functools.partial(diff_augment, policy=config.augment_policy)
    if config.augment == "ada":
        return AdaptiveAugment(target=config.ada_target)
    if config.augment == "none":
        return None
    raise ConfigError(f"--augment={config.augment}: use none, diffaugment or ada")


def build_gan(config: TrainConfig, num_classes: int = 0) -> GAN:
    """The compiled ``GAN`` of a resolved config (call under the strategy's scope)."""
    c = config
    keras.utils.set_random_seed(c.seed)
    # The network knobs the config sets have the same names in both (width, upsample,
    # d_norm, spectral_norm, minibatch_std, minibatch_disc); the rest keep their defaults.
    names = {f.name for f in dataclasses.fields(NetworkOptions)} & set(dataclasses.asdict(c))
    opts = NetworkOptions(**{name: getattr(c, name) for name in sorted(names)})
    generator, discriminator = build_networks(
        c.network, c.image_size, c.channels, c.noise_dim, opts, num_classes
    )
    gan = GAN(
        generator,
        discriminator,
        noise_dim=c.noise_dim,
        loss=c.loss,
        label_policy=label_policy(c),
        schedule=ScheduleConfig(
            d_steps=c.d_steps, g_steps=c.g_steps, monitor_factor=c.monitor_factor, boost=c.boost
        ),
        clip_value=c.clip_value,
        gp_weight=c.gp_weight,
        r1_weight=c.r1_weight,
        recon_weight=c.recon_weight,
        step=c.step,
        augment=make_augment(c),
        ema_decay=c.ema_decay,
        seed=c.seed,
        num_classes=num_classes,
    )
    gan.compile(
        g_optimizer=make_optimizer(c.optimizer, c.g_lr, c.beta1, c.beta2, c.precision),
        d_optimizer=make_optimizer(c.optimizer, c.d_lr, c.beta1, c.beta2, c.precision),
        jit_compile=c.jit_compile,
    )
    return gan


def steps_per_call(requested: int, steps: int) -> int:
    """The largest divisor of ``steps`` (per epoch) that is at most ``requested``: a call
    of several steps must not run on into the next epoch's batches."""
    repeats = max(1, min(requested, steps))
    while steps % repeats:
        repeats -= 1
    if repeats != requested:
        log.info(
            "--steps_per_execution=%d: %d steps per epoch, running %d per call",
            requested,
            steps,
            repeats,
        )
    return repeats


# Not hyperparameters: where things are written, and the flags as text.
_NOT_HPARAMS = frozenset({"data_dir", "source_dir", "model_dir", "gen_dir", "flags_text"})


def hparams_of(config: TrainConfig) -> dict:
    """The config as TensorBoard HParams: set values only; ranges as text."""
    out = {}
    for name, value in dataclasses.asdict(config).items():
        if name in _NOT_HPARAMS or value is None:
            continue
        out[name] = value if isinstance(value, bool | int | float | str) else str(value)
    return out


def fixed_noise(config: TrainConfig, num_classes: int = 0) -> np.ndarray:
    """The noise of the epoch grids: a function of the seed only, so resumes match. A
    conditional GAN's grid has whole rows: one sample of every class per row."""
    rng = np.random.default_rng(config.seed + 12345)
    count = config.grid_size
    if num_classes:
        count = num_classes * max(1, count // num_classes)
    return rng.standard_normal((count, config.noise_dim)).astype(np.float32)


class Trainer:
    """A resolved config's GAN and epoch counter, built under ``strategy`` with the
    config's precision policy, and the ``fit`` that trains it. A conditional GAN's
    ``class_names`` title the columns of its epoch grids."""

    def __init__(
        self,
        config: TrainConfig,
        strategy: tf.distribute.Strategy,
        num_classes: int = 0,
        class_names: tuple[str, ...] = (),
    ) -> None:
        self.config = config
        self.strategy = strategy
        self.num_classes = num_classes
        self.class_names = tuple(class_names)
        previous_policy = keras.mixed_precision.global_policy()
        keras.mixed_precision.set_global_policy(config.precision)
        try:
            with strategy.scope():
                self.gan = build_gan(config, num_classes)
                self.epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="epoch")
        finally:
            keras.mixed_precision.set_global_policy(previous_policy)

    def callbacks(
        self,
        checkpoint: RunCheckpoint,
        run: RunDirectory | None,
        real_sample=None,
        extra: list | None = None,
    ) -> list[keras.callbacks.Callback]:
        """The run's callbacks; ``run`` (the chief's run directory) adds the outputs, and
        ``real_sample(n)`` gives the evaluation's reference images."""
        c = self.config
        callbacks: list = [Throughput(c.batch_size)]
        if c.cpu_budget_s > 0:  # before the outputs, so they log its cpu_s
            callbacks.append(CpuBudget(c.cpu_budget_s))
        if run is not None:
            callbacks += self._output_callbacks(run, real_sample)
        callbacks += list(extra or [])
        optimizers = [self.gan.g_optimizer, self.gan.d_optimizer]
        callbacks.append(
            DivergenceGuard(checkpoint.checkpoint, checkpoint.manager, optimizers, c.max_rollbacks)
        )
        callbacks.append(EpochCheckpoint(checkpoint.manager, self.epoch, c.checkpoint_every))
        return callbacks

    def _output_callbacks(self, run: RunDirectory, real_sample) -> list[keras.callbacks.Callback]:
        """What only the chief writes: epoch grids, evaluation, history, TensorBoard."""
        from tensorboard.plugins.hparams import api as hp

        c = self.config
        # One TensorBoard run per training run: Keras's scalars, the epoch grids, the
        # evaluation and the HParams all go to <model_dir>/tensorboard/train.
        log_dir = run.model_dir / "tensorboard"
        writer = tf.summary.create_file_writer(str(log_dir / "train"))
        with writer.as_default():
            hp.hparams(hparams_of(c), trial_id=f"{c.dataset}/{c.run_name}")
        callbacks = [
            EpochImages(
                self.gan.generate,
                fixed_noise(c, self.num_classes),
                run.image_dir,
                c.dataset,
                writer,
                columns=self.num_classes or None,
                column_titles=self.class_names or None,
            ),
        ]
        if c.eval_every > 0:
            callbacks.append(
                TrainingEvaluation(
                    self.gan.generate,
                    real_sample(1024),
                    c.noise_dim,
                    run.model_dir / "metrics.jsonl",
                    every=c.eval_every,
                    summary_writer=writer,
                )
            )
        callbacks += [
            keras.callbacks.CSVLogger(str(run.model_dir / "history.csv"), append=True),
            EpochTensorBoard(log_dir=str(log_dir), write_graph=False),
            PeriodicReport(run.report, c.eval_every),  # last: after that epoch's files
        ]
        return callbacks

    def verbosity(self, chief: bool) -> int:
        """Keras verbosity: ``--verbose``, or a bar on a terminal and a line otherwise;
        silent on workers other than the chief."""
        verbose = self.config.verbose
        if verbose < 0:
            verbose = 1 if sys.stdout.isatty() else 2
        return verbose if chief else 0

    def fit(self, dataset, start: int, steps: int, callbacks: list, verbose: int):
        """Train epochs ``start`` … ``epochs - 1``; return Keras's ``History``."""
        if verbose:  # passed in, so Keras adds no progress bar that syncs every step
            callbacks = [*callbacks, AsyncProgbar()]
        repeats = steps_per_call(self.config.steps_per_execution, steps)
        if repeats != self.gan.steps_per_execution:
            self.gan.steps_per_execution, self.gan.train_function = repeats, None
        return self.gan.fit(
            dataset,
            epochs=self.config.epochs,
            initial_epoch=start,
            steps_per_epoch=steps,
            callbacks=callbacks,
            verbose=verbose,
            shuffle=False,
        )
