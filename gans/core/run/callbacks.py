"""Keras callbacks of a run: epoch images, checkpoints, throughput."""

from __future__ import annotations

import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from gans.core.errors import DivergenceError, UserError
from gans.core.report.image_grid import save_grid


class EpochImages(keras.callbacks.Callback):
    """After each epoch, save ``<prefix>_epoch_0001.png`` from fixed noise, titled "Epoch 1".

    The noise is drawn once, so successive images show the same latent points (Radford et
    al. 2016 practice). Also logs the grid to TensorBoard when a writer is given. For a
    conditional GAN, ``columns`` = number of classes puts one class per column, and
    ``column_titles`` (the class names) are drawn above them.
    """

    def __init__(
        self,
        sample_fn,
        fixed_noise: np.ndarray,
        out_dir: str | Path,
        prefix: str,
        summary_writer: tf.summary.SummaryWriter | None = None,
        columns: int | None = None,
        column_titles: list[str] | tuple[str, ...] | None = None,
    ) -> None:
        super().__init__()
        self.columns = columns
        self.column_titles = column_titles
        self.sample_fn = sample_fn
        self.fixed_noise = tf.constant(fixed_noise, tf.float32)
        self.out_dir = Path(out_dir)
        self.prefix = prefix
        self.summary_writer = summary_writer

    def path_for(self, epoch: int) -> Path:
        """Image path of 1-based ``epoch``."""
        return self.out_dir / f"{self.prefix}_epoch_{epoch:04d}.png"

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        images = np.asarray(self.sample_fn(self.fixed_noise))
        title = f"{self.prefix} · Epoch {epoch + 1}"
        save_grid(
            images,
            self.path_for(epoch + 1),
            title=title,
            columns=self.columns,
            column_titles=self.column_titles,
        )
        if self.summary_writer is not None:
            with self.summary_writer.as_default():
                grid = tf.image.decode_png(tf.io.read_file(str(self.path_for(epoch + 1))))
                tf.summary.image("samples", grid[None], step=epoch + 1)


class PeriodicReport(keras.callbacks.Callback):
    """Rebuild the run report (``build()``) every ``every`` epochs, after the evaluation and
    the history row of that epoch, so a run still going, or killed, has a recent page."""

    def __init__(self, build, every: int) -> None:
        super().__init__()
        self.build = build
        self.every = every

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        if self.every > 0 and (epoch + 1) % self.every == 0:
            self.build()


class EpochCheckpoint(keras.callbacks.Callback):
    """Save a ``tf.train.Checkpoint`` (nets, optimizers, schedule, RNG, epoch) every N epochs.

    The epoch counter is stored *in* the checkpoint, so a restart resumes at the epoch after
    the last complete save. A run stopped early (CPU budget, divergence guard) also saves its
    last complete epoch, so no finished work is lost between two periodic saves.
    """

    def __init__(
        self, manager: tf.train.CheckpointManager, epoch_var: tf.Variable, every: int = 1
    ) -> None:
        super().__init__()
        self.manager = manager
        self.epoch_var = epoch_var
        self.every = max(1, every)
        self.last_saved: int | None = None
        self.last_done: int | None = None

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        done = epoch + 1
        self.last_done = done
        if done % self.every == 0 or done == self.params.get("epochs"):
            self.save(done)

    def on_train_end(self, logs=None) -> None:
        if self.last_done is not None and self.last_done != self.last_saved:
            self.save(self.last_done)

    def save(self, done_epochs: int) -> None:
        self.epoch_var.assign(done_epochs)
        try:
            self.manager.save(checkpoint_number=done_epochs)
        except (tf.errors.OpError, OSError) as err:  # a full disk: ResourceExhaustedError
            text = getattr(err, "message", None) or str(err) or type(err).__name__
            reason = text.strip().splitlines()[0]
            kept = self.last_saved or self.manager.latest_checkpoint
            kept = f"ckpt-{kept}" if isinstance(kept, int) else (kept or "none")
            raise UserError(
                f"{self.manager.directory}: could not save checkpoint ckpt-{done_epochs} "
                f"({reason}); free disk space (or fix the folder) and run the same command "
                f"to resume from the last saved one ({kept})"
            ) from None
        self.last_saved = done_epochs


class Throughput(keras.callbacks.Callback):
    """Adds ``img/s`` (training images per second) to batch and epoch logs.

    ``async_safe``: Keras then runs the batch hooks of a fit on a helper thread and does not
    wait for each step's logs, which a single synchronous batch hook forces (a host sync
    per step; see ``CallbackList._configure_async_dispatch``).
    """

    async_safe = True

    def __init__(self, global_batch_size: int) -> None:
        super().__init__()
        self.global_batch_size = global_batch_size
        self._start = 0.0
        self._batches = 0

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        self._start, self._batches = time.perf_counter(), 0

    def on_train_batch_end(self, batch: int, logs=None) -> None:
        self._batches = batch + 1  # the last step of the call (several per call)
        if logs is not None:
            logs["img/s"] = self.rate()

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        if logs is not None:
            logs["img/s"] = self.rate()

    def rate(self) -> float:
        elapsed = max(time.perf_counter() - self._start, 1e-9)
        return self._batches * self.global_batch_size / elapsed


