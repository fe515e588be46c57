"""How long the first train call takes (tracing the step), with and without AutoGraph.

Every run of an entry script, and every test that trains, pays the first call of
``GAN.fit``: Python traces the train step into a graph, TensorFlow optimizes it, and one
step runs. ``GAN.autograph`` (False) says whether AutoGraph first rewrites the step's
source; this benchmark times both settings, each in a fresh subprocess (AutoGraph caches
its conversions per process), interleaved ``--repeats`` times:

* ``first_s``: the first ``fit`` of one step (trace + optimize + one step);
* ``next_s``: a second ``fit`` of one step on the same model (the steady cost), so
  ``first_s - next_s`` is what tracing costs.

    python benchmarks/first_step_time.py --repeats 3
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import bench_utils

CONFIGS = {
    # name: (dataset whose defaults are used, overrides): the entry script's networks and step
    "dcgan28": ("mnist", {"batch_size": 64}),
    "fastgan64": ("flags", {}),  # the small-set default: FastGAN, recon, DiffAugment, EMA
}


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    p.add_argument("--repeats", type=int, default=3, help="subprocess runs per arm")
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    p.add_argument("--out", default=None, help="write the results as JSON here")
    return p.parse_args()


def child(config: str, autograph: bool) -> dict:
    """(In the subprocess.) Build the GAN as the entry script does, time two ``fit`` calls."""
    import numpy as np
    import tensorflow as tf

    from gans.core.model.gan import GAN
    from gans.core.run.experiment import resolve
    from gans.core.run.trainer import build_gan
    from gans.registry import get_spec

    dataset, overrides = CONFIGS[config]
    spec = get_spec(dataset)
    c = resolve(spec.train_config(**overrides), spec)
    GAN.autograph = autograph
    gan = build_gan(c)
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (c.batch_size, c.image_size, c.image_size, c.channels))
    noise = rng.standard_normal((c.batch_size, c.noise_dim))
    batch = (images.astype(np.float32), noise.astype(np.float32))
    data = tf.data.Dataset.from_tensors(batch).repeat()
    times = []
    for _ in range(2):
        start = time.perf_counter()
        gan.fit(data, epochs=1, steps_per_epoch=1, verbose=0)
        times.append(time.perf_counter() - start)
    return {"first_s": times[0], "next_s": times[1]}


def main() -> None:
    args = parse_args()
    if args.child:
        config, autograph = args.child.split(":")
        print(json.dumps(child(config, autograph == "on")))
        return
    rows = []
    for config in args.configs:
        runs: dict[str, list[dict]] = {"off": [], "on": []}
        for _ in range(args.repeats):
            for arm in runs:  # interleaved: off, on, off, on, ...
                out = subprocess.run(
                    [sys.executable, __file__, f"--child={config}:{arm}"],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                runs[arm].append(json.loads(out.stdout.strip().splitlines()[-1]))
        for arm, results in runs.items():
            first = [r["first_s"] for r in results]
            rows.append(
                {
                    "config": config,
                    "autograph": arm,
                    "first_s": bench_utils.median(first),
                    "next_s": bench_utils.median([r["next_s"] for r in results]),
                    "first_s_runs": " ".join(f"{t:.1f}" for t in first),
                }
            )
    print(f"CPU: {bench_utils.cpu_summary()}; {args.repeats} subprocess runs per arm")
    bench_utils.print_table(rows, ["config", "autograph", "first_s", "next_s", "first_s_runs"])
    bench_utils.write_json(args.out, {"machine": bench_utils.machine_info(), "rows": rows})


if __name__ == "__main__":
    main()
