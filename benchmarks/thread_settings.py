"""Do TensorFlow's thread-pool settings speed up the tutorial DCGAN loop on this CPU?

Each (inter-op, intra-op) setting runs in a fresh subprocess (the pools are fixed once TF
starts): ``train_throughput.PlainLoop`` (the TensorFlow DCGAN tutorial's loop), a warm-up,
then ``--chunks`` chunks of ``--steps`` batches; the median img/s is printed per setting.
Settings are run round-robin ``--rounds`` times so a drifting machine hits all alike.
0 means TensorFlow's default (one thread per core for both pools).

    python benchmarks/thread_settings.py --config mnist28 --rounds 2
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import bench_utils

SETTINGS = [(0, 0), (2, 1), (1, 2), (1, 0)]  # (inter-op, intra-op); 0 = TF's default


def child(inter: int, intra: int, config: str, steps: int, chunks: int) -> None:
    """(Subprocess.) Print the median img/s of the tutorial loop under these pools."""
    import tensorflow as tf

    if inter:
        tf.config.threading.set_inter_op_parallelism_threads(inter)
    if intra:
        tf.config.threading.set_intra_op_parallelism_threads(intra)
    import train_throughput as tt

    loop = tt.PlainLoop(config, "float32", jit=False)
    loop.run(3)  # trace + warm-up
    rates = [steps * loop.batch / loop.run(steps) for _ in range(chunks)]
    print(json.dumps({"median": bench_utils.median(rates), "rates": rates}))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", default="mnist28", choices=["mnist28", "dcgan64"])
    p.add_argument("--steps", type=int, default=10, help="batches per chunk")
    p.add_argument("--chunks", type=int, default=6, help="chunks per setting and round")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--out", default=None, help="write the results as JSON here")
    p.add_argument("--child", nargs=2, type=int, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        child(*args.child, args.config, args.steps, args.chunks)
        return
    results: dict[str, list[float]] = {f"{a}/{b}": [] for a, b in SETTINGS}
    for _ in range(args.rounds):
        for inter, intra in SETTINGS:
            cmd = [sys.executable, __file__, f"--config={args.config}", f"--steps={args.steps}"]
            cmd += [f"--chunks={args.chunks}", "--child", str(inter), str(intra)]
            out = subprocess.run(cmd, capture_output=True, text=True, cwd=Path.cwd())
            if out.returncode != 0:
                raise SystemExit(f"inter/intra {inter}/{intra} failed:\n{out.stderr[-2000:]}")
            results[f"{inter}/{intra}"].append(json.loads(out.stdout.splitlines()[-1])["median"])
    print(f"CPU: {bench_utils.cpu_summary()}; {args.config}, tutorial loop, fp32")
    rows = [
        {"inter/intra (0 = default)": k, "img/s per round": " ".join(f"{r:.0f}" for r in v)}
        for k, v in results.items()
    ]
    bench_utils.print_table(rows, list(rows[0]))
    bench_utils.write_json(args.out, {"benchmark": "thread_settings", "results": results})


if __name__ == "__main__":
    main()
