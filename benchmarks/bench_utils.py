"""Helpers shared by the benchmark scripts: synthetic images, medians, tables, JSON.

Not a library module of ``gans``: the scripts import it by name because ``python
benchmarks/<script>.py`` puts this folder first on ``sys.path``.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def synthetic_image(rng: np.random.Generator, size: int, channels: int) -> np.ndarray:
    """A uint8 ``[size, size, channels]`` image that compresses like real data.

    Gray: a few thick strokes on black (MNIST-like, mostly zeros). Colour: a smooth
    gradient background with a few filled shapes (sprite/card-like). Pure noise would
    make PNG encode/decode unrealistically slow and large.
    """
    import cv2

    if channels == 1:
        img = np.zeros((size, size), np.uint8)
        for _ in range(int(rng.integers(2, 5))):
            p1 = tuple(int(v) for v in rng.integers(size // 6, size - size // 6, 2))
            p2 = tuple(int(v) for v in rng.integers(size // 6, size - size // 6, 2))
            cv2.line(img, p1, p2, int(rng.integers(160, 256)), max(1, size // 12))
        return img[..., None]
    ramp = np.linspace(0, 1, size, dtype=np.float32)
    base = rng.integers(0, 256, 3).astype(np.float32)
    tip = rng.integers(0, 256, 3).astype(np.float32)
    img = (base + (tip - base) * ramp[:, None, None]).repeat(size, axis=1)
    img = np.ascontiguousarray(img.astype(np.uint8))
    for _ in range(int(rng.integers(2, 5))):
        centre = tuple(int(v) for v in rng.integers(0, size, 2))
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        cv2.circle(img, centre, int(rng.integers(size // 10, size // 3)), colour, -1)
    if channels == 4:
        alpha = np.full((size, size, 1), 255, np.uint8)
        img = np.concatenate([img, alpha], axis=-1)
    return img


def synthetic_records(count: int, size: int, channels: int, seed: int = 0) -> Iterator:
    """``count`` distinct ``ImageRecord`` s, generated lazily (nothing kept in memory)."""
    from gans.core.data.tfrecord_writer import ImageRecord

    rng = np.random.default_rng(seed)
    for i in range(count):
        img = synthetic_image(rng, size, channels)
        # Stamp the index into the corner pixels so that no two images are duplicates.
        flat = img.reshape(-1)
        flat[:4] = np.frombuffer(np.uint32(i).tobytes(), np.uint8)
        yield ImageRecord(img, key=f"synthetic/{i:07d}", label=i % 10)


def write_synthetic_tfrecords(
    out_dir: str | Path, count: int, size: int, channels: int, name: str = "synthetic"
) -> dict:
    """Convert ``count`` synthetic images into ``out_dir`` with the suite's writer."""
    from gans.core.data.tfrecord_writer import write_tfrecords

    return write_tfrecords(
        synthetic_records(count, size, channels), out_dir, name, size, channels, source="synthetic"
    )


def median(values: Sequence[float]) -> float:
    """Median, or NaN for no values."""
    return statistics.median(values) if values else float("nan")


def print_table(rows: list[dict], columns: list[str]) -> None:
    """A plain fixed-width table of ``rows`` restricted to ``columns``."""

    def fmt(v) -> str:
        if isinstance(v, float):
            return f"{v:.3g}" if abs(v) < 10 else f"{v:.0f}"
        return str(v)

    cells = [[fmt(r.get(c, "")) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))


def cpu_summary() -> str:
    """The CPU model and the vector flags that decide TF's kernels (the VM's CPU changes)."""
    model, flags = platform.processor() or "unknown CPU", set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name") and model in ("", "unknown CPU", "x86_64"):
                model = line.split(":", 1)[1].strip()
            elif line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    except OSError:
        pass
    wanted = ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "avx512_fp16")
    return f"{model}, {os.cpu_count()} cores, " + (
        " ".join(f for f in wanted if f in flags) or "no AVX2"
    )


def machine_info() -> dict:
    """Python/TF versions, CPU model and vector flags, stored with every result."""
    import tensorflow as tf

    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "cpus": os.cpu_count(),
        "cpu": cpu_summary(),
        "platform": platform.platform(),
    }


def write_json(path: str | None, payload: dict) -> None:
    """Write ``payload`` (plus machine info) to ``path`` when given."""
    if not path:
        return
    payload = {"machine": machine_info(), **payload}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(payload, indent=1, default=str))
    print(f"wrote {path}")
