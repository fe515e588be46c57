"""Helpers shared by tests: synthetic data files and running entry scripts."""

from __future__ import annotations

import gzip
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]

# Entry-script flags for a seconds-long run on tiny synthetic data.
TINY_ARGS = [
    "--eval_every=0",
    "--batch_size=32",
    "--steps_per_epoch=2",
    "--width=8",
    "--grid_size=4",
    "--verbose=2",
]


def write_idx(path: Path, array: np.ndarray, compress: bool = True) -> Path:
    """Write a uint8 array as an IDX file (gzip-compressed when ``compress``)."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    data = header + np.ascontiguousarray(array, np.uint8).tobytes()
    if compress:
        path = path.with_name(path.name + ".gz")
        path.write_bytes(gzip.compress(data, compresslevel=1))
    else:
        path.write_bytes(data)
    return path


def synthetic_digits(count: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``count`` 28x28 images of bright squares whose position encodes a label 0-9."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, count).astype(np.uint8)
    images = np.zeros((count, 28, 28), np.uint8)
    for i, label in enumerate(labels):
        y, x = 4 + (label // 5) * 10, 2 + (label % 5) * 5
        images[i, y : y + 8, x : x + 5] = 255
        images[i] = np.clip(images[i] + rng.integers(0, 30, (28, 28)), 0, 255)
    return images, labels


def make_idx_dir(folder: Path, count: int = 300, seed: int = 0) -> Path:
    """A folder with train-images/labels IDX files of synthetic digits."""
    folder.mkdir(parents=True, exist_ok=True)
    images, labels = synthetic_digits(count, seed)
    write_idx(folder / "train-images-idx3-ubyte", images)
    write_idx(folder / "train-labels-idx1-ubyte", labels)
    return folder


def run_script(
    script: str, *args: str, cwd: Path, timeout: int = 300
) -> subprocess.CompletedProcess:
    """Run a repo script (path relative to the repo) with the test's Python."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(REPO))
    return subprocess.run(
        [sys.executable, str(REPO / script), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def tiny_config(tmp_path: Path, source_dir: Path | None = None, **overrides):
    """A ``TrainConfig`` for a seconds-long run in ``tmp_path``: tiny nets, few steps, no
    evaluation; MNIST-like IDX files are made there unless ``source_dir`` is given."""
    from gans.core.run.config import TrainConfig

    if source_dir is None:
        source_dir = make_idx_dir(tmp_path / "idx", 64)
    settings = dict(
        epochs=1,
        batch_size=8,
        steps_per_epoch=1,
        width=8,
        grid_size=4,
        verbose=0,
        eval_every=0,
        source_dir=str(source_dir),
        data_dir=str(tmp_path / "data"),
        gen_dir=str(tmp_path / "gen"),
        model_dir=str(tmp_path / "model"),
    )
    return TrainConfig(**{**settings, **overrides})
