"""Input pipeline throughput: ``provide_dataset`` alone, images/second.

Synthetic TFRecords are written once into a temp folder with the suite's writer; then, per
repeat, a fresh ``provide_dataset(...)`` is iterated the way ``fit`` does (one Python
``next`` per batch):

* *cold*: the whole first epoch (read shards → decode PNG → scale → fill the in-memory
  cache → shuffle → batch → noise);
* *warm*: ``--batches`` batches of the following epochs (served from the cache).

With ``--train_results`` (the JSON of ``train_throughput.py --out``) the rates are printed
next to the training consumption rate of the matching config (the fastest precision, i.e.
the most demanding consumer) as a ratio; the target is ≥ 20×.

    python benchmarks/input_pipeline.py --train_results /tmp/train.json --out /tmp/input.json
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import bench_utils

from gans.core.data.provider import provide_dataset

CONFIGS = {
    # name: size, channels, images, batch, matching train_throughput config
    "mnist28": {"size": 28, "channels": 1, "images": 60_000, "batch": 256, "train": "mnist28"},
    "rgb64": {"size": 64, "channels": 3, "images": 4_000, "batch": 64, "train": "dcgan64"},
}
TARGET_RATIO = 20.0


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    p.add_argument("--batches", type=int, default=200, help="warm batches timed per repeat")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--train_results", default=None, help="JSON from train_throughput.py")
    p.add_argument("--out", default=None, help="write the results as JSON here")
    return p.parse_args()


def train_rates(path: str | None) -> dict[str, tuple[float, str]]:
    """``{train config: (fastest suite img/s, precision)}`` from a train_throughput JSON."""
    if not path:
        return {}
    rates: dict[str, tuple[float, str]] = {}
    for row in json.loads(Path(path).read_text())["results"]:
        rate = row.get("suite_img_s")
        if rate is None or rate != rate:  # missing or NaN (a failed arm)
            continue
        if rate > rates.get(row["config"], (0.0, ""))[0]:
            rates[row["config"]] = (rate, row["precision"])
    return rates


def time_provider(tfrecord_dir: Path, cfg: dict, batches: int, seed: int) -> dict:
    """Cold (first epoch) and warm (``batches`` cached batches) images/s of one provider."""
    dataset, steps = provide_dataset(
        tfrecord_dir,
        global_batch_size=cfg["batch"],
        image_size=cfg["size"],
        channels=cfg["channels"],
        noise_dim=100,
        seed=seed,
        start_epoch=0,
        end_epoch=2 + -(-batches // (cfg["count"] // cfg["batch"])),
    )
    iterator = iter(dataset)
    t0 = time.perf_counter()
    for _ in range(steps):
        images, _noise = next(iterator)
    cold = time.perf_counter() - t0
    next(iterator)  # the first cached batch (shuffle buffer refill) is warm-up
    t0 = time.perf_counter()
    for _ in range(batches):
        images, _noise = next(iterator)
    warm = time.perf_counter() - t0
    assert images.shape[0] == cfg["batch"]
    return {
        "cold_img_s": steps * cfg["batch"] / cold,
        "warm_img_s": batches * cfg["batch"] / warm,
        "steps_per_epoch": steps,
    }


def main() -> None:
    args = parse_args()
    rates = train_rates(args.train_results)
    rows = []
    with tempfile.TemporaryDirectory(prefix="gans_bench_input_") as tmp:
        for name in args.configs:
            cfg = dict(CONFIGS[name])
            out_dir = Path(tmp) / name
            t0 = time.perf_counter()
            manifest = bench_utils.write_synthetic_tfrecords(
                out_dir, cfg["images"], cfg["size"], cfg["channels"], name=name
            )
            cfg["count"] = manifest["count"]
            write_s = time.perf_counter() - t0
            print(f"[{name}] wrote {manifest['count']} images in {write_s:.1f} s")
            runs = []
            for rep in range(args.repeats):
                runs.append(time_provider(out_dir, cfg, args.batches, seed=rep))
                print(
                    f"[{name}] repeat {rep + 1}: cold {runs[-1]['cold_img_s']:.0f} img/s, "
                    f"warm {runs[-1]['warm_img_s']:.0f} img/s"
                )
            row = {
                "config": f"{name} ({cfg['images']}x{cfg['size']}x{cfg['size']}x"
                f"{cfg['channels']}, b{cfg['batch']})",
                "cold_img_s": bench_utils.median([r["cold_img_s"] for r in runs]),
                "warm_img_s": bench_utils.median([r["warm_img_s"] for r in runs]),
                "runs": runs,
            }
            if cfg["train"] in rates:
                train, precision = rates[cfg["train"]]
                row["train_img_s"] = train
                row["train_precision"] = precision
                row["warm/train"] = row["warm_img_s"] / train
                row["cold/train"] = row["cold_img_s"] / train
                row["target_met"] = "yes" if row["warm/train"] >= TARGET_RATIO else "NO"
            rows.append(row)
    print()
    columns = ["config", "cold_img_s", "warm_img_s"]
    if rates:
        columns += ["train_img_s", "train_precision", "cold/train", "warm/train", "target_met"]
    bench_utils.print_table(rows, columns)
    if rates:
        print(f"target: provider ≥ {TARGET_RATIO:.0f}x the training consumption rate")
    bench_utils.write_json(
        args.out, {"benchmark": "input_pipeline", "args": vars(args), "results": rows}
    )


if __name__ == "__main__":
    main()
