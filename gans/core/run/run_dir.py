"""What a model directory holds, read from the files themselves.

* Checkpoints are found from the ``ckpt-N.index`` files, not only from TensorFlow's
  ``checkpoint`` state file: ``tf.train.CheckpointManager`` trusts that file, and when it
  is missing or garbage it sees no checkpoint and a new run starts over the old one.
* ``history.csv`` rows of epochs that no checkpoint holds (a kill between the CSV row and
  the save, or a resume from an older checkpoint) are dropped before a resume appends.
* A resumed run's settings are compared with the saved ``config.json``: settings that
  shape the network, the losses or the data cannot change mid-run; the others can
  (``MUTABLE``), and every change is kept in ``config.json``'s ``history``.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import os
import re
import time
from pathlib import Path

from gans.core.errors import DataError
from gans.core.run.config import TrainConfig

STATE_FILE = "checkpoint"
_INDEX_RE = re.compile(r"^ckpt-(\d+)\.index$")

# Settings a resumed run may change (applied for real, logged, kept in config.json).
MUTABLE = frozenset(
    {
        "epochs",
        "g_lr",
        "d_lr",
        "eval_every",
        "checkpoint_every",
        "keep_checkpoints",
        "cpu_budget_s",
        "max_rollbacks",
        "steps_per_epoch",
        "step",
        "strategy",
        "jit_compile",
        "steps_per_execution",
        "data_service",
        "intra_op_threads",
        "inter_op_threads",
        "source_dir",  # the conversion fingerprint decides whether the data changed
    }
)
# Not settings of the run at all.
IGNORED = frozenset({"verbose", "flags_text", "model_dir"})
# Paths: compared as absolute paths; config.json holds them relative to the model dir.
PATHS = ("data_dir", "gen_dir", "source_dir", "model_dir")
# Where a run's outputs go: may change only for a copied or moved model dir.
OUTPUTS = frozenset({"gen_dir", "run_name"})
RELATIVE_KEY = "paths_relative_to"


def saved_form(config: TrainConfig, model_dir: str | os.PathLike) -> tuple[TrainConfig, dict]:
    """The config as ``config.json`` stores it: paths relative to the model dir (so a
    moved or copied run stays self-consistent), and the extra keys that say so."""
    model = Path(model_dir).absolute()
    relative, absolute = {}, {}
    for name in ("data_dir", "gen_dir", "source_dir"):
        value = getattr(config, name)
        if value:
            absolute[name] = os.path.normpath(str(Path(value).absolute()))
            relative[name] = os.path.relpath(absolute[name], model)
    extras = {RELATIVE_KEY: "model_dir", "saved_in": str(model), "absolute_paths": absolute}
    return config.replace(model_dir=".", **relative), extras


def load_saved(model_dir: str | os.PathLike) -> tuple[TrainConfig, dict, bool]:
    """``config.json`` of ``model_dir`` with absolute paths, its extra keys, and whether
    the model dir was copied or moved since it was written."""
    path = Path(model_dir) / "config.json"
    try:
        config = TrainConfig.from_json(path)
    except (ValueError, TypeError) as err:
        raise DataError(f"{path}: unreadable ({err}); is it a model directory?") from None
    extras = TrainConfig.json_extras(path)
    model = Path(model_dir).absolute()
    paths = {}
    for name in ("data_dir", "gen_dir", "source_dir"):
        value = getattr(config, name)
        if value and not Path(value).is_absolute():
            base = model if extras.get(RELATIVE_KEY) == "model_dir" else Path.cwd()
            paths[name] = os.path.normpath(str(base / value))
    saved_in = extras.get("saved_in")
    relocated = bool(saved_in) and os.path.normpath(saved_in) != os.path.normpath(str(model))
    return config.replace(model_dir=str(model_dir), **paths), extras, relocated


# --- checkpoints ----------------------------------------------------------------------------
def checkpoint_numbers(directory: str | os.PathLike) -> list[int]:
    """Numbers N of the ``ckpt-N`` with an index and a data file in ``directory``, ascending."""
    folder = Path(directory)
    try:
        names = os.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return []
    found = []
    for name in names:
        match = _INDEX_RE.match(name)
        if match and any(n.startswith(f"ckpt-{match.group(1)}.data-") for n in names):
            found.append(int(match.group(1)))
    return sorted(found)


def prefix(directory: str | os.PathLike, number: int) -> str:
    return str(Path(directory) / f"ckpt-{number}")


def read_state(directory: str | os.PathLike) -> tuple[int | None, str | None]:
    """(number the state file names as latest, a problem with the file or ``None``)."""
    import tensorflow as tf

    path = Path(directory) / STATE_FILE
    if not path.exists():
        return None, f"{path} is missing"
    try:
        state = tf.train.get_checkpoint_state(str(directory))
    except Exception as err:  # binary: UnicodeDecodeError; empty: ValueError; ...
        return None, f"{path} is unreadable ({type(err).__name__})"
    if state is None or not state.model_checkpoint_path:
        return None, f"{path} is unreadable"
    match = re.search(r"ckpt-(\d+)$", state.model_checkpoint_path)
    if not match:
        return None, f"{path} names {state.model_checkpoint_path!r}"
    return int(match.group(1)), None


def write_state(directory: str | os.PathLike, numbers: list[int]) -> None:
    """Rewrite the state file (atomically) so ``numbers`` are the run's checkpoints."""
    from tensorflow.python.checkpoint import checkpoint_management

    names = [prefix(directory, n) for n in sorted(numbers)]  # stored relative to directory
    # Timestamps after last_preserved_timestamp: the manager may delete them (max_to_keep).
    times = []
    for name in names:
        try:
            times.append(os.path.getmtime(f"{name}.index"))
        except OSError:
            times.append(time.time())
    checkpoint_management.update_checkpoint_state_internal(
        save_dir=str(directory),
        model_checkpoint_path=names[-1],
        all_model_checkpoint_paths=names,
        all_model_checkpoint_timestamps=times,
        last_preserved_timestamp=min(times) - 1.0,
        save_relative_paths=True,
    )


