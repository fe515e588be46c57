"""Estimator-style front end: configure once, then ``train()`` / ``generate()``.

A ``GANExperiment`` owns a model directory (checkpoints, TensorBoard events, the resolved
config) and an image directory (``gen_img/<dataset>/<run>/``). ``train()`` locks the model
directory (``run_lock``), refuses settings that cannot change mid-run (``run_dir``),
converts the dataset on first use or when its source changed, restores the newest
checkpoint that restores (found from the ``ckpt-N.index`` files) and trains the remaining
epochs, replaying the data pipeline so a resume matches the uninterrupted run.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import shutil
import sys
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from gans.core import run_dir as rundir
from gans.core.augment import AdaptiveAugment, diff_augment
from gans.core.callbacks import (
    AsyncProgbar,
    CpuBudget,
    DivergenceGuard,
    EpochCheckpoint,
    EpochImages,
    EpochTensorBoard,
    Throughput,
)
from gans.core.class_labels import (
    describe_classes,
    labels_stale_reason,
    manifest_class_names,
)
from gans.core.config import TrainConfig
from gans.core.contact_sheet import write_contact_sheet
from gans.core.dataset_spec import DatasetSpec
from gans.core.distribute import get_strategy, is_chief, worker_model_dir
from gans.core.errors import DataError, Interrupted, MissingDataError
from gans.core.folder_converter import ConvertOptions, parse_colour
from gans.core.gan import GAN
from gans.core.image_grid import save_grid
from gans.core.labels import LabelPolicy
from gans.core.losses import get_loss
from gans.core.networks import build_networks, check_shape
from gans.core.provider import decode_images, provide_dataset, verify_records
from gans.core.run_lock import RunLock
from gans.core.run_report import build_run_report
from gans.core.schedule import ScheduleConfig
from gans.core.tfrecord_writer import read_manifest, stale_reason
from gans.core.training_eval import TrainingEvaluation

log = logging.getLogger("gans")

# A resume replays (and skips) the data pipeline's first epochs up to this many images, so
# its batches are the uninterrupted run's; beyond, the pipeline is reseeded at the epoch.
REPLAY_LIMIT = 2_000_000


def resolve(config: TrainConfig, spec: DatasetSpec) -> TrainConfig:
    """Fill every ``None`` with the dataset's or the loss's default; validate the result."""
    loss = get_loss(config.loss)
    image_size = config.image_size or spec.image_size
    channels = config.channels or spec.channels
    check_shape(image_size, channels)
    if spec.stored_size and (image_size, channels) != (spec.stored_size, spec.channels):
        raise ValueError(
            f"{spec.name} is stored at {spec.stored_size} px with {spec.channels} channel(s); "
            "leave --image_size and --channels unset"
        )
    if config.data_service and (
        config.conditional or config.data_augment or config.balanced_classes
    ):
        raise ValueError(
            "--data_service does not serve labels (--conditional, --balanced_classes) or "
            "--data_augment yet; drop one of them"
        )
    if spec.num_classes and (config.labels or "auto") != "auto":
        raise DataError(
            f"--labels={config.labels}: {spec.name} has labels of its own; leave it unset"
        )
    fit = config.fit or spec.fit
    background = config.background or spec.background
    parse_colour(background)
    if fit not in ("crop", "pad"):
        raise ValueError(f"--fit={fit}: use crop or pad")
    network = config.network or spec.network
    lr = loss.default_lr
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
        g_lr=config.g_lr if config.g_lr is not None else lr,
        d_lr=config.d_lr if config.d_lr is not None else lr,
        d_steps=config.d_steps or loss.default_d_steps,
        clip_value=config.clip_value if config.clip_value is not None else loss.default_clip,
        gp_weight=config.gp_weight if config.gp_weight is not None else loss.default_gp_weight,
        data_dir=config.data_dir or str(Path("datasets") / spec.name),
        gen_dir=config.gen_dir or str(Path("gen_img") / spec.name),
        model_dir=config.model_dir or str(Path("models") / spec.name / run_name),
        run_name=run_name,
    )


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
        raise ValueError(f"unknown optimizer {name!r}; choose adam or rmsprop")
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
    raise ValueError(f"--augment={config.augment}: use none, diffaugment or ada")


class GANExperiment:
    """A configured GAN on one dataset: ``train()``, ``generate(n)``, ``restore()``."""

    def __init__(self, spec: DatasetSpec, config: TrainConfig) -> None:
        self.spec = spec
        self.config = resolve(config, spec)
        configure_threads(self.config.intra_op_threads, self.config.inter_op_threads)
        self.strategy = get_strategy(self.config.strategy)
        self.chief = is_chief(self.strategy)
        self.model_dir = Path(self.config.model_dir)
        self.run_dir = Path(self.config.gen_dir) / self.config.run_name
        self.convert_options = ConvertOptions(
            self.config.image_size,
            self.config.channels,
            self.config.fit,
            self.config.background,
            self.config.labels,
        )
        self.tfrecord_dir = spec.tfrecord_dir(self.config.data_dir, self.convert_options)
        self._manifest: dict | None = None
        self.class_names = self._class_names() if self.config.conditional else ()
        self.num_classes = len(self.class_names)
        previous_policy = keras.mixed_precision.global_policy()
        keras.mixed_precision.set_global_policy(self.config.precision)
        try:
            with self.strategy.scope():
                self.gan = self._build_gan()
                self.epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="epoch")
        finally:
            keras.mixed_precision.set_global_policy(previous_policy)
        self.checkpoint = tf.train.Checkpoint(
            generator=self.gan.generator,
            discriminator=self.gan.discriminator,
            g_optimizer=self.gan.g_optimizer,
            d_optimizer=self.gan.d_optimizer,
            schedule=self.gan.train_schedule,
            rng=self.gan.rng,
            epoch=self.epoch,
            **({"ema_generator": self.gan.ema_generator} if self.gan.ema_generator else {}),
            **({"ada": self.gan.augment} if isinstance(self.gan.augment, AdaptiveAugment) else {}),
        )
        # Non-chief workers keep one checkpoint in model_dir/.workers/<task>: every worker
        # takes part in a save, and a worker without a shared disk resumes from its own copy.
        self.checkpoint_dir = (
            Path(worker_model_dir(str(self.model_dir), self.strategy)) / "checkpoints"
        )
        self._manager: tf.train.CheckpointManager | None = None
        self.restored_path: str | None = None
        self.resume_changes: dict[str, tuple] = {}

    @property
    def manager(self) -> tf.train.CheckpointManager:
        """The run's ``CheckpointManager`` (made on first use, after ``restore`` has
        repaired a missing or garbage state file when training)."""
        if self._manager is None:
            self._manager = self._make_manager()
        return self._manager

    def _make_manager(self) -> tf.train.CheckpointManager:
        from unittest import mock

        from tensorflow.python.checkpoint import checkpoint_management

        keep = self.config.keep_checkpoints if self.chief else 1
        _, problem = rundir.read_state(self.checkpoint_dir)
        if problem and (self.checkpoint_dir / rundir.STATE_FILE).exists():
            # A garbage state file would make the manager raise; it is only an index, so
            # read it as absent (training rewrites it from the ckpt-N.index files first).
            with mock.patch.object(checkpoint_management, "get_checkpoint_state", lambda *a: None):
                return tf.train.CheckpointManager(self.checkpoint, self.checkpoint_dir, keep)
        return tf.train.CheckpointManager(self.checkpoint, self.checkpoint_dir, keep)

    @classmethod
    def from_model_dir(cls, model_dir: str | Path, **overrides) -> GANExperiment:
        """Rebuild the experiment a model directory was trained with (``config.json``)."""
        from gans.registry import get_spec

        path = Path(model_dir) / "config.json"
        if not path.is_file():
            raise MissingDataError(f"{path}: not found; is {model_dir} a trained model directory?")
        config, extras, relocated = rundir.load_saved(model_dir)
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
        return cls(get_spec(config.dataset), config)

    # --- construction -----------------------------------------------------------------------
    def _build_gan(self) -> GAN:
        c = self.config
        keras.utils.set_random_seed(c.seed)
        opts = dataclasses.replace(
            self.spec.network_options,
            width=c.width,
            upsample=c.upsample,
            d_norm=c.d_norm,
            spectral_norm=c.spectral_norm,
            minibatch_std=c.minibatch_std,
            minibatch_disc=c.minibatch_disc,
        )
        generator, discriminator = build_networks(
            c.network, c.image_size, c.channels, c.noise_dim, opts, self.num_classes
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
            num_classes=self.num_classes,
        )
        gan.compile(
            g_optimizer=make_optimizer(c.optimizer, c.g_lr, c.beta1, c.beta2, c.precision),
            d_optimizer=make_optimizer(c.optimizer, c.d_lr, c.beta1, c.beta2, c.precision),
            jit_compile=c.jit_compile,
        )
        return gan

    # --- data -------------------------------------------------------------------------------
    def _class_names(self) -> tuple[str, ...]:
        """The classes of a conditional run: the dataset's own, the ones the run was
        trained with (``config.json``: generating needs no data), or the conversion's
        (converting first if there is none yet)."""
        spec = self.spec
        if spec.num_classes:
            return spec.class_names or tuple(str(i) for i in range(spec.num_classes))
        saved = TrainConfig.json_extras(Path(self.config.model_dir) / "config.json")
        if saved.get("class_names"):
            return tuple(saved["class_names"])
        manifest = self.ensure_dataset()
        names = manifest_class_names(manifest)
        if not names:
            raise DataError(
                f"--conditional needs a labelled dataset; {spec.name} "
                f"({manifest.get('source')}) has no labels: put the images in one subfolder "
                "per class, or pass --labels=FILE (a CSV/JSON mapping file name -> class)"
            )
        return names

    def ensure_dataset(self) -> dict:
        """The dataset's manifest, converting from the source first if needed."""
        if self._manifest is not None:
            return self._manifest
        self._manifest = self._ensure_dataset()
        return self._manifest

    def _ensure_dataset(self) -> dict:
        manifest = read_manifest(self.tfrecord_dir)
        if manifest is None and not self.chief:
            manifest = self._wait_for_chief_conversion()
        if manifest is not None and self.chief:
            reason = stale_reason(manifest, self.config.source_dir)
            if not reason and not self.spec.num_classes:
                need = self.config.conditional or self.config.balanced_classes
                reason = labels_stale_reason(manifest, self.config.labels, need)
            if reason:
                print(f"{self.tfrecord_dir}: converting again: {reason}")
                manifest = None
            else:
                print(
                    f"using {self.tfrecord_dir} ({manifest.get('count')} images converted from "
                    f"{manifest.get('source')}; a changed source is converted again)"
                )
        if manifest is None:
            log.info("converting %s into %s", self.spec.name, self.tfrecord_dir)
            manifest = self.spec.convert(
                self.config.source_dir, self.tfrecord_dir, self.convert_options
            )
            sheet = write_contact_sheet(self.tfrecord_dir)
            print(
                f"converted {manifest['count']} images into {self.tfrecord_dir} "
                f"({len(manifest['skipped'])} skipped, {len(manifest['duplicates'])} duplicates"
                f"{describe_classes(manifest)}); contact sheet: {sheet}"
            )
        return verify_records(self.tfrecord_dir, self.config.channels)

    def _wait_for_chief_conversion(self, timeout_s: float = 1800) -> dict:
        """Workers other than the chief wait for its conversion instead of racing it."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            manifest = read_manifest(self.tfrecord_dir)
            if manifest is not None:
                return manifest
            time.sleep(2)
        raise MissingDataError(f"{self.tfrecord_dir}: the chief did not convert the dataset")

    # --- checkpoints ------------------------------------------------------------------------
    def restore(self, require: bool = False, repair: bool = False, verbose: bool = True) -> int:
        """Restore the newest checkpoint that restores; return the number of completed epochs.

        Checkpoints are found from the ``ckpt-N.index`` files (the ``checkpoint`` state file
        may be missing or garbage); one that does not restore (truncated, corrupt) is
        reported and the next older one tried. When checkpoints exist but none restores,
        this refuses (``DataError``) rather than starting over. ``require``: no checkpoint
        at all is a ``MissingDataError`` too (sampling, evaluation). ``repair`` (training,
        under the run's lock): remove leftovers of a killed save (``ckpt-N_temp``) and
        rewrite a state file that disagrees with the index files.
        """
        if repair:
            for leftover in self.checkpoint_dir.glob("ckpt-*_temp"):
                shutil.rmtree(leftover, ignore_errors=True)
        order, note = rundir.restore_order(self.checkpoint_dir)
        candidates = [rundir.prefix(self.checkpoint_dir, n) for n in order]
        if not self.chief:
            # On a shared disk every worker resumes from the chief's checkpoint, so all
            # start at the same epoch even if this worker died before finishing its copy.
            chief_dir = self.model_dir / "checkpoints"
            chief_order, _ = rundir.restore_order(chief_dir)
            candidates = [rundir.prefix(chief_dir, n) for n in chief_order] + candidates
            note = None
        if not candidates:
            if require:
                raise MissingDataError(
                    f"{self.checkpoint_dir}: no checkpoint; train {self.model_dir} first"
                )
            return int(self.epoch.numpy())
        if note:
            print(note)
        failures = []
        for path in candidates:
            try:
                self.checkpoint.restore(path).assert_existing_objects_matched()
            except Exception as err:  # IndexError (truncated), OpError, ValueError, ...
                reason = str(err).splitlines()[0] if str(err) else type(err).__name__
                failures.append(f"{Path(path).name}: {reason}")
                print(f"{path} does not restore ({reason}); trying an older checkpoint")
                continue
            self.restored_path = path
            break
        else:
            if any("match" in f or "shape" in f.lower() for f in failures):
                raise DataError(
                    f"{candidates[0]}: checkpoint does not match this configuration "
                    f"({failures[0].split(': ', 1)[1]}); use another --model_dir or the flags "
                    "it was trained with"
                )
            raise DataError(
                f"{self.checkpoint_dir}: checkpoints exist but none restores "
                f"({'; '.join(failures)}); nothing was overwritten. Move the damaged "
                "checkpoints away to start over, or train another --model_dir"
            )
        number = int(Path(self.restored_path).name.split("-")[1])
        if repair and self.chief and (note or number != order[0]):
            rundir.write_state(self.checkpoint_dir, [n for n in order if n <= number])
            self._manager = None  # re-read the repaired state file
            print(f"rewrote {self.checkpoint_dir / rundir.STATE_FILE} (latest ckpt-{number})")
        if verbose:
            print(f"restored {self.restored_path} (epoch {int(self.epoch.numpy())})")
        return int(self.epoch.numpy())

    # --- train ------------------------------------------------------------------------------
    def fixed_noise(self) -> np.ndarray:
        """The noise of the epoch grids: a function of the seed only, so resumes match."""
        rng = np.random.default_rng(self.config.seed + 12345)
        count = self.config.grid_size
        if self.num_classes:  # whole rows: one sample of every class per row
            count = self.num_classes * max(1, count // self.num_classes)
        return rng.standard_normal((count, self.config.noise_dim)).astype(np.float32)

    def train(self, extra_callbacks: list | None = None) -> dict:
        """Lock the model dir, convert if needed, resume, train to ``config.epochs``;
        return the last logs. Only the chief takes the lock (it alone writes the run)."""
        if not self.chief:
            return self._train(extra_callbacks)
        lock = RunLock(self.model_dir)
        with lock:
            if lock.took_over:
                owner = lock.took_over
                print(
                    f"{lock.path}: took over the lock of a run that is gone "
                    f"(pid {owner.get('pid')} on {owner.get('host')})"
                )
            return self._train(extra_callbacks)

    def _check_resume(self) -> None:
        """A resume with settings that cannot change is refused before anything is written;
        the others are kept in ``self.resume_changes`` (applied after the restore)."""
        path = self.model_dir / "config.json"
        self.resume_changes = {}
        if not (self.chief and path.is_file() and rundir.checkpoint_numbers(self.checkpoint_dir)):
            return
        saved, _, relocated = rundir.load_saved(self.model_dir)
        self.resume_changes = rundir.check_resume(
            saved, self.config, self.model_dir, relocated=relocated
        )

    def _apply_resume_changes(self, start: int) -> None:
        """Settings changed on resume: learning rates go into the restored optimizers
        (the rest is read from the config as the run goes); each change is one line."""
        changes = self.resume_changes
        if not changes:
            return
        for name, optimizer in (("g_lr", self.gan.g_optimizer), ("d_lr", self.gan.d_optimizer)):
            if name in changes:
                optimizer.learning_rate.assign(float(changes[name][1]))
        described = rundir.describe_changes(changes)
        print(f"resuming at epoch {start} with changed settings: {described}")

    def _train(self, extra_callbacks: list | None = None) -> dict:
        c = self.config
        self._check_resume()
        manifest = self.ensure_dataset()
        self._check_classes(manifest)
        if manifest.get("count", c.batch_size) < c.batch_size:
            raise DataError(
                f"{self.tfrecord_dir}: {manifest['count']} images, fewer than one batch of "
                f"{c.batch_size}; lower --batch_size or add images"
            )
        start = self.restore(repair=True)
        self._apply_resume_changes(start)
        if self.chief:
            dropped = rundir.trim_history(self.model_dir / "history.csv", start)
            if dropped:
                print(f"history.csv: dropped {dropped} row(s) of epochs after {start}")
        if start >= c.epochs:
            print(
                f"{self.model_dir}: already trained {start} epochs (--epochs={c.epochs}); "
                "raise --epochs to train more"
            )
            if self.chief:  # a run killed after its last checkpoint still gets its report
                build_run_report(self.run_dir, self.model_dir)
            return {}
        if self.chief:
            self._write_run_metadata()
        dataset, steps = self._input(start)
        callbacks = [Throughput(c.batch_size)]
        if c.cpu_budget_s > 0:  # before the outputs, so they log its cpu_s
            callbacks.append(CpuBudget(c.cpu_budget_s))
        if self.chief:
            callbacks += self._output_callbacks()
        callbacks += list(extra_callbacks or [])
        optimizers = [self.gan.g_optimizer, self.gan.d_optimizer]
        callbacks.append(
            DivergenceGuard(self.checkpoint, self.manager, optimizers, c.max_rollbacks)
        )
        callbacks.append(EpochCheckpoint(self.manager, self.epoch, c.checkpoint_every))
        verbose = c.verbose if c.verbose >= 0 else (1 if sys.stdout.isatty() else 2)
        if not self.chief:
            verbose = 0
        if verbose:  # passed in, so Keras adds no progress bar that syncs every step
            callbacks.append(AsyncProgbar())
        try:
            history = self._fit(dataset, start, steps, callbacks, verbose)
        except KeyboardInterrupt:
            saved = self._save_on_interrupt()
            raise Interrupted(f"interrupted; {saved}. Run the same command to resume") from None
        if self.chief:
            report = build_run_report(self.run_dir, self.model_dir)
            if "index" in report:
                print(f"run report: {report['index']}")
        return {k: v[-1] for k, v in history.history.items()}

    def _check_classes(self, manifest: dict) -> None:
        """The data's classes must be the run's (a reconverted source may have others)."""
        stored = self.spec.class_names if self.spec.num_classes else manifest_class_names(manifest)
        if self.num_classes and not self.spec.num_classes and stored != self.class_names:
            raise DataError(
                f"{self.tfrecord_dir}: its classes {list(stored)} are not the ones "
                f"{self.model_dir} was trained with {list(self.class_names)}; restore the "
                "source's labels, or train a new --run_name"
            )
        if self.config.balanced_classes and not (self.spec.num_classes or stored):
            raise DataError(
                f"--balanced_classes needs class labels; {self.tfrecord_dir} has none "
                "(see --labels)"
            )

    def _input(self, start: int):
        """Batches for epochs ``start`` … ``epochs - 1`` (local tf.data, or a tf.data service)."""
        c = self.config
        common = dict(
            global_batch_size=c.batch_size,
            image_size=c.image_size,
            channels=c.channels,
            noise_dim=c.noise_dim,
            seed=c.seed,
            start_epoch=start,
            end_epoch=c.epochs,
            steps_per_epoch_cap=c.steps_per_epoch,
        )
        if c.data_service:
            from gans.core.data_service import service_dataset

            job = f"{Path(c.model_dir).resolve()}@{start}"  # one job shared by all trainers
            return service_dataset(self.strategy, self.tfrecord_dir, c.data_service, job, **common)
        count = (read_manifest(self.tfrecord_dir) or {}).get("count", 0)
        per_epoch = (
            count if c.steps_per_epoch <= 0 else min(count, c.steps_per_epoch * c.batch_size)
        )
        replay = 0 < start * per_epoch <= REPLAY_LIMIT
        if replay:
            # Exact resume: the uninterrupted run's pipeline, its first `start` epochs
            # skipped (the shuffle is seeded from the epoch a pipeline starts at).
            common["start_epoch"] = 0
        dataset, steps = provide_dataset(
            self.tfrecord_dir,
            data_augment=tuple(filter(None, c.data_augment.split(","))),
            with_labels=bool(self.num_classes),
            balanced_classes=c.balanced_classes,
            **common,
        )
        if replay:
            dataset = dataset.skip(start * steps)
        return dataset, steps

    def _output_callbacks(self) -> list[keras.callbacks.Callback]:
        """What only the chief writes: epoch grids, evaluation, history, TensorBoard."""
        c = self.config
        writer = tf.summary.create_file_writer(str(self.model_dir / "images"))
        callbacks = [
            EpochImages(
                self.gan.generate,
                self.fixed_noise(),
                self.run_dir,
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
                    self.real_sample(1024),
                    c.noise_dim,
                    self.model_dir / "metrics.jsonl",
                    every=c.eval_every,
                    summary_writer=writer,
                )
            )
        callbacks += [
            keras.callbacks.CSVLogger(str(self.model_dir / "history.csv"), append=True),
            EpochTensorBoard(log_dir=str(self.model_dir / "tensorboard"), write_graph=False),
        ]
        return callbacks

    def _save_on_interrupt(self) -> str:
        """Ctrl-C: keep the checkpoint of the last *completed* epoch, so a restart redoes
        the interrupted epoch from exactly where the uninterrupted run began it (and writes
        its image once). Only when that epoch has none (``--checkpoint_every`` > 1) are the
        weights saved as they are, under its number: work kept, the resume then inexact."""
        done = int(self.epoch.numpy())
        if done in rundir.checkpoint_numbers(self.checkpoint_dir):
            return f"saved {rundir.prefix(self.checkpoint_dir, done)} (epoch {done} complete)"
        try:
            path = self.manager.save(checkpoint_number=done)
        except Exception as err:  # never mask the interrupt with a save failure
            return f"could not save a checkpoint ({err})"
        return f"saved {path} (epoch {int(self.epoch.numpy())} complete)"

    def _fit(self, dataset, start: int, steps: int, callbacks: list, verbose: int):
        c = self.config
        return self.gan.fit(
            dataset,
            epochs=c.epochs,
            initial_epoch=start,
            steps_per_epoch=steps,
            callbacks=callbacks,
            verbose=verbose,
            shuffle=False,
        )

    def evaluate(self, num_samples: int = 1000, extractor: str = "classifier", **kwargs) -> dict:
        """FID/KID (classifier or Inception features), SWD, diversity, mode coverage and a
        memorization report of the latest checkpoint; see ``gans.core.evaluation``."""
        from gans.core.evaluation import evaluate_experiment

        return evaluate_experiment(self, num_samples, extractor=extractor, **kwargs)

    def real_sample(self, count: int) -> np.ndarray:
        """Up to ``count`` real training images in [-1, 1] (the first ones, deterministic)."""
        images = decode_images(self.tfrecord_dir, self.config.image_size, self.config.channels)
        try:
            return np.concatenate(list(images.batch(count).take(1).as_numpy_iterator()))
        except tf.errors.OpError as err:
            reason = err.message.splitlines()[0] if err.message else type(err).__name__
            raise DataError(
                f"{self.tfrecord_dir}: unreadable records ({reason}); delete the folder and "
                "convert again"
            ) from None

    def _write_run_metadata(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.model_dir.mkdir(parents=True, exist_ok=True)
        path = self.model_dir / "config.json"
        history = TrainConfig.json_extras(path).get("history", []) if path.is_file() else []
        if int(self.epoch.numpy()) == 0:
            history = []  # a run started over (no checkpoint): old changes are not its own
        if self.resume_changes:
            history.append(
                {
                    "at_epoch": int(self.epoch.numpy()),
                    "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
                    "changed": {k: list(v) for k, v in self.resume_changes.items()},
                }
            )
        stored, extra = rundir.saved_form(self.config, self.model_dir)
        if self.class_names:
            extra["class_names"] = list(self.class_names)
        stored.to_json(path, extra={**extra, "history": history})
        if self.config.flags_text:
            # Settings changed on resume (other than --epochs) are noted as comments, so the
            # file says how the run was made: with the old values up to the epoch given.
            notes = [
                f"# until epoch {entry['at_epoch']}: "
                + ", ".join(f"--{k}={old}" for k, (old, _) in changed.items())
                for entry in history
                if (changed := {k: v for k, v in entry["changed"].items() if k != "epochs"})
            ]
            text = self.config.flags_text + "".join(f"{line}\n" for line in notes)
            (self.run_dir / "flags.txt").write_text(text)
        reals = self.run_dir / "reals.png"
        if not reals.exists():
            images = self.real_sample(self.config.grid_size)
            save_grid(images, reals, title=f"{self.spec.name} · real images")

    # --- use --------------------------------------------------------------------------------
    def generate(self, num_images: int, seed: int = 0, labels=None) -> np.ndarray:
        """``num_images`` images in [-1, 1] from the latest checkpoint (EMA G if any);
        ``labels`` pick classes of a conditional GAN (default: cycling through them)."""
        self.restore(require=True)
        noise = np.random.default_rng(seed).standard_normal((num_images, self.config.noise_dim))
        if labels is not None:
            labels = tf.constant(labels, tf.int32)
        return np.asarray(self.gan.generate(tf.constant(noise, tf.float32), labels))
