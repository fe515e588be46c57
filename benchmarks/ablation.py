"""Which tricks help? Equal-CPU-time ablation on Fashion-MNIST (28 px), EmojiOne flags and
Pokemon sprites (64 px).

Each arm trains in its own subprocess for the same CPU time (``--cpu_seconds``, all threads
counted), for each seed; then ``--num_samples`` samples (EMA generator when the arm has one)
are scored against real images with metrics that need no download:

* ``swd``: sliced Wasserstein distance ×1e3 (Karras et al. 2018) — lower is better;
* ``cfid``: Fréchet distance in the features of a classifier trained on Fashion-MNIST's
  labels (TF-GAN's MNIST practice) — lower is better (Fashion-MNIST only);
* ``modes``: classes covered by the samples (of 10) per that classifier;
* ``ms_ssim``: mean MS-SSIM of random sample pairs (real images: in brackets) — far above
  the real value means collapse;
* ``copy``: fraction of samples whose nearest training image is closer than 0.25 × the
  typical train-to-train nearest distance (likely copies).

The arm ``real`` scores real images as if they were samples (Fashion-MNIST's test split;
the training images themselves for the small sets): each metric's floor at this sample
size. With it the table also gives the gain in SWD above that floor.

    python benchmarks/ablation.py --datasets=fashion --cpu_seconds=200 --seeds=0,1 \
        --arms=baseline,w32+lr5e-4,real --out=/tmp/fashion.md
    python benchmarks/ablation.py --datasets=pokemon --pokemon_dir=SPRITES ...
    python benchmarks/ablation.py --datasets=flags --seeds=0 --side_by_side=baseline,w32
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

# Width 16 (4x4: 256 channels ... 64 px: 32) and batch 16 (the paper's 8-16): at width 32
# and batch 64 one FastGAN step costs ~9 CPU-s here, 18x the half-width DCGAN's.
FASTGAN = [
    "--network=fastgan",
    "--width=16",
    "--batch_size=16",
    "--loss=hinge",
    "--augment=diffaugment",
    "--ema_decay=0.999",
]
# FastGAN with D's reconstruction loss and the paper's DiffAugment policy (its train.py:
# color + translation, no cutout): the flags default, and the base of the flags lever arms.
FASTGAN_CT = [*FASTGAN, "--recon_weight=1", "--augment_policy=color,translation"]
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
    "w32+lr5e-4+b64": ["--width=32", "--g_lr=5e-4", "--d_lr=5e-4", "--batch_size=64"],
    "w16+lr5e-4": ["--width=16", "--g_lr=5e-4", "--d_lr=5e-4"],
    "w32+lr1e-3": ["--width=32", "--g_lr=1e-3", "--d_lr=1e-3"],
    "w32+lr5e-4+ema0.99": ["--width=32", "--g_lr=5e-4", "--d_lr=5e-4", "--ema_decay=0.99"],
    "w32+lr5e-4+lsgan": ["--width=32", "--g_lr=5e-4", "--d_lr=5e-4", "--loss=lsgan"],
    # Tricks on top of the small-set recommendation (half width + DiffAugment + EMA).
    "w32+diffaug+ema+r1": [
        "--width=32",
        "--augment=diffaugment",
        "--ema_decay=0.999",
        "--r1_weight=1",
    ],
    "w32+diffaug+ema+sn+hinge": [
        "--width=32",
        "--augment=diffaugment",
        "--ema_decay=0.999",
        "--spectral_norm",
        "--loss=hinge",
    ],
    "w32+diffaug+ema+wgan_gp": [
        "--width=32",
        "--augment=diffaugment",
        "--ema_decay=0.999",
        "--loss=wgan_gp",
        "--d_norm=layer",
    ],
    # Train-step variants on the recommended settings (issue 13): today's scheduled step
    # (two G forwards), and the TF tutorial's simultaneous update; the default is
    # "alternating" (D then G, one G forward).
    "w32+diffaug+ema+scheduled": [
        "--width=32",
        "--augment=diffaugment",
        "--ema_decay=0.999",
        "--step=scheduled",
    ],
    "w32+diffaug+ema+simultaneous": [
        "--width=32",
        "--augment=diffaugment",
        "--ema_decay=0.999",
        "--step=simultaneous",
    ],
    "w32+lr5e-4+scheduled": ["--width=32", "--g_lr=5e-4", "--d_lr=5e-4", "--step=scheduled"],
    "w32+lr5e-4+simultaneous": [
        "--width=32",
        "--g_lr=5e-4",
        "--d_lr=5e-4",
        "--step=simultaneous",
    ],
    # Few-shot networks (issue 12): resize-conv DCGAN, and FastGAN (Liu et al. 2021) with
    # hinge loss, DiffAugment and EMA, with and without D's reconstruction loss.
    "w32+diffaug+ema+nearest": [
        "--width=32",
        "--augment=diffaugment",
        "--ema_decay=0.999",
        "--upsample=nearest",
    ],
    "fastgan": [*FASTGAN, "--recon_weight=1"],
    "fastgan-norecon": [*FASTGAN, "--recon_weight=0"],
    # FastGAN with the TF tutorial's step instead of its own D-then-G loop (issue 13).
    "fastgan+simultaneous": [*FASTGAN, "--recon_weight=1", "--step=simultaneous"],
    # FastGAN at the paper's batch of 8: ~1.9x the G steps of batch 16 per CPU-s here.
    "fastgan-b8": [*FASTGAN, "--recon_weight=1", "--batch_size=8"],
    # FastGAN with the paper's DiffAugment policy (its train.py: color + translation, no
    # cutout); the suite's default policy adds cutout.
    "fastgan-ct": FASTGAN_CT,
    # The same at higher Adam learning rates than the paper's 2e-4 (a CPU budget buys ~2k
    # steps, the paper trains 50k+).
    "fastgan-ct-lr5e-4": [*FASTGAN_CT, "--g_lr=5e-4", "--d_lr=5e-4"],
    "fastgan-ct-lr1e-3": [*FASTGAN_CT, "--g_lr=1e-3", "--d_lr=1e-3"],
    # ... with G spectral-normed too, as the reference code's generator.
    "fastgan-ct-gsn": [*FASTGAN_CT, "--g_spectral_norm"],
    # ... with the paper's 256-d noise instead of the suite's 100.
    "fastgan-ct-z256": [*FASTGAN_CT, "--noise_dim=256"],
    # ... at width 24 (1.5x the channels, ~2.25x the conv cost per step).
    "fastgan-ct-w24": [*FASTGAN_CT, "--width=24"],
    # ... with the two time-scale update rule's D at 4x G's learning rate (Heusel et al.
    # 2017; SAGAN's 4e-4 / 1e-4).
    "fastgan-ct-ttur": [*FASTGAN_CT, "--g_lr=1e-4", "--d_lr=4e-4"],
    # ... in mixed bfloat16 (a cheaper step on CPUs with AMX / AVX512-BF16).
    "fastgan-ct-bf16": [*FASTGAN_CT, "--precision=mixed_bfloat16"],
    # ... with D's logit from the global average of its 8x8 map (--d_head=pool).
    "fastgan-ct-pool": [*FASTGAN_CT, "--d_head=pool"],
}
# Every arm starts from the plain DCGAN: the dataset's own recommended defaults (the small
# sets turn on FastGAN at width 16 / batch 16 with hinge, DiffAugment + EMA; mnist half
# width) are switched off first, then the arm's flags win.
PLAIN = [
    "--network=dcgan",
    "--loss=gan",
    "--augment=none",
    "--augment_policy=color,translation,cutout",
    "--ema_decay=0",
    "--width=64",
    "--recon_weight=0",
]
# The batch each small set's plain DCGAN trains with (its DatasetSpec's batch size).
PLAIN_BATCH = {"flags": ["--batch_size=32"], "pokemon": ["--batch_size=64"]}
DATASETS = {
    "fashion": ["gans/mnist/mnist_gan.py", "--variant=fashion", f"--source_dir={FASHION}"],
    "flags": ["gans/flags/flags_gan.py"],
    # --pokemon_dir: sprites flattened to 64 px (see docs/ablation.md for the commands).
    "pokemon": ["gans/pokemon/pokemon_gan.py"],
}

FLAGS = flags.FLAGS
flags.DEFINE_string("arms", ",".join(ARMS), "Arms to run.")
flags.DEFINE_string("datasets", "fashion,flags", "Datasets to run.")
flags.DEFINE_string("seeds", "0,1", "Seeds.")
flags.DEFINE_float("cpu_seconds", 240, "CPU seconds of training per run.")
flags.DEFINE_list(
    "cpu_stages",
    [],
    "Score each run after these cumulative CPU seconds (e.g. 600,1200,2400): the run "
    "resumes from its checkpoint between stages. Default: one stage of --cpu_seconds.",
)
flags.DEFINE_string("plot", "", "PNG of SWD against CPU seconds per dataset/arm (stages).")
flags.DEFINE_list("train_flags", [], "More flags for every run: --train_flags=--image_size=32.")
flags.DEFINE_string("pokemon_dir", "", "Pokemon images (the pokemon dataset's --source_dir).")
flags.DEFINE_string("work_dir", "/tmp/gan_ablation", "Where runs and data go.")
flags.DEFINE_integer("num_samples", 1000, "Generated images scored per run.")
flags.DEFINE_string("out", "", "Markdown table output (also prints it).")
flags.DEFINE_string("score", "", "Internal: score this model dir and print JSON.")
flags.DEFINE_list(
    "side_by_side", [], "Only draw these arms' samples (first seed) side by side: a,b."
)
flags.DEFINE_string("score_real", "", "Internal: score real images in this model dir's data.")


def model_dir_of(dataset: str, arm: str, seed: int, work: Path) -> Path:
    return work / "models" / dataset / f"{arm}_s{seed}"


def stages() -> list[float]:
    """Cumulative CPU budgets at which every run is scored, ascending."""
    return sorted(float(x) for x in FLAGS.cpu_stages) or [FLAGS.cpu_seconds]


def train(dataset: str, arm: str, seed: int, work: Path, budget: float) -> Path:
    """Trains a run up to ``budget`` cumulative CPU seconds (resuming an earlier stage)."""
    model_dir = model_dir_of(dataset, arm, seed, work)
    if (model_dir / f"done_{budget:.0f}").exists():
        return model_dir
    done = [b for b in stages() if b < budget and (model_dir / f"done_{b:.0f}").exists()]
    spent = max(done, default=0.0)
    source = [f"--source_dir={FLAGS.pokemon_dir}"] if dataset == "pokemon" else []
    cmd = [
        sys.executable,
        str(REPO / DATASETS[dataset][0]),
        *DATASETS[dataset][1:],
        *source,
        *PLAIN,
        *PLAIN_BATCH.get(dataset, []),
        *ARMS[arm],
        *FLAGS.train_flags,
        f"--seed={seed}",
        "--epochs=100000",
        f"--cpu_budget_s={budget - spent}",
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
    (model_dir / f"done_{budget:.0f}").write_text(f"{time.time() - start:.0f}")
    return model_dir


def trained_and_scored(dataset: str, arm: str, seed: int, work: Path) -> dict[float, dict]:
    """Every stage of one run, trained then scored in order: {budget: score}."""
    result = {}
    for budget in stages():
        model_dir = train(dataset, arm, seed, work, budget)
        cache = model_dir / f"score_{budget:.0f}.json"
        result[budget] = scored("--score", model_dir, cache, work)
    return result


def score(model_dir: str) -> dict:
    """Scores a trained model dir's generator."""
    from gans.core.metrics.evaluation import evaluate_experiment
    from gans.core.run.experiment import GANExperiment

    experiment = GANExperiment.from_model_dir(model_dir, strategy="one_device")
    return evaluate_experiment(experiment, num_samples=FLAGS.num_samples, seed=123)