def restore_order(directory: str | os.PathLike) -> tuple[list[int], str | None]:
    """Checkpoint numbers to try, newest first, and a note when the state file disagrees
    with the index files (missing, unreadable, or naming an older/absent checkpoint)."""
    numbers = checkpoint_numbers(directory)
    if not numbers:
        return [], None
    named, problem = read_state(directory)
    note = None
    if problem:
        note = f"{problem}; found ckpt-{numbers[-1]} from the ckpt-N.index files"
    elif named != numbers[-1]:
        note = (
            f"{Path(directory) / STATE_FILE} names ckpt-{named}, "
            f"but ckpt-{numbers[-1]} is the newest complete checkpoint"
        )
    return numbers[::-1], note


# --- history.csv ----------------------------------------------------------------------------
def trim_history(path: str | os.PathLike, start_epoch: int) -> int:
    """Drop rows of epochs ``>= start_epoch`` (0-based, as CSVLogger writes them) from
    ``history.csv`` so a resume does not repeat them; return how many were dropped."""
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        return 0
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or "epoch" not in rows[0]:
        return 0
    column = rows[0].index("epoch")
    keep = [rows[0]]
    for row in rows[1:]:
        try:
            if int(float(row[column])) >= start_epoch:
                continue
        except (ValueError, IndexError):
            continue  # a row cut off by a kill
        keep.append(row)
    dropped = len(rows) - len(keep)
    if dropped:
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(keep if len(keep) > 1 else [])
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        tmp.write_text(out.getvalue())
        os.replace(tmp, path)
    return dropped


# --- config on resume -----------------------------------------------------------------------
def _absolute(value, base: str | None):
    if value is None:
        return None
    path = Path(value)
    if not path.is_absolute() and base:
        path = Path(base) / path
    return os.path.normpath(str(path.absolute()))


def config_changes(
    saved: TrainConfig, new: TrainConfig, saved_cwd: str | None = None
) -> dict[str, tuple]:
    """``{field: (saved, new)}`` for every setting that differs (paths compared absolute)."""
    changes = {}
    for field in dataclasses.fields(TrainConfig):
        name = field.name
        if name in IGNORED:
            continue
        old, now = getattr(saved, name), getattr(new, name)
        if name in PATHS:
            if _absolute(old, saved_cwd) == _absolute(now, None):
                continue
        elif isinstance(old, list | tuple) and isinstance(now, list | tuple):
            if list(old) == list(now):
                continue
        elif old == now:
            continue
        changes[name] = (old, now)
    return changes


def check_resume(
    saved: TrainConfig,
    new: TrainConfig,
    model_dir: str | os.PathLike,
    saved_cwd: str | None = None,
    relocated: bool = False,
) -> dict[str, tuple]:
    """The mutable changes of a resume; a ``DataError`` listing the fixed ones if any.
    A ``relocated`` (copied or moved) model dir may also send its outputs elsewhere."""
    changes = config_changes(saved, new, saved_cwd)
    mutable = MUTABLE | OUTPUTS if relocated else MUTABLE
    fixed = {k: v for k, v in changes.items() if k not in mutable}
    if fixed:
        listed = ", ".join(f"--{k}: {old!r} -> {now!r}" for k, (old, now) in fixed.items())
        raise DataError(
            f"{model_dir} was trained with other settings that cannot change mid-run "
            f"({listed}); resume with the flags in {Path(model_dir) / 'config.json'}, "
            "or start a new run with another --run_name or --model_dir"
        )
    return changes


