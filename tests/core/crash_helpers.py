"""Helpers of the crash-resilience tests: a training process whose output can be awaited
line by line (never blocking forever), and readers of the on-disk state of a run."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from tests.testing_utils import REPO, TINY_ARGS

SCRIPT = REPO / "gans/mnist/mnist_gan.py"
RUN = Path("gen_img/mnist/dcgan_gan_28px")
CKPT = Path("models/mnist/dcgan_gan_28px/checkpoints")
RECORDS = Path("datasets/mnist/tfrecords")
TINY = TINY_ARGS
IMAGE_RE = re.compile(r"^mnist_epoch_(\d{4})\.png$")


class Training:
    """``mnist_gan.py`` in a subprocess; stdout/stderr are collected by reader threads.

    Use as a context manager: on exit a still-running process (group) is SIGKILLed and
    reaped, so no test leaves one behind.
    """

    def __init__(self, cwd: Path, *args: str) -> None:
        env = dict(os.environ, PYTHONUNBUFFERED="1", TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(REPO))
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, str(SCRIPT), *args],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            # A suite started in the background (`cmd &`) ignores SIGINT, and children
            # inherit that: give the training back the default Ctrl-C behaviour.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
            text=True,
            start_new_session=True,  # own process group: cleanup kills all of it
        )
        self.out: list[str] = []
        self.err: list[str] = []
        self._cond = threading.Condition()
        self._threads = [
            threading.Thread(target=self._read, args=(self.proc.stdout, self.out), daemon=True),
            threading.Thread(target=self._read, args=(self.proc.stderr, self.err), daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def _read(self, stream, lines: list[str]) -> None:
        for line in stream:
            with self._cond:
                lines.append(line.rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def stdout(self) -> str:
        with self._cond:
            return "\n".join(self.out)

    @property
    def stderr(self) -> str:
        with self._cond:
            return "\n".join(self.err)

    def wait_for(self, pattern: str, timeout: float) -> str | None:
        """The first stdout line containing ``pattern``; ``None`` once the process has
        ended without printing it. Raises ``TimeoutError`` after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for line in self.out:
                    if pattern in line:
                        return line
                if self.proc.poll() is not None and not self._threads[0].is_alive():
                    return None
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no {pattern!r} after {timeout:.0f} s:\n{self.tail()}")
                self._cond.wait(min(left, 0.2))

    def poll_until(self, predicate: Callable[[], bool], timeout: float, every=0.005) -> bool:
        """Poll ``predicate`` until true (``True``), the process ends (``False``) or
        ``timeout`` (``TimeoutError``)."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if self.proc.poll() is not None:
                return predicate()
            if time.monotonic() > deadline:
                raise TimeoutError(f"condition not met after {timeout:.0f} s:\n{self.tail()}")
            time.sleep(every)
        return True

    def signal(self, sig: int) -> bool:
        """Send ``sig`` to the process; ``False`` if it had already ended."""
        if self.proc.poll() is not None:
            return False
        try:
            os.kill(self.proc.pid, sig)
        except ProcessLookupError:
            return False
        return True

    def wait(self, timeout: float) -> int:
        """Exit code (negative signal number if killed); ``TimeoutError`` past ``timeout``."""
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise TimeoutError(f"still running after {timeout:.0f} s:\n{self.tail()}") from None
        for thread in self._threads:
            thread.join(timeout=10)
        return code

    def tail(self, chars: int = 3000) -> str:
        return f"--- stdout ---\n{self.stdout[-chars:]}\n--- stderr ---\n{self.stderr[-chars:]}"

    def close(self) -> None:
        """Kill the process group if anything is left, and reap it."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=30)
        for stream in (self.proc.stdout, self.proc.stderr):
            with contextlib.suppress(Exception):
                stream.close()

    def __enter__(self) -> Training:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def latest_checkpoint(root: Path) -> int | None:
    """Number of the checkpoint the ``checkpoint`` state file names as latest, if any."""
    state = root / CKPT / "checkpoint"
    try:
        text = state.read_text()
    except FileNotFoundError:
        return None
    match = re.search(r'^model_checkpoint_path: "(?:.*/)?ckpt-(\d+)"', text, re.M)
    return int(match.group(1)) if match else None


def checkpoint_files(root: Path) -> list[str]:
    folder = root / CKPT
    return sorted(os.listdir(folder)) if folder.is_dir() else []


def epoch_images(root: Path) -> list[int]:
    """Epoch numbers of the ``mnist_epoch_NNNN.png`` grids in the run dir."""
    folder = root / RUN
    if not folder.is_dir():
        return []
    return sorted(int(m.group(1)) for name in os.listdir(folder) if (m := IMAGE_RE.match(name)))


def stray_files(root: Path, tops=("gen_img", "models", "datasets")) -> list[str]:
    """Leftovers of interrupted atomic writes under ``root/<top>``: hidden ``.*.tmp*`` and
    ``.*.old-*`` files or folders (image grids, report files, TFRecord folders)."""
    found = []
    for top in (root / t for t in tops):
        if top.is_dir():
            for path in top.rglob(".*"):
                if ".tmp" in path.name or ".old-" in path.name:
                    found.append(str(path.relative_to(root)))
    return sorted(found)


def checkpoint_temp_dirs(root: Path) -> list[str]:
    """TensorFlow's ``ckpt-N_temp`` folders (a checkpoint save in progress or killed)."""
    return [name for name in checkpoint_files(root) if name.endswith("_temp")]


def checkpoint_epoch(path: Path) -> int:
    """The ``epoch`` counter stored inside a checkpoint (reads it with TensorFlow)."""
    import tensorflow as tf

    reader = tf.train.load_checkpoint(str(path))
    return int(reader.get_tensor("epoch/.ATTRIBUTES/VARIABLE_VALUE"))


def valid_png(path: Path) -> bool:
    from PIL import Image

    try:
        with Image.open(path) as image:
            image.load()
    except Exception:
        return False
    return True