def score_real(model_dir: str) -> dict:
    """What real images score, i.e. each metric's floor at these sample sizes.

    The ``--num_samples`` "samples" are Fashion-MNIST's held-out test images, or for the
    small sets (no held-out split) draws from the training images themselves: the score of
    a generator that reproduced the training set exactly (its copy fraction is then 1).
    Scored against the same references as the arms (``evaluate_experiment``).
    """
    import numpy as np

    from gans.core.metrics.evaluation import evaluate_experiment
    from gans.core.run.experiment import GANExperiment

    experiment = GANExperiment.from_model_dir(model_dir, strategy="one_device")
    rng = np.random.default_rng(123)
    if experiment.spec.num_classes:  # fashion, the one labelled set: its unseen test split
        from gans.mnist.mnist_convert import find_idx, read_idx

        test = read_idx(find_idx(FASHION, "t10k-images-idx3-ubyte"))[..., None]
        pool = test.astype(np.float32) / 127.5 - 1.0
        drawn = pool[rng.choice(len(pool), FLAGS.num_samples, replace=False)]
    else:
        real = experiment.real_sample(5000)
        drawn = real[rng.choice(len(real), FLAGS.num_samples, replace=True)]
    batches = iter(np.array_split(drawn, range(250, FLAGS.num_samples, 250)))
    result = evaluate_experiment(
        experiment,
        num_samples=FLAGS.num_samples,
        seed=123,
        samples_fn=lambda n: next(batches),
        save=False,
    )
    return {**result, "g_steps": 0}


