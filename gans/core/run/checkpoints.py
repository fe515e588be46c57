"""A run's training state in one ``tf.train.Checkpoint``, found and restored robustly.

Checkpoints are found from the ``ckpt-N.index`` files (``run_dir``), not only from
TensorFlow's ``checkpoint`` state file; a damaged newest one is skipped for the one before
it; when checkpoints exist but none restores, the run stops rather than starting over.
Shared by training, sampling (``generate``) and evaluation.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import tensorflow as tf

from gans.core.errors import DataError, MissingDataError
from gans.core.model.gan import GAN
from gans.core.run import run_dir as rundir
from gans.core.run.distribute import worker_model_dir


class RunCheckpoint:
    """The networks, optimizers, schedule, RNG and epoch counter of a run, on disk.

    Non-chief workers keep one checkpoint in ``model_dir/.workers/<task>``: every worker
    takes part in a save, and a worker without a shared disk resumes from its own copy.
    """

    def __init__(
        self,
        gan: GAN,
        epoch: tf.Variable,
        model_dir: str | Path,
        strategy: tf.distribute.Strategy,
        chief: bool = True,
        keep: int = 3,
    ) -> None:
        self.gan = gan
        self.epoch_var = epoch
        self.model_dir = Path(model_dir)
        self.chief = chief
        self.keep = keep if chief else 1
        self.checkpoint = tf.train.Checkpoint(epoch=epoch, **gan.training_state())
        self.directory = Path(worker_model_dir(str(self.model_dir), strategy)) / "checkpoints"
        self._manager: tf.train.CheckpointManager | None = None
        self.restored_path: str | None = None

    @property
    def epoch(self) -> int:
        """Completed epochs of the state in memory."""
        return int(self.epoch_var.numpy())

    @property
    def numbers(self) -> list[int]:
        """The checkpoint numbers on disk (from the index files), oldest first."""
        return rundir.checkpoint_numbers(self.directory)

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

        _, problem = rundir.read_state(self.directory)
        if problem and (self.directory / rundir.STATE_FILE).exists():
            # A garbage state file would make the manager raise; it is only an index, so
            # read it as absent (training rewrites it from the ckpt-N.index files first).
            with mock.patch.object(checkpoint_management, "get_checkpoint_state", lambda *a: None):
                return tf.train.CheckpointManager(self.checkpoint, self.directory, self.keep)
        return tf.train.CheckpointManager(self.checkpoint, self.directory, self.keep)

    def restore(self, require: bool = False, repair: bool = False, verbose: bool = True) -> int:
        """Restore the newest checkpoint that restores; return the number of completed epochs.

        One that does not restore (truncated, corrupt) is reported and the next older one
        tried. When checkpoints exist but none restores, this refuses (``DataError``)
        rather than starting over. ``require``: no checkpoint at all is a
        ``MissingDataError`` too (sampling, evaluation). ``repair`` (training, under the
        run's lock): remove leftovers of a killed save (``ckpt-N_temp``) and rewrite a
        state file that disagrees with the index files.
        """
        if repair:
            for leftover in self.directory.glob("ckpt-*_temp"):
                shutil.rmtree(leftover, ignore_errors=True)
        order, note = rundir.restore_order(self.directory)
        candidates = [rundir.prefix(self.directory, n) for n in order]
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
                    f"{self.directory}: no checkpoint; train {self.model_dir} first"
                )
            return self.epoch
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
                f"{self.directory}: checkpoints exist but none restores "
                f"({'; '.join(failures)}); nothing was overwritten. Move the damaged "
                "checkpoints away to start over, or train another --model_dir"
            )
        number = int(Path(self.restored_path).name.split("-")[1])
        if repair and self.chief and (note or number != order[0]):
            rundir.write_state(self.directory, [n for n in order if n <= number])
            self._manager = None  # re-read the repaired state file
            print(f"rewrote {self.directory / rundir.STATE_FILE} (latest ckpt-{number})")
        if verbose:
            print(f"restored {self.restored_path} (epoch {self.epoch})")
        return self.epoch

    def restore_path(self, path: str) -> None:
        """Restore one chosen checkpoint prefix. Every object of the run that it holds must
        match (else a ``DataError``); values the run has no object for are ignored
        (``expect_partial``), e.g. an EMA generator when sampling with ``ema_decay=0``."""
        try:
            status = self.checkpoint.restore(path)
            status.assert_existing_objects_matched()
        except (AssertionError, ValueError) as err:
            reason = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise DataError(
                f"{path}: checkpoint does not match this configuration ({reason})"
            ) from None
        except (IndexError, tf.errors.OpError) as err:  # truncated or corrupt files
            reason = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise DataError(f"{path}: damaged checkpoint ({reason}); choose another") from None
        status.expect_partial()
        self.restored_path = path

    def save_on_interrupt(self) -> str:
        """Ctrl-C: keep the checkpoint of the last *completed* epoch, so a restart redoes
        the interrupted epoch from exactly where the uninterrupted run began it (and writes
        its image once). Only when that epoch has none (``--checkpoint_every`` > 1) are the
        weights saved as they are, under its number: work kept, the resume then inexact."""
        done = self.epoch
        if done in self.numbers:
            return f"saved {rundir.prefix(self.directory, done)} (epoch {done} complete)"
        try:
            path = self.manager.save(checkpoint_number=done)
        except Exception as err:  # never mask the interrupt with a save failure
            return f"could not save a checkpoint ({err})"
        return f"saved {path} (epoch {self.epoch} complete)"
