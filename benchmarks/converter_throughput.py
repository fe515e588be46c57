"""Converter throughput (images/s) and peak memory as the set grows.

Each measurement runs in a fresh subprocess so that ``ru_maxrss`` (the RSS high-water mark)
belongs to that size alone:

* *synthetic 28x28x1*, ``--sizes`` images (10k, 30k, 100k): records are generated lazily
  (a pool of 1,000 stroke images, each copy stamped with its index so none is a duplicate),
  so memory should stay flat as the set grows. Timed with ``write_tfrecords``; a second
  subprocess per size repeats the conversion under ``tracemalloc`` for the Python
  allocation peak (tracemalloc slows allocation, so it is not timed).
* *folder 64x64x3*: ``convert_folder`` over ``--folder_images`` PNG files written first.
* *Fashion-MNIST* (real, 60k) through ``convert_mnist`` when its IDX files exist.

Targets: ≥ 2000 img/s at 28 px; memory flat as the set grows.

    python benchmarks/converter_throughput.py --out /tmp/convert.json
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import bench_utils
import numpy as np

TARGET_IMG_S = 2000.0
FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", nargs="+", type=int, default=[10_000, 30_000, 100_000])
    p.add_argument("--folder_images", type=int, default=2000)
    p.add_argument("--no_trace", action="store_true", help="skip the tracemalloc runs")
    p.add_argument("--out", default=None, help="write the results as JSON here")
    # internal: one measurement in this (child) process
    p.add_argument("--child", choices=["synthetic", "folder", "fashion"], help=argparse.SUPPRESS)
    p.add_argument("--count", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--source", default="", help=argparse.SUPPRESS)
    p.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--workdir", default="", help=argparse.SUPPRESS)
    return p.parse_args()


def maxrss_mb() -> float:
    """This process's RSS high-water mark in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def image_pool(size: int = 28, count: int = 1000) -> list[np.ndarray]:
    """A small pool of synthetic gray stroke images (< 1 MB)."""
    rng = np.random.default_rng(0)
    return [bench_utils.synthetic_image(rng, size, 1) for _ in range(count)]


def pooled_records(count: int, pool: list[np.ndarray]) -> Iterator:
    """``count`` distinct ``ImageRecord`` s made lazily from ``pool`` (index-stamped copies)."""
    from gans.core.data.tfrecord_writer import ImageRecord

    for i in range(count):
        img = pool[i % len(pool)].copy()
        img.reshape(-1)[:4] = np.frombuffer(np.uint32(i).tobytes(), np.uint8)
        yield ImageRecord(img, key=f"synthetic/{i:07d}", label=i % 10)


def child(args: argparse.Namespace) -> None:
    """One conversion; print a JSON line with count, seconds, RSS and tracemalloc peaks."""
    from gans.core.data.folder_converter import ConvertOptions, convert_folder
    from gans.core.data.tfrecord_writer import write_tfrecords
    from gans.mnist.mnist_convert import convert_mnist

    out_dir = Path(args.workdir) / f"out_{args.child}_{args.count}_{int(args.trace)}"
    if args.child == "synthetic":
        records = pooled_records(args.count, image_pool())

        def run() -> dict:
            return write_tfrecords(records, out_dir, "synthetic", 28, 1, source="synthetic")

    elif args.child == "folder":

        def run() -> dict:
            return convert_folder(args.source, out_dir, "folder", ConvertOptions(64, 3))

    else:

        def run() -> dict:
            return convert_mnist("fashion", args.source, out_dir)

    rss_before = maxrss_mb()
    if args.trace:
        tracemalloc.start()
    t0 = time.perf_counter()
    manifest = run()
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 2**20 if args.trace else None
    shard_mb = sum((out_dir / s).stat().st_size for s in manifest["shards"]) / 2**20
    result = {
        "count": manifest["count"],
        "seconds": seconds,
        "img_s": manifest["count"] / seconds,
        "rss_before_mb": rss_before,
        "maxrss_mb": maxrss_mb(),
        "tracemalloc_peak_mb": peak,
        "shards": len(manifest["shards"]),
        "shard_mb": shard_mb,
    }
    print("RESULT " + json.dumps(result))


def spawn(kind: str, workdir: Path, count: int = 0, source: str = "", trace: bool = False) -> dict:
    """Run one child measurement in a fresh interpreter and parse its result line."""
    cmd = [
        sys.executable,
        __file__,
        "--child",
        kind,
        "--count",
        str(count),
        "--source",
        source,
        "--workdir",
        str(workdir),
    ] + (["--trace"] if trace else [])
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-5:])
    return {"error": f"exit {proc.returncode}: {tail}"}