def draw_side_by_side(dataset: str, arms: list[str], seed: int, work: Path) -> Path:
    """36 samples of each arm's trained seed, one grid per arm, side by side in one PNG."""
    import tempfile

    from PIL import Image

    from gans.core.report.image_grid import save_grid
    from gans.core.run.experiment import GANExperiment

    grids = []
    with tempfile.TemporaryDirectory() as tmp:
        for arm in arms:
            model_dir = model_dir_of(dataset, arm, seed, work)
            experiment = GANExperiment.from_model_dir(model_dir, strategy="one_device")
            images = experiment.generate(36, seed=7)
            steps = int(experiment.gan.g_optimizer.iterations.numpy())
            path = save_grid(images, Path(tmp) / f"{arm}.png", f"{arm} · {steps} G steps", 6)
            grids.append(Image.open(path).convert("RGB"))
        gap = 16
        canvas = Image.new(
            "RGB",
            (sum(g.width for g in grids) + gap * (len(grids) - 1), max(g.height for g in grids)),
            "white",
        )
        x = 0
        for grid in grids:
            canvas.paste(grid, (x, 0))
            x += grid.width + gap
    out = work / f"{dataset}_{'_vs_'.join(arms)}_s{seed}.png"
    canvas.save(out)
    return out


def scored(mode: str, model_dir: Path, cache: Path, work: Path) -> dict:
    """Scores in a subprocess (fresh TF, no leftover state), once: kept in ``cache``."""
    if cache.exists():  # scored by an earlier invocation
        return json.loads(cache.read_text())
    result = subprocess.run(
        [sys.executable, __file__, f"{mode}={model_dir}", f"--num_samples={FLAGS.num_samples}"],
        capture_output=True,
        text=True,
        cwd=work,
        env=dict(os.environ, CUDA_VISIBLE_DEVICES=""),
    )
    line = [x for x in result.stdout.splitlines() if x.startswith("SCORE ")]
    if not line:
        raise RuntimeError(f"scoring {model_dir} failed:\n{result.stderr[-3000:]}")
    cache.write_text(line[0][6:])
    return json.loads(line[0][6:])


