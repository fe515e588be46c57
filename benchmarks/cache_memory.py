"""Peak memory of a training run on 12k images at 128 px: the image cache's dtype.

The provider caches decoded images in memory. This script converts ``--images`` synthetic
RGB images at ``--size`` px once, then trains one full epoch (the cache fills during it)
with ``GANExperiment`` in a fresh subprocess per checkout, and prints each run's peak RSS
during training (``VmHWM``, reset after the imports and the conversion).

Compare two checkouts in one run, e.g. the commit before the uint8 cache and this tree:

    git worktree add /tmp/gans_before 2e090cb
    python benchmarks/cache_memory.py --checkouts /tmp/gans_before,.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import bench_utils

REPO = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, re, sys, time
from pathlib import Path
sys.path.insert(0, {checkout!r})
from gans.core.run.config import TrainConfig
from gans.core.data.dataset_spec import DatasetSpec
from gans.core.run.experiment import GANExperiment
import gans

assert Path(gans.__file__).resolve().is_relative_to(Path({checkout!r}).resolve()), gans.__file__


def convert(source_dir, out_dir, options):
    sys.path.insert(0, {bench!r})
    import bench_utils
    return bench_utils.write_synthetic_tfrecords(out_dir, {images}, {size}, 3, name="cache")


def vm(key):
    return int(re.search(key + r":\s+(\d+)", Path("/proc/self/status").read_text())[1]) / 1024


spec = DatasetSpec(name="cache", image_size={size}, channels=3, convert=convert)
config = TrainConfig(
    dataset="cache", epochs=1, batch_size=64, width=8, data_dir={data!r},
    model_dir={model!r}, gen_dir={gen!r}, run_name="cache", verbose=0, eval_every=0,
)
experiment = GANExperiment(spec, config)
experiment.ensure_dataset()
Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM: count the training run only
before = vm("VmRSS")
t0 = time.perf_counter()
experiment.train()
print(json.dumps({{"rss_before_mib": before, "peak_mib": vm("VmHWM"),
                  "train_s": time.perf_counter() - t0}}))
"""


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--checkouts", default=".", help="comma list of repository checkouts")
    p.add_argument("--images", type=int, default=12_000)
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--out", default=None, help="write the results as JSON here")
    args = p.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="gans_cache_mem_") as tmp:
        for i, checkout in enumerate(args.checkouts.split(",")):
            checkout = str(Path(checkout).resolve())
            code = CHILD.format(
                checkout=checkout,
                bench=str(REPO / "benchmarks"),
                images=args.images,
                size=args.size,
                data=f"{tmp}/data{i}",
                model=f"{tmp}/model{i}",
                gen=f"{tmp}/gen{i}",
            )
            done = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp
            )
            if done.returncode != 0:
                raise SystemExit(f"{checkout}: failed\n{done.stderr[-2000:]}")
            result = json.loads(done.stdout.strip().splitlines()[-1])
            rows.append({"checkout": checkout, **result})
            print(rows[-1], flush=True)
    cache_f32 = args.images * args.size * args.size * 3 * 4 / 2**20
    print(
        f"\n{args.images} images at {args.size} px RGB: float32 cache {cache_f32:.0f} MiB, "
        f"uint8 {cache_f32 / 4:.0f} MiB; CPU: {bench_utils.cpu_summary()}"
    )
    bench_utils.print_table(rows, ["checkout", "rss_before_mib", "peak_mib", "train_s"])
    bench_utils.write_json(args.out, {"benchmark": "cache_memory", "results": rows})


if __name__ == "__main__":
    main()
