"""An exclusive lock per model directory: one training process writes a run at a time.

The lock is a file ``<model_dir>/.lock`` created with ``O_CREAT | O_EXCL`` (atomic on local
disks and on NFS v3+), holding the owner's pid, host and start time as JSON. It is removed
when the run ends (also after Ctrl-C or an error). A lock left by a killed process is stale
when its host is this host and its pid is gone; it is then taken over, under an ``flock``
on ``<model_dir>/.lock.guard`` so two processes cannot both take over the same stale lock.
A lock of another host is never broken automatically: the message says how to remove it.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import json
import os
import socket
import sys
from pathlib import Path

from gans.core.errors import UserError

LOCK_NAME = ".lock"


class RunLocked(UserError):
    """The model directory is in use by another process."""


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_lock(model_dir: str | os.PathLike) -> dict | None:
    """The lock's contents (``{}`` if unreadable), ``None`` when there is no lock."""
    path = Path(model_dir) / LOCK_NAME
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    except OSError:
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def is_stale(info: dict) -> bool:
    """A lock of this host whose process is gone (or one that cannot be read)."""
    if not info:
        return True
    if info.get("host") != socket.gethostname():
        return False
    pid = info.get("pid")
    return not isinstance(pid, int) or not pid_alive(pid)


class RunLock:
    """``with RunLock(model_dir):`` — hold the model directory for this process."""

    def __init__(self, model_dir: str | os.PathLike) -> None:
        self.model_dir = Path(model_dir)
        self.path = self.model_dir / LOCK_NAME
        self.held = False
        self.took_over: dict | None = None

    def acquire(self) -> RunLock:
        self.model_dir.mkdir(parents=True, exist_ok=True)
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": datetime.datetime.now().isoformat(timespec="seconds"),
            "argv": sys.argv,
        }
        with open(self.model_dir / f"{LOCK_NAME}.guard", "a") as guard:
            fcntl.flock(guard, fcntl.LOCK_EX)
            try:
                for _ in range(2):
                    try:
                        fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
                    except FileExistsError:
                        owner = read_lock(self.model_dir)
                        if owner is None:
                            continue  # released meanwhile
                        if not is_stale(owner):
                            raise RunLocked(self._busy_message(owner)) from None
                        self.took_over = owner
                        with contextlib.suppress(FileNotFoundError):
                            self.path.unlink()
                        continue
                    with os.fdopen(fd, "w") as out:
                        out.write(json.dumps(info))
                    self.held = True
                    self.info = info
                    return self
            finally:
                fcntl.flock(guard, fcntl.LOCK_UN)
        raise RunLocked(f"{self.path}: could not take the lock; try again")

    def _busy_message(self, owner: dict) -> str:
        where = f"pid {owner.get('pid')} on {owner.get('host')}"
        since = owner.get("started", "?")
        hint = "wait for it to finish, or train another run with --run_name / --model_dir"
        if owner.get("host") != socket.gethostname():
            hint += f"; if that process is gone, delete {self.path}"
        return f"{self.model_dir} is in use by another training ({where}, since {since}); {hint}"

    def release(self) -> None:
        if not self.held:
            return
        self.held = False
        owner = read_lock(self.model_dir)
        if owner and owner.get("pid") == os.getpid() and owner.get("host") == self.info["host"]:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