def describe_changes(changes: dict[str, tuple]) -> str:
    return ", ".join(f"{k} {old!r} -> {now!r}" for k, (old, now) in changes.items())


# --- the run directory as a whole -----------------------------------------------------------
class RunDirectory:
    """A run's two folders: the model dir (checkpoints, ``config.json``, ``history.csv``,
    metrics, TensorBoard) and the image dir ``<gen_dir>/<run_name>/`` (``flags.txt``,
    ``reals.png``, epoch grids, the report). Shared by training, sampling and evaluation.
    """

    def __init__(self, config: TrainConfig) -> None:
        """``config`` is resolved: its ``model_dir``, ``gen_dir`` and ``run_name`` are set."""
        self.config = config
        self.model_dir = Path(config.model_dir)
        self.image_dir = Path(config.gen_dir) / config.run_name

    @property
    def config_path(self) -> Path:
        return self.model_dir / "config.json"

    def lock(self):
        """The model dir's ``RunLock`` (held by one training at a time); says when it takes
        over the lock of a run that is gone."""
        import contextlib

        from gans.core.run.run_lock import RunLock

        @contextlib.contextmanager
        def held():
            lock = RunLock(self.model_dir)
            with lock:
                if lock.took_over:
                    owner = lock.took_over
                    print(
                        f"{lock.path}: took over the lock of a run that is gone "
                        f"(pid {owner.get('pid')} on {owner.get('host')})"
                    )
                yield lock

        return held()

    def resume_changes(self, has_checkpoints: bool) -> dict[str, tuple]:
        """Settings changed since the saved run (``{name: (old, new)}``); a change that
        cannot be made mid-run is refused (``DataError``) before anything is written."""
        if not (self.config_path.is_file() and has_checkpoints):
            return {}
        saved, _, relocated = load_saved(self.model_dir)
        return check_resume(saved, self.config, self.model_dir, relocated=relocated)

    def saved_class_names(self) -> tuple[str, ...]:
        """The classes a conditional run was trained with (``config.json``), so sampling
        needs no data; ``()`` when none are recorded."""
        names = TrainConfig.json_extras(self.config_path).get("class_names")
        return tuple(names) if names else ()

    def trim_history(self, start_epoch: int) -> None:
        """Drop ``history.csv`` rows of epochs after ``start_epoch`` (no checkpoint has them)."""
        dropped = trim_history(self.model_dir / "history.csv", start_epoch)
        if dropped:
            print(f"history.csv: dropped {dropped} row(s) of epochs after {start_epoch}")

    def write_metadata(
        self, epoch: int, changes: dict[str, tuple], reals, extra: dict | None = None
    ) -> None:
        """``config.json`` (with the ``history`` of changes on resume and ``extra`` keys),
        ``flags.txt`` and, once, ``reals.png`` (``reals(n)`` gives ``n`` real images)."""
        from gans.core.report.image_grid import save_grid

        self.image_dir.mkdir(parents=True, exist_ok=True)
        self.model_dir.mkdir(parents=True, exist_ok=True)
        path = self.config_path
        history = TrainConfig.json_extras(path).get("history", []) if path.is_file() else []
        if epoch == 0:
            history = []  # a run started over (no checkpoint): old changes are not its own
        if changes:
            history.append(
                {
                    "at_epoch": epoch,
                    "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
                    "changed": {k: list(v) for k, v in changes.items()},
                }
            )
        stored, saved_extra = saved_form(self.config, self.model_dir)
        stored.to_json(path, extra={**saved_extra, **(extra or {}), "history": history})
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
            (self.image_dir / "flags.txt").write_text(text)
        reals_path = self.image_dir / "reals.png"
        if not reals_path.exists():
            images = reals(self.config.grid_size)
            save_grid(images, reals_path, title=f"{self.config.dataset} · real images")

    def report(self, announce: bool = False) -> dict:
        """Build the run report (``index.html``, GIF, curves) from what is on disk now."""
        from gans.core.report.run_report import build_run_report

        report = build_run_report(self.image_dir, self.model_dir)
        if announce and "index" in report:
            print(f"run report: {report['index']}")
        return report
