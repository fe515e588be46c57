"""Estimator-style front end: configure once, then ``train()`` / ``generate()``.

A ``GANExperiment`` puts together the parts of a run, each with one job:

* ``RunDirectory`` (``run_dir``): the model dir and image dir, their lock, metadata, report;
* ``DataPreparation`` (``data_prep``): convert on first use or when the source changed,
  wait for the chief, batches from the dataset's provider, real samples;
* ``Trainer`` (``trainer``): the GAN built under the strategy, its callbacks and ``fit``;
* ``RunCheckpoint`` (``checkpoints``): save, find and restore the training state.

``train()`` locks the model directory, refuses settings that cannot change mid-run,
converts if needed, restores the newest checkpoint that restores and trains the remaining
epochs, replaying the data pipeline so a resume matches the uninterrupted run.
``restore()`` and ``sample()`` are what sampling (``generate``) and evaluation use.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import tensorflow as tf

from gans.core.data.data_prep import DataPreparation
from gans.core.data.dataset_spec import DatasetSpec, spec_from_origin
from gans.core.data.folder_converter import parse_colour
from gans.core.errors import ConfigError, DataError, Interrupted, MissingDataError
from gans.core.model.latent import make_noise
from gans.core.model.losses import get_loss
from gans.core.model.networks import check_shape
from gans.core.run.checkpoints import RunCheckpoint
from gans.core.run.config import TrainConfig, validate
from gans.core.run.distribute import get_strategy, is_chief
from gans.core.run.run_dir import RunDirectory, checkpoint_numbers, load_saved, prefix
from gans.core.run.trainer import Trainer, configure_threads, fixed_noise

SPEC_KEY = "dataset_spec"  # config.json: how to rebuild the run's DatasetSpec


def resolve(config: TrainConfig, spec: DatasetSpec) -> TrainConfig:
    """Fill every ``None`` with the dataset's or the loss's default; validate the result
    (``gans.core.run.config.validate``, plus what only the dataset can say)."""
    validate(config)
    loss = get_loss(config.loss)
    image_size = config.image_size or spec.image_size
    channels = config.channels or spec.channels
    check_shape(image_size, channels)
    if spec.stored_size and (image_size, channels) != (spec.stored_size, spec.channels):
        raise ConfigError(
            f"{spec.name} is stored at {spec.stored_size} px with {spec.channels} channel(s); "
            "leave --image_size and --channels unset"
        )
    if spec.num_classes and (config.labels or "auto") != "auto":
        raise DataError(
            f"--labels={config.labels}: {spec.name} has labels of its own; leave it unset"
        )
    fit = config.fit or spec.fit
    background = config.background or spec.background
    parse_colour(background)
    network = config.network or spec.network
    fastgan_only = {
        "--g_spectral_norm": config.g_spectral_norm,
        "--d_head=pool": config.d_head == "pool",
    }
    for flag, used in fastgan_only.items():
        if used and network != "fastgan":
            raise ConfigError(
                f"{flag} is built for --network=fastgan, not --network={network}; "
                f"drop {flag} or use --network=fastgan"
            )
    lr = loss.default_lr
    recommended = spec.loss_defaults.get(config.loss, {})
    suffix = "_cond" if config.conditional else ""
    run_name = config.run_name or f"{network}_{config.loss}_{image_size}px{suffix}"
    return config.replace(
        dataset=spec.name,
        image_size=image_size,
        channels=channels,
        fit=fit,
        background=background,
        network=network,
        optimizer=config.optimizer or loss.default_optimizer,
        g_lr=config.g_lr if config.g_lr is not None else recommended.get("g_lr", lr),
        d_lr=config.d_lr if config.d_lr is not None else recommended.get("d_lr", lr),
        d_steps=config.d_steps or loss.default_d_steps,
        clip_value=config.clip_value if config.clip_value is not None else loss.default_clip,
        gp_weight=config.gp_weight if config.gp_weight is not None else loss.default_gp_weight,
        recon_weight=(
            config.recon_weight
            if config.recon_weight is not None
            else float(network == "fastgan")  # FastGAN's D has the decoders it trains
        ),
        data_dir=config.data_dir or str(Path("datasets") / spec.name),
        gen_dir=config.gen_dir or str(Path("gen_img") / spec.name),
        model_dir=config.model_dir or str(Path("models") / spec.name / run_name),
        run_name=run_name,
    )


class GANExperiment:
    """A configured GAN on one dataset: ``train()``, ``restore()``, ``sample()``,
    ``generate(n)``, ``evaluate()``."""

    def __init__(self, spec: DatasetSpec, config: TrainConfig) -> None:
        self.spec = spec
        self.config = resolve(config, spec)
        configure_threads(self.config.intra_op_threads, self.config.inter_op_threads)
        self.strategy = get_strategy(self.config.strategy)
        self.chief = is_chief(self.strategy)
        self.run = RunDirectory(self.config)
        self.data = DataPreparation(spec, self.config, chief=self.chief)
        self.class_names = self._class_names() if self.config.conditional else ()
        self.num_classes = len(self.class_names)
        self.trainer = Trainer(self.config, self.strategy, self.num_classes, self.class_names)
        self.gan = self.trainer.gan
        self.epoch = self.trainer.epoch
        self.checkpoints = RunCheckpoint(
            self.gan,
            self.epoch,
            self.config.model_dir,
            self.strategy,
            chief=self.chief,
            keep=self.config.keep_checkpoints,
        )
        self.resume_changes: dict[str, tuple] = {}

    # --- where things are: ``run.model_dir``, ``run.image_dir``, ``data.tfrecord_dir``,
    # ``checkpoints.directory`` and ``checkpoints.manager`` -----------------------------------
    @property
    def restored_path(self) -> str | None:
        """The checkpoint prefix the last ``restore`` loaded."""
        return self.checkpoints.restored_path

    @property
    def generator_steps(self) -> int:
        """G updates so far (the generator optimizer's iterations)."""
        return int(self.gan.g_optimizer.iterations.numpy())

    @property
    def epochs_done(self) -> int:
        """Completed epochs of the state in memory (restored or trained)."""
        return self.checkpoints.epoch

    @classmethod
    def from_model_dir(
        cls,
        model_dir: str | Path,
        find_spec: Callable[[str], DatasetSpec] | None = None,
        **overrides,
    ) -> GANExperiment:
        """Rebuild the experiment a model directory was trained with (``config.json``).

        The dataset spec is rebuilt from what ``config.json`` records; ``find_spec(name)``
        (e.g. ``gans.registry.get_spec``) serves model dirs that do not record it.
        """
        path = Path(model_dir) / "config.json"
        if not path.is_file():
            raise MissingDataError(f"{path}: not found; is {model_dir} a trained model directory?")
        config, extras, relocated = load_saved(model_dir)
        paths = {}
        if relocated:
            # A copied or moved run: what it writes (closest pairs, samples) stays in it;
            # its data is read where the paths lead, else where it was trained.
            paths["gen_dir"] = str(Path(model_dir) / "gen_img")
            old_data = extras.get("absolute_paths", {}).get("data_dir")
            if config.data_dir and not Path(config.data_dir).exists() and old_data:
                paths["data_dir"] = old_data
            print(
                f"{model_dir} was written in {extras['saved_in']}; its outputs go to "
                f"{paths['gen_dir']}/{config.run_name}"
            )
        config = config.replace(**{**paths, **overrides})
        if extras.get(SPEC_KEY):
            spec = spec_from_origin(extras[SPEC_KEY])
        elif find_spec is not None:
            spec = find_spec(config.dataset)
        else:
            raise MissingDataError(
                f"{path} does not say how to rebuild dataset {config.dataset!r}; pass "
                "find_spec (gans.registry.get_spec), or use the gans-generate/gans-evaluate "
                "commands"
            )
        return cls(spec, config)

    # --- data -------------------------------------------------------------------------------
    def _class_names(self) -> tuple[str, ...]:
        """The classes of a conditional run: the dataset's own, the ones the run was
        trained with (``config.json``: generating needs no data), or the conversion's
        (converting first if there is none yet)."""
        if not self.spec.num_classes:
            saved = self.run.saved_class_names()
            if saved:
                return saved
        return self.data.class_names()

    def ensure_dataset(self) -> dict:
        """The dataset's manifest, converting from the source first if needed."""
        return self.data.ensure()

    def real_sample(self, count: int) -> np.ndarray:
        """Up to ``count`` real training images in [-1, 1] (the first ones, deterministic)."""
        return self.data.real_sample(count)

    def _input(self, start: int):
        """Batches for epochs ``start`` … ``epochs - 1`` and the steps per epoch."""
        return self.data.batches(self.strategy, start, with_labels=bool(self.num_classes))

    def fixed_noise(self) -> np.ndarray:
        """The noise of the epoch grids: a function of the seed only, so resumes match."""
        return fixed_noise(self.config, self.num_classes)

    # --- checkpoints ------------------------------------------------------------------------
    def restore(
        self,
        checkpoint: str | os.PathLike | None = None,
        require: bool = False,
        repair: bool = False,
        verbose: bool = True,
    ) -> int:
        """Restore a checkpoint; return the number of completed epochs.

        ``checkpoint=None``: the newest one that restores (a damaged newest one is reported
        and skipped; see ``RunCheckpoint.restore`` for ``require`` and ``repair``). Else a
        prefix path (``.../checkpoints/ckpt-3``), a name in ``checkpoints/`` (``ckpt-3``) or
        an epoch number (``3``), which must restore.
        """
        if checkpoint is None or str(checkpoint) == "":
            return self.checkpoints.restore(require=require, repair=repair, verbose=verbose)
        self.checkpoints.restore_path(self.find_checkpoint(checkpoint))
        return self.epochs_done

    def find_checkpoint(self, checkpoint: str | os.PathLike | None = None) -> str:
        """The checkpoint prefix ``checkpoint`` names (see ``restore``); the latest one for
        ``None``."""
        folder = Path(self.checkpoints.directory)
        numbers = checkpoint_numbers(folder)
        if checkpoint is None or str(checkpoint) == "":
            if not numbers:
                raise MissingDataError(f"{folder}: no checkpoint; train {self.run.model_dir} first")
            return prefix(folder, numbers[-1])
        text = str(checkpoint)
        candidates = [Path(text), folder / text]
        if text.isdigit():
            candidates.append(folder / f"ckpt-{int(text)}")
        for candidate in candidates:
            if Path(f"{candidate}.index").is_file():
                return str(candidate)
        available = ", ".join(f"ckpt-{n}" for n in numbers) or "none"
        raise MissingDataError(f"checkpoint {text}: not found (in {folder}: {available})")

    # --- train ------------------------------------------------------------------------------
    def train(self, extra_callbacks: list | None = None) -> dict:
        """Lock the model dir, convert if needed, resume, train to ``config.epochs``;
        return the last logs. Only the chief takes the lock (it alone writes the run)."""
        if not self.chief:
            return self._train(extra_callbacks)
        with self.run.lock():
            return self._train(extra_callbacks)

    def _apply_resume_changes(self, start: int) -> None:
        """Settings changed on resume: learning rates go into the restored optimizers
        (the rest is read from the config as the run goes); each change is one line."""
        from gans.core.run.run_dir import describe_changes

        changes = self.resume_changes
        if not changes:
            return
        for name, optimizer in (("g_lr", self.gan.g_optimizer), ("d_lr", self.gan.d_optimizer)):
            if name in changes:
                optimizer.learning_rate.assign(float(changes[name][1]))
        print(f"resuming at epoch {start} with changed settings: {describe_changes(changes)}")

    def _train(self, extra_callbacks: list | None = None) -> dict:
        c = self.config
        self.resume_changes = (
            self.run.resume_changes(bool(self.checkpoints.numbers)) if self.chief else {}
        )
        manifest = self.data.ensure()
        self.data.check_classes(manifest, self.class_names, self.run.model_dir)
        if manifest.get("count", c.batch_size) < c.batch_size:
            raise DataError(
                f"{self.data.tfrecord_dir}: {manifest['count']} images, fewer than one batch of "
                f"{c.batch_size}; lower --batch_size or add images"
            )
        start = self.checkpoints.restore(repair=True)
        self._apply_resume_changes(start)
        if self.chief:
            self.run.trim_history(start)
        if start >= c.epochs:
            print(
                f"{self.run.model_dir}: already trained {start} epochs (--epochs={c.epochs}); "
                "raise --epochs to train more"
            )
            if self.chief:  # a run killed after its last checkpoint still gets its report
                self.run.report()
            return {}
        if self.chief:
            extra = {SPEC_KEY: list(self.spec.origin)} if self.spec.origin else {}
            if self.class_names:
                extra["class_names"] = list(self.class_names)
            self.run.write_metadata(start, self.resume_changes, self.data.real_sample, extra)
        dataset, steps = self._input(start)
        run = self.run if self.chief else None
        callbacks = self.trainer.callbacks(
            self.checkpoints, run, self.data.real_sample, extra_callbacks
        )
        try:
            history = self.trainer.fit(
                dataset, start, steps, callbacks, self.trainer.verbosity(self.chief)
            )
        except KeyboardInterrupt:
            saved = self.checkpoints.save_on_interrupt()
            raise Interrupted(f"interrupted; {saved}. Run the same command to resume") from None
        finally:  # also after Ctrl-C, a divergence stop or any error: the page shows it
            if self.chief:
                self._final_report()
        return {k: v[-1] for k, v in history.history.items()}

    def _final_report(self) -> None:
        """Build the run report at the end of ``fit``, however it ended; a failure to build
        it is one line and never hides why training stopped."""
        try:
            self.run.report(announce=True)
        except Exception as err:
            print(f"run report not rebuilt ({type(err).__name__}: {err})")

    # --- use --------------------------------------------------------------------------------
    def evaluate(self, num_samples: int = 1000, extractor: str = "classifier", **kwargs) -> dict:
        """FID/KID (classifier or Inception features), SWD, diversity, mode coverage and a
        memorization report of the latest checkpoint; see ``gans.core.metrics.evaluation``."""
        from gans.core.metrics.evaluation import evaluate_experiment

        return evaluate_experiment(self, num_samples, extractor=extractor, **kwargs)

    @property
    def sampler(self):
        """The generator that samples (the EMA copy when the run keeps one)."""
        return self.gan.sampler

    @property
    def sampler_kind(self) -> str:
        """``"ema"`` when samples come from the EMA generator, else ``"generator"``."""
        return "ema" if self.gan.ema_generator is not None else "generator"

    def sample(self, noise, labels=None, batch_size: int = 256) -> np.ndarray:
        """Images in [-1, 1] for ``noise`` ``[N, noise_dim]`` (and int ``labels`` ``[N]`` of
        a conditional GAN) from the restored sampling generator, in inference mode, in
        batches of ``batch_size``. Nothing is restored here: call ``restore`` first."""
        noise = np.asarray(noise, np.float32)
        out = []
        for i in range(0, len(noise), batch_size):
            batch_labels = None if labels is None else tf.constant(labels[i : i + batch_size])
            images = self.gan.generate(tf.constant(noise[i : i + batch_size]), batch_labels)
            out.append(np.asarray(images, np.float32))
        if not out:
            c = self.config
            return np.zeros((0, c.image_size, c.image_size, c.channels), np.float32)
        return np.concatenate(out)

    def generate(
        self, num_images: int, seed: int = 0, labels=None, truncation: float | None = None
    ) -> np.ndarray:
        """``num_images`` images in [-1, 1] from the latest checkpoint (EMA G if any);
        ``labels`` pick classes of a conditional GAN (default: cycling through them);
        ``truncation`` draws the noise inside ±T (BigGAN's trick, ``gans.core.model.latent``)."""
        noise = make_noise(num_images, self.config.noise_dim, seed, truncation)
        self.restore(require=True)
        if labels is not None:
            labels = tf.constant(labels, tf.int32)
        return np.asarray(self.gan.generate(tf.constant(noise), labels))