class CpuBudget(keras.callbacks.Callback):
    """Stop training once the process has used ``seconds`` of CPU time (all threads).

    CPU time rather than wall time, so runs compared on a shared machine get equal work;
    counted from the end of the first batch, so graph tracing is not charged. The CPU
    seconds used so far go into the epoch logs as ``cpu_s`` (history.csv), so quality can
    be plotted against CPU time. Batch hooks are async-safe (see ``Throughput``); the stop
    may come a step or two after the budget is spent.
    """

    async_safe = True

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds
        self._start: float | None = None

    def used(self) -> float:
        return 0.0 if self._start is None else time.process_time() - self._start

    def on_train_batch_end(self, batch: int, logs=None) -> None:
        if self._start is None:
            self._start = time.process_time()
        elif self.used() >= self.seconds:
            self.model.stop_training = True

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        if logs is not None:
            logs["cpu_s"] = self.used()


class DivergenceGuard(keras.callbacks.Callback):
    """NaN/Inf in a loss → roll back to the last checkpoint, optionally lowering the LRs.

    Checked after every batch (the loss trackers turn NaN the step it happens, and NaN
    weights make the next step's losses NaN). After ``max_rollbacks`` rollbacks, or when
    there is no checkpoint yet, training stops with a ``DivergenceError``.

    The check runs on Keras's callback thread (``async_safe``, so no host sync per step);
    the rollback itself runs on the training thread at the next batch or the epoch's end,
    never while a step is changing the weights. Steps in between run on weights about to
    be replaced, so they change nothing that survives.
    """

    async_safe = True

    def __init__(
        self,
        checkpoint: tf.train.Checkpoint,
        manager: tf.train.CheckpointManager,
        optimizers: list,
        max_rollbacks: int = 3,
        lr_factor: float = 0.5,
    ) -> None:
        super().__init__()
        self.checkpoint = checkpoint
        self.manager = manager
        self.optimizers = optimizers
        self.max_rollbacks = max_rollbacks
        self.lr_factor = lr_factor
        self.rollbacks = 0
        self._pending: tuple[int, str] | None = None

    def on_train_batch_end(self, batch: int, logs=None) -> None:
        """(Callback thread.) Note a non-finite loss; the training thread acts on it."""
        self._check_loss_scales()
        losses = {k: v for k, v in (logs or {}).items() if k.endswith("_loss")}
        if self._pending is None and not all(np.isfinite(float(v)) for v in losses.values()):
            self._pending = (batch, ", ".join(f"{k}={float(v)}" for k, v in losses.items()))

    def on_train_batch_begin(self, batch: int, logs=None) -> None:
        self._roll_back_if_diverged()

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        self._roll_back_if_diverged()

    def _roll_back_if_diverged(self) -> None:
        if self._pending is None:
            return
        batch, bad = self._pending
        latest = self.manager.latest_checkpoint
        if latest is None:
            raise DivergenceError(
                f"training diverged ({bad}) before the first checkpoint; "
                "lower --g_lr/--d_lr or try --loss=hinge --spectral_norm"
            )
        self.rollbacks += 1
        if self.rollbacks > self.max_rollbacks:
            raise DivergenceError(
                f"training diverged {self.rollbacks} times ({bad}); stopped at {latest}. "
                "Lower --g_lr/--d_lr or try --loss=hinge --spectral_norm"
            )
        self.checkpoint.restore(latest)
        for optimizer in self.optimizers:
            optimizer.learning_rate.assign(optimizer.learning_rate * self.lr_factor)
        self.model.reset_metrics()
        self._pending = None
        print(
            f"\ndivergence ({bad}) at batch {batch}: rolled back to {latest}, "
            f"learning rates ×{self.lr_factor} (rollback {self.rollbacks}/{self.max_rollbacks})"
        )

    def _check_loss_scales(self) -> None:
        """float16: every overflowing step halves the loss scale and is skipped. A scale
        below 1 means the forward pass itself overflows: no scale can fix that."""
        for optimizer in self.optimizers:
            scale = getattr(optimizer, "dynamic_scale", None)
            if scale is not None and float(scale.numpy()) < 1.0:
                raise DivergenceError(
                    f"a float16 loss scale fell to {float(scale.numpy())}: "
                    "activations overflow float16; use --precision=mixed_bfloat16 or float32"
                )


class AsyncProgbar(keras.callbacks.ProgbarLogger):
    """Keras's progress bar/line, marked async-safe so it forces no host sync per step
    (Keras adds a plain ``ProgbarLogger`` unless one is passed)."""

    async_safe = True


class EpochTensorBoard(keras.callbacks.TensorBoard):
    """Keras's TensorBoard callback writing epoch scalars only, async-safe (its batch hooks
    write nothing at ``update_freq="epoch"``, but would force a host sync per step)."""

    async_safe = True

    def __init__(self, log_dir: str, **kwargs) -> None:
        super().__init__(log_dir=log_dir, update_freq="epoch", **kwargs)
