"""Which tricks help? Equal-CPU-time ablation on Fashion-MNIST (28 px) and EmojiOne flags (64 px).

Each arm trains in its own subprocess for the same CPU time (``--cpu_seconds``, all threads
counted), for each seed; then 1000 samples (EMA generator when the arm has one) are scored
against real images with metrics that need no download:

* ``swd``: sliced Wasserstein distance ×1e3 (Karras et al. 2018) — lower is better;
* ``cfid``: Fréchet distance in the features of a classifier trained on Fashion-MNIST's
  labels (TF-GAN's MNIST practice) — lower is better (Fashion-MNIST only);
* ``modes``: classes covered by the samples (of 10) per that classifier;
* ``ms_ssim``: mean MS-SSIM of random sample pairs (real images: see the "real" row) —
  far above the real value means collapse;
* ``copy``: fraction of samples whose nearest training image is closer than 0.25 × the
  typical train-to-train nearest distance (likely copies).

    python benchmarks/ablation.py --cpu_seconds=240 --seeds=0,1 --out=docs/ablation.md
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from absl import app, flags

REPO = Path(__file__).resolve().parents[1]
FASHION = "/usr/share/datasets/fashion-mnist"

ARMS = {
    # The DCGAN everyone starts from: non-saturating loss, Adam 2e-4 / 0.5, nothing else.
    "baseline": [],
    "smooth0.1": ["--label_smoothing=0.1"],
    "ema": ["--ema_decay=0.999"],
    "diffaug": ["--augment=diffaugment"],
    "diffaug+ema": ["--augment=diffaugment", "--ema_decay=0.999"],
    "sn+hinge+diffaug+ema": [
        "--spectral_norm",
        "--loss=hinge",
        "--augment=diffaugment",
        "--ema_decay=0.999",
    ],
    "wgan_gp": ["--loss=wgan_gp", "--d_norm=layer"],
    # Half-width nets (32 filters at the widest layer): ~3x the steps in the same CPU time.
    "w32": ["--width=32"],
    "w16": ["--width=16"],
    "w16+b64": ["--width=16", "--batch_size=64"],
    "w32+lr5e-4": ["--width=32", "--g_lr=5e-4", "--d_lr=5e-4"],
    "w32+ema": ["--width=32", "--ema_decay=0.999"],
    "w32+diffaug+ema": ["--width=32", "--augment=diffaugment", "--ema_decay=0.999"],
    "wgan_gp+ema": ["--loss=wgan_gp", "--d_norm=layer", "--ema_decay=0.999"],
}
# Every arm starts from the plain DCGAN: the dataset's own recommended defaults (the flags
# package turns on DiffAugment + EMA and half width, mnist half width) are switched off
# first, then the arm's flags win.
PLAIN = ["--augment=none", "--ema_decay=0", "--width=64"]
DATASETS = {
    "fashion": ["gans/mnist/mnist_gan.py", "--variant=fashion", f"--source_dir={FASHION}"],
    "flags": ["gans/flags/flags_gan.py"],
}

FLAGS = flags.FLAGS
flags.DEFINE_string("arms", ",".join(ARMS), "Arms to run.")
flags.DEFINE_string("datasets", "fashion,flags", "Datasets to run.")
flags.DEFINE_string("seeds", "0,1", "Seeds.")
flags.DEFINE_float("cpu_seconds", 240, "CPU seconds of training per run.")
flags.DEFINE_string("work_dir", "/tmp/gan_ablation", "Where runs and data go.")
flags.DEFINE_string("out", "", "Markdown table output (also prints it).")
flags.DEFINE_string("score", "", "Internal: score this model dir and print JSON.")


def train(dataset: str, arm: str, seed: int, work: Path) -> Path:
    model_dir = work / "models" / dataset / f"{arm}_s{seed}"
    if (model_dir / "done").exists():
        return model_dir
    cmd = [
        sys.executable,
        str(REPO / DATASETS[dataset][0]),
        *DATASETS[dataset][1:],
        *PLAIN,
        *ARMS[arm],
        f"--seed={seed}",
        "--epochs=100000",
        f"--cpu_budget_s={FLAGS.cpu_seconds}",
        f"--data_dir={work / 'data' / dataset}",
        f"--model_dir={model_dir}",
        f"--gen_dir={work / 'gen' / dataset}",
        f"--run_name={arm}_s{seed}",
        "--eval_every=0",
        "--checkpoint_every=25",
        "--verbose=0",
    ]
    start = time.time()
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=work)
    if result.returncode != 0:
        raise RuntimeError(f"{dataset}/{arm}/{seed} failed:\n{result.stderr[-3000:]}")
    (model_dir / "done").write_text(f"{time.time() - start:.0f}")
    return model_dir


def score(model_dir: str) -> dict:
    """Scores a trained model dir (runs in a subprocess: fresh TF, no leftover state)."""
    from gans.core.evaluation import evaluate_experiment
    from gans.core.experiment import GANExperiment

    experiment = GANExperiment.from_model_dir(model_dir, strategy="one_device")
    return evaluate_experiment(experiment, num_samples=1000, seed=123)


def row(dataset: str, arm: str, scores: list[dict]) -> dict:
    import numpy as np

    def stat(key: str) -> str:
        values = [s[key] for s in scores if s.get(key) is not None]
        if not values:
            return "–"
        return (
            f"{np.mean(values):.3g} ± {np.std(values):.2g}"
            if len(values) > 1
            else f"{values[0]:.3g}"
        )

    return {
        "dataset": dataset,
        "arm": arm,
        "swd": stat("swd_mean"),
        "cfid": stat("classifier_fid"),
        "modes": stat("mode_num_covered"),
        "ms_ssim": stat("ms_ssim_fake"),
        "ms_ssim_real": stat("ms_ssim_real"),
        "copy": stat("memorization_pixel_fraction_flagged"),
        "g_steps": stat("g_steps"),
        "_swd": float(np.mean([s["swd_mean"] for s in scores])),
    }


def main(argv: list[str]) -> None:
    if FLAGS.score:
        print("SCORE " + json.dumps(score(FLAGS.score), default=float))
        return
    work = Path(FLAGS.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    for dataset in FLAGS.datasets.split(","):
        for arm in FLAGS.arms.split(","):
            scores = []
            for seed in (int(s) for s in FLAGS.seeds.split(",")):
                model_dir = train(dataset, arm, seed, work)
                if (model_dir / "score.json").exists():  # scored by an earlier invocation
                    scores.append(json.loads((model_dir / "score.json").read_text()))
                    continue
                result = subprocess.run(
                    [sys.executable, __file__, f"--score={model_dir}"],
                    capture_output=True,
                    text=True,
                    cwd=work,
                    env=dict(os.environ, CUDA_VISIBLE_DEVICES=""),
                )
                line = [x for x in result.stdout.splitlines() if x.startswith("SCORE ")]
                if not line:
                    raise RuntimeError(f"scoring {model_dir} failed:\n{result.stderr[-3000:]}")
                scores.append(json.loads(line[0][6:]))
                (model_dir / "score.json").write_text(line[0][6:])
            rows.append(row(dataset, arm, scores))
            print(json.dumps(rows[-1]), flush=True)
    header = (
        "| dataset | arm | SWD ↓ | classifier FID ↓ | classes covered | MS-SSIM (real) "
        "| copies | G steps |"
    )
    lines = [header, "|" + "---|" * 8]
    for r in rows:
        base = [x for x in rows if x["dataset"] == r["dataset"] and x["arm"] == "baseline"]
        gain = f"{base[0]['_swd'] / r['_swd']:.2f}× baseline" if base and r["_swd"] else "–"
        lines.append(
            f"| {r['dataset']} | {r['arm']} | {r['swd']} ({gain}) | {r['cfid']} | "
            f"{r['modes']} | {r['ms_ssim']} ({r['ms_ssim_real']}) | {r['copy']} | {r['g_steps']} |"
        )
    table = "\n".join(lines)
    print(table)
    if FLAGS.out:
        Path(FLAGS.out).write_text(
            f"CPU seconds per run: {FLAGS.cpu_seconds:.0f}; seeds: {FLAGS.seeds}\n\n{table}\n"
        )


if __name__ == "__main__":
    app.run(main)