def write_png_folder(folder: Path, count: int) -> None:
    """``count`` 64x64 RGB PNG files (synthetic shapes) for the folder converter."""
    import cv2

    folder.mkdir(parents=True)
    rng = np.random.default_rng(1)
    for i in range(count):
        img = bench_utils.synthetic_image(rng, 64, 3)
        img.reshape(-1)[:4] = np.frombuffer(np.uint32(i).tobytes(), np.uint8)
        cv2.imwrite(str(folder / f"img_{i:05d}.png"), img)


def main() -> None:
    args = parse_args()
    if args.child:
        child(args)
        return
    rows = []
    with tempfile.TemporaryDirectory(prefix="gans_bench_convert_") as tmp:
        workdir = Path(tmp)
        for count in args.sizes:
            res = spawn("synthetic", workdir, count=count)
            if not args.no_trace and "error" not in res:
                traced = spawn("synthetic", workdir, count=count, trace=True)
                res["tracemalloc_peak_mb"] = traced.get("tracemalloc_peak_mb")
            rows.append({"path": "write_tfrecords synthetic 28x28x1", **res})
            print(f"[synthetic {count}] {json.dumps(res)}")
        if args.folder_images:
            folder = workdir / "png64"
            write_png_folder(folder, args.folder_images)
            res = spawn("folder", workdir, source=str(folder), trace=False)
            rows.append({"path": "convert_folder PNG 64x64x3", **res})
            print(f"[folder {args.folder_images}] {json.dumps(res)}")
        if FASHION_DIR.is_dir():
            res = spawn("fashion", workdir, source=str(FASHION_DIR))
            rows.append({"path": "convert_mnist Fashion-MNIST (real)", **res})
            print(f"[fashion-mnist] {json.dumps(res)}")
    for row in rows:
        if "maxrss_mb" in row:
            row["conv_rss_mb"] = row["maxrss_mb"] - row["rss_before_mb"]
    print()
    bench_utils.print_table(
        rows,
        [
            "path",
            "count",
            "img_s",
            "rss_before_mb",
            "maxrss_mb",
            "conv_rss_mb",
            "tracemalloc_peak_mb",
            "shard_mb",
        ],
    )
    synth = [r for r in rows if r["path"].startswith("write_tfrecords") and "img_s" in r]
    summary = {}
    if synth:
        slowest = min(r["img_s"] for r in synth)
        summary["speed_target_met"] = slowest >= TARGET_IMG_S
        print(
            f"\nspeed: slowest synthetic 28 px run {slowest:.0f} img/s "
            f"(target ≥ {TARGET_IMG_S:.0f}): {'met' if slowest >= TARGET_IMG_S else 'NOT met'}"
        )
    if len(synth) >= 2:
        small, large = synth[0], synth[-1]
        extra = large["count"] - small["count"]
        rss_growth = large["maxrss_mb"] - small["maxrss_mb"]
        summary["rss_growth_mb"] = rss_growth
        summary["rss_bytes_per_image"] = rss_growth * 2**20 / extra
        line = (
            f"memory: maxrss {small['maxrss_mb']:.0f} → {large['maxrss_mb']:.0f} MiB "
            f"from {small['count']} to {large['count']} images "
            f"({summary['rss_bytes_per_image']:.0f} B/extra image)"
        )
        if small.get("tracemalloc_peak_mb") is not None and large.get("tracemalloc_peak_mb"):
            growth = large["tracemalloc_peak_mb"] - small["tracemalloc_peak_mb"]
            summary["tracemalloc_bytes_per_image"] = growth * 2**20 / extra
            line += (
                f"; Python peak {small['tracemalloc_peak_mb']:.1f} → "
                f"{large['tracemalloc_peak_mb']:.1f} MiB "
                f"({summary['tracemalloc_bytes_per_image']:.0f} B/extra image)"
            )
        # "flat": under 10% RSS growth for 10x the images; "O(1)": Python peak < 20 B/image.
        summary["memory_flat"] = rss_growth < 0.10 * small["maxrss_mb"]
        print(line)
        print(f"memory flat (< 10% maxrss growth): {'yes' if summary['memory_flat'] else 'NO'}")
        per_image = summary.get("tracemalloc_bytes_per_image")
        if per_image is not None:
            summary["python_memory_constant"] = per_image < 20
            print(
                "Python allocations constant (< 20 B/extra image): "
                + ("yes" if per_image < 20 else "NO (they grow linearly with the set)")
            )
    bench_utils.write_json(
        args.out,
        {
            "benchmark": "converter_throughput",
            "args": vars(args),
            "results": rows,
            "summary": summary,
        },
    )


if __name__ == "__main__":
    main()