def row(dataset: str, arm: str, scores: list[dict], budget: float = 0.0) -> dict:
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
        "cpu_s": f"{budget:.0f}" if budget else "–",
        "swd": stat("swd_mean"),
        "swd_seeds": "[" + ", ".join(f"{s['swd_mean']:.1f}" for s in scores) + "]",
        "ms_ssim_seeds": "["
        + ", ".join(f"{s['ms_ssim_fake']:.2f}" for s in scores if s.get("ms_ssim_fake") is not None)
        + "]",
        "cfid": stat("classifier_fid"),
        "modes": stat("mode_num_covered"),
        "ms_ssim": stat("ms_ssim_fake"),
        "ms_ssim_real": stat("ms_ssim_real"),
        "copy": stat("memorization_pixel_fraction_flagged"),
        "g_steps": stat("g_steps"),
        "_swd": float(np.mean([s["swd_mean"] for s in scores])),
    }


def main(argv: list[str]) -> None:
    if FLAGS.score or FLAGS.score_real:
        result = score(FLAGS.score) if FLAGS.score else score_real(FLAGS.score_real)
        print("SCORE " + json.dumps(result, default=float))
        return
    work = Path(FLAGS.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    if FLAGS.side_by_side:
        seed = int(FLAGS.seeds.split(",")[0])
        for dataset in FLAGS.datasets.split(","):
            print(draw_side_by_side(dataset, FLAGS.side_by_side, seed, work))
        return
    rows = []
    arms = FLAGS.arms.split(",")
    seeds = [int(seed) for seed in FLAGS.seeds.split(",")]
    curves: dict[str, dict[float, list[float]]] = {}
    for dataset in FLAGS.datasets.split(","):
        # Seed-major: one seed of every arm, then the next, so a drift in the machine's
        # speed (CPU-seconds are not equal work on a shared VM) hits the arms alike.
        runs = {
            (arm, seed): trained_and_scored(dataset, arm, seed, work)
            for seed in seeds
            for arm in arms
            if arm != "real"
        }
        for arm in arms:
            if arm == "real":
                trained = sorted((work / "models" / dataset).glob("*/done_*"))
                if not trained:
                    raise SystemExit(f"--arms=real needs a trained {dataset} arm")
                cache = work / "models" / dataset / "real_score.json"
                scores = [scored("--score_real", trained[0].parent, cache, work)]
                rows.append(row(dataset, arm, scores))
                print(json.dumps(rows[-1]), flush=True)
                continue
            for budget in stages():
                scores = [runs[arm, seed][budget] for seed in seeds]
                rows.append(row(dataset, arm, scores, budget))
                curves.setdefault(f"{dataset} {arm}", {})[budget] = [s["swd_mean"] for s in scores]
                print(json.dumps(rows[-1]), flush=True)
    if FLAGS.plot and len(stages()) > 1:
        plot_curves(curves, Path(FLAGS.plot))
    header = (
        "| dataset | arm | CPU-s | SWD ↓ [per seed] | classifier FID ↓ | classes covered "
        "| MS-SSIM (real) [per seed] | copies | G steps |"
    )
    lines = [header, "|" + "---|" * 9]
    for r in rows:
        same = [x for x in rows if x["dataset"] == r["dataset"]]
        base = [x for x in same if x["arm"] == "baseline" and x["cpu_s"] == r["cpu_s"]]
        real = [x for x in same if x["arm"] == "real"]
        gain = f"{base[0]['_swd'] / r['_swd']:.2f}× baseline" if base and r["_swd"] else "–"
        if base and real and r["arm"] not in ("baseline", "real"):
            floor = real[0]["_swd"]  # the gain in SWD above what real images score
            gain += (
                f", {(base[0]['_swd'] - floor) / (r['_swd'] - floor):.2f}× above real"
                if r["_swd"] > floor
                else ", at or below real"
            )
        lines.append(
            f"| {r['dataset']} | {r['arm']} | {r['cpu_s']} | {r['swd']} {r['swd_seeds']} "
            f"({gain}) | {r['cfid']} | {r['modes']} | {r['ms_ssim']} {r['ms_ssim_seeds']} "
            f"({r['ms_ssim_real']}) | {r['copy']} | {r['g_steps']} |"
        )
    table = "\n".join(lines)
    print(table)
    if FLAGS.out:
        budgets = ", ".join(f"{b:.0f}" for b in stages())
        Path(FLAGS.out).write_text(
            f"CPU seconds per run (cumulative stages): {budgets}; seeds: {FLAGS.seeds}\n\n{table}\n"
        )


def plot_curves(curves: dict[str, dict[float, list[float]]], out: Path) -> None:
    """SWD (mean over seeds) against cumulative CPU seconds, one line per dataset/arm."""
    import numpy as np

    from gans.core.report.run_report import plot_lines

    budgets = stages()
    series = {
        name: [float(np.mean(points[b])) if b in points else float("nan") for b in budgets]
        for name, points in curves.items()
    }
    plot_lines(
        budgets,
        series,
        out,
        title="SWD x 1000 (mean over seeds) against training CPU seconds",
        x_label="CPU seconds",
        y_label="SWD x 1000",
    )
    print(out)


if __name__ == "__main__":
    app.run(main)
