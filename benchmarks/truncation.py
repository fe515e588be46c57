"""The truncation trick on a trained generator: quality against variety per threshold.

BigGAN's truncation trick (Brock et al. 2019; ``gans.core.model.latent``) draws the noise
from a normal truncated at ±T. This scores one trained model directory per threshold with
the ablation's scorer (``evaluate_experiment``, 1,000 samples, sampling seed 123, so the
``none`` row is the ablation's own score of that checkpoint): SWD against the training
images (lower is better), MS-SSIM among samples (higher is less varied; the collapse line
is 3× the real images'), and the fraction of samples flagged as copies. One picture puts
the same 12 noise vectors at every threshold in rows (top: none), so a person can see what
each threshold buys.

    python benchmarks/truncation.py --model_dir=/tmp/gan_ablation/models/flags/fastgan-ct_s0 \
        --thresholds=none,2,1.5,1,0.7,0.5 --picture=/tmp/flags_truncation.png
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import bench_utils
import numpy as np

from gans.core.metrics.evaluation import evaluate_experiment
from gans.core.model.latent import make_noise
from gans.core.report.image_grid import save_grid
from gans.core.run.experiment import GANExperiment

PICTURE_COLUMNS = 12


def parse_threshold(text: str) -> float | None:
    return None if text == "none" else float(text)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model_dir", required=True, help="A trained model directory.")
    p.add_argument(
        "--thresholds",
        default="none,2,1.5,1,0.7,0.5",
        help="Comma-separated thresholds; 'none' is untruncated noise.",
    )
    p.add_argument("--num_samples", type=int, default=1000, help="Samples scored per threshold.")
    p.add_argument("--picture", default="", help="PNG: the same noise at every threshold.")
    p.add_argument("--out", default="", help="JSON with every row and the machine.")
    return p.parse_args()


def score(experiment: GANExperiment, truncation: float | None, num_samples: int) -> dict:
    result = evaluate_experiment(
        experiment, num_samples=num_samples, seed=123, save=False, truncation=truncation
    )
    return {
        "truncation": "none" if truncation is None else truncation,
        "swd": result["swd_mean"],
        "ms_ssim": result.get("ms_ssim_fake"),
        "ms_ssim_real": result.get("ms_ssim_real"),
        "copies": result.get("memorization_pixel_fraction_flagged"),
        "g_steps": result.get("g_steps"),
    }


def draw(experiment: GANExperiment, thresholds: list[float | None], path: Path) -> Path:
    """Rows: the same ``PICTURE_COLUMNS`` noise seeds, truncated at each threshold."""
    dim = experiment.config.noise_dim
    rows = [experiment.sample(make_noise(PICTURE_COLUMNS, dim, 7, t)) for t in thresholds]
    names = ", ".join("none" if t is None else f"{t:g}" for t in thresholds)
    steps = experiment.generator_steps
    title = f"{experiment.config.dataset} · {steps} G steps · rows: truncation {names}"
    return save_grid(np.concatenate(rows), path, title, PICTURE_COLUMNS)


def main() -> None:
    args = parse_args()
    thresholds = [parse_threshold(t) for t in args.thresholds.split(",")]
    experiment = GANExperiment.from_model_dir(args.model_dir, strategy="one_device")
    print(bench_utils.cpu_summary(), flush=True)
    rows = []
    for truncation in thresholds:
        rows.append(score(experiment, truncation, args.num_samples))
        print(json.dumps(rows[-1]), flush=True)
    bench_utils.print_table(rows, ["truncation", "swd", "ms_ssim", "ms_ssim_real", "copies"])
    if args.picture:
        print(draw(experiment, thresholds, Path(args.picture)))
    bench_utils.write_json(args.out, {"model_dir": args.model_dir, "rows": rows})


if __name__ == "__main__":
    main()
