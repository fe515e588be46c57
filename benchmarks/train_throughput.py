"""Training throughput: the entry-script path versus the TensorFlow DCGAN tutorial's loop.

Suite arm (the entry-script path): synthetic TFRecords in a temp folder →
``GANExperiment(spec, TrainConfig).train()`` (provider → ``GAN.fit`` with the progress line,
Throughput, EpochImages, EpochCheckpoint, CSV and TensorBoard callbacks exactly as the
experiment builds them for ``python gans/<name>/<name>_gan.py``), with the default step.
Epoch 1 is warm-up (tracing, decoding into the cache); epochs 2..N are timed. Two timers
are slipped around the experiment's own callbacks (by wrapping ``gan.fit``), so each epoch
splits into *step time* (batches, what the Throughput callback measures) and *epoch-end
time* (sample grid, checkpoint, TensorBoard).

Plain arm: the loop a user would write instead, structured as the TensorFlow DCGAN tutorial
(tensorflow.org/tutorials/generative/dcgan): ``from_tensor_slices(images).shuffle().batch()``
in memory, one ``@tf.function`` step that draws the noise, runs G once and D on reals and
fakes under two gradient tapes, ``BinaryCrossentropy(from_logits=True)`` losses, and applies
both Adam(1e-4 as in the tutorial → here 2e-4, β1 = 0.5, as the suite) updates; no strategy,
no callbacks. Same Radford networks as the suite (``build_networks("dcgan", ...)``, width
64, transposed convs), built outside any strategy as a user would.

Arms are interleaved inside one run: after every suite epoch (warm-up included) the plain
arm runs one chunk of the same number of batches, outside the epoch's timers; each timed
epoch's ratio uses the plain chunks just before and after it, and the printed ratio is the
median over epochs (and ``--repeats`` fresh suite runs).

    python benchmarks/train_throughput.py --out /tmp/train.json
    python benchmarks/train_throughput.py --configs mnist28 --precisions bf16 --xla
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
import traceback
from pathlib import Path

import bench_utils
import keras
import numpy as np
import tensorflow as tf

from gans.core.data.dataset_spec import DatasetSpec
from gans.core.model.networks import NetworkOptions, build_networks
from gans.core.run.config import TrainConfig
from gans.core.run.experiment import GANExperiment
from gans.mnist.mnist_dataset import mnist_spec

CONFIGS = {  # steps: default batches per epoch (keeps the default run near 4 minutes here)
    "mnist28": {"size": 28, "channels": 1, "batch": 256, "steps": 5},
    "dcgan64": {"size": 64, "channels": 3, "batch": 64, "steps": 2},
}
POLICIES = {"fp32": "float32", "bf16": "mixed_bfloat16"}
NOISE_DIM = 100


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    p.add_argument("--precisions", nargs="+", default=list(POLICIES), choices=list(POLICIES))
    p.add_argument(
        "--steps", type=int, default=0, help="batches per epoch / plain chunk (0: per config)"
    )
    p.add_argument("--epochs", type=int, default=3, help="timed epochs after the warm-up one")
    p.add_argument("--repeats", type=int, default=1, help="fresh suite runs per cell")
    p.add_argument("--xla", action="store_true", help="also time the plain loop with XLA")
    p.add_argument("--step", default="auto", help="the suite's --step (auto = its default)")
    p.add_argument(
        "--steps_per_execution", type=int, default=1, help="the suite's --steps_per_execution"
    )
    p.add_argument("--out", default=None, help="write the results as JSON here")
    return p.parse_args()


def steps_for(config: str, args) -> int:
    """Batches per suite epoch / plain chunk: ``--steps`` or the config's default."""
    return args.steps or CONFIGS[config]["steps"]


# --- suite arm ------------------------------------------------------------------------------
class _Marks(keras.callbacks.Callback):
    """Records ``time.perf_counter()`` at epoch begin / end; then calls ``after(epoch)``."""

    def __init__(self, after=None) -> None:
        super().__init__()
        self.after = after
        self.begin: dict[int, float] = {}
        self.end: dict[int, float] = {}

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        self.begin[epoch] = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        self.end[epoch] = time.perf_counter()
        if self.after is not None:
            self.after(epoch)


def make_spec(config: str, data_images: int) -> DatasetSpec:
    """The dataset spec of ``config`` whose converter writes synthetic images."""
    cfg = CONFIGS[config]

    def convert(source_dir, out_dir, options) -> dict:
        del source_dir, options
        return bench_utils.write_synthetic_tfrecords(
            out_dir, data_images, cfg["size"], cfg["channels"], name=config
        )

    if config == "mnist28":  # the real MNIST declaration, synthetic data
        return dataclasses.replace(mnist_spec(), convert=convert)
    return DatasetSpec(
        name=config, image_size=cfg["size"], channels=cfg["channels"], convert=convert
    )


def run_suite(config: str, policy: str, workdir: Path, tag: str, args, between=None) -> dict:
    """One fresh ``GANExperiment.train()``: warm-up epoch + ``args.epochs`` timed epochs.

    ``between(epoch)`` runs after each epoch's timers stopped (the plain arms' chunks).
    """
    cfg = CONFIGS[config]
    spec = make_spec(config, data_images=cfg["batch"] * steps_for(config, args))
    train_config = TrainConfig(
        dataset=spec.name,
        epochs=1 + args.epochs,
        batch_size=cfg["batch"],
        steps_per_epoch=steps_for(config, args),
        data_dir=str(workdir / f"data_{config}"),
        gen_dir=str(workdir / "gen"),
        model_dir=str(workdir / f"model_{tag}"),
        run_name=tag,
        verbose=2,  # the entry script's choice when stdout is not a terminal
        step=args.step,
    )
    if args.steps_per_execution != 1:
        train_config = train_config.replace(steps_per_execution=args.steps_per_execution)
    if "precision" in {f.name for f in dataclasses.fields(TrainConfig)}:
        # The engine's own switch: GANExperiment sets this policy while it builds (and
        # would otherwise reset the global policy below to its float32 default).
        train_config = train_config.replace(precision=policy)
    keras.mixed_precision.set_global_policy(policy)  # for engines without the field
    try:
        t0 = time.perf_counter()
        experiment = GANExperiment(spec, train_config)
        build_s = time.perf_counter() - t0
        first, last = _Marks(), _Marks(after=between)
        history: dict = {}
        original_fit = experiment.gan.fit

        def fit(*a, callbacks=(), **kw):
            h = original_fit(*a, callbacks=[first, *callbacks, last], **kw)
            history.update(h.history)
            return h

        experiment.gan.fit = fit
        experiment.train()
    finally:
        keras.mixed_precision.set_global_policy("float32")
    images = cfg["batch"] * steps_for(config, args)
    timed = range(1, 1 + args.epochs)
    step_s = [first.end[e] - first.begin[e] for e in timed]
    epoch_end_s = [last.end[e] - first.end[e] for e in timed]
    return {
        "build_s": build_s,
        "warmup_epoch_s": last.end[0] - first.begin[0],
        "epoch_img_s": [images / s for s in step_s],
        "img_s": bench_utils.median([images / s for s in step_s]),
        "e2e_img_s": images * len(step_s) / (sum(step_s) + sum(epoch_end_s)),
        "epoch_end_s": bench_utils.median(epoch_end_s),
        "throughput_cb_img_s": float(history.get("img/s", [float("nan")])[-1]),
        "d_loss": float(history.get("d_loss", [float("nan")])[-1]),
    }


# --- plain arm ------------------------------------------------------------------------------
class PlainLoop:
    """The TensorFlow DCGAN tutorial's training loop on the suite's DCGAN networks."""

    def __init__(self, config: str, policy: str, jit: bool, seed: int = 0) -> None:
        cfg = CONFIGS[config]
        self.batch = cfg["batch"]
        keras.mixed_precision.set_global_policy(policy)
        try:
            keras.utils.set_random_seed(seed)
            self.generator, self.discriminator = build_networks(
                "dcgan", cfg["size"], cfg["channels"], NOISE_DIM, NetworkOptions()
            )
            self.generator_optimizer = keras.optimizers.Adam(2e-4, beta_1=0.5)
            self.discriminator_optimizer = keras.optimizers.Adam(2e-4, beta_1=0.5)
        finally:
            keras.mixed_precision.set_global_policy("float32")
        self.cross_entropy = keras.losses.BinaryCrossentropy(from_logits=True)
        rng = np.random.default_rng(seed)
        shape = (self.batch * 8, cfg["size"], cfg["size"], cfg["channels"])
        train_images = rng.uniform(-1, 1, shape).astype(np.float32)
        dataset = tf.data.Dataset.from_tensor_slices(train_images).shuffle(len(train_images))
        self.dataset = iter(dataset.batch(self.batch, drop_remainder=True).repeat())
        self.step = tf.function(self.train_step, jit_compile=jit)

    def discriminator_loss(self, real_output, fake_output):
        real_loss = self.cross_entropy(tf.ones_like(real_output), real_output)
        fake_loss = self.cross_entropy(tf.zeros_like(fake_output), fake_output)
        return real_loss + fake_loss

    def generator_loss(self, fake_output):
        return self.cross_entropy(tf.ones_like(fake_output), fake_output)

    def train_step(self, images: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        noise = tf.random.normal([self.batch, NOISE_DIM])
        with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
            generated_images = self.generator(noise, training=True)
            real_output = self.discriminator(images, training=True)
            fake_output = self.discriminator(generated_images, training=True)
            gen_loss = self.generator_loss(fake_output)
            disc_loss = self.discriminator_loss(real_output, fake_output)
        g_vars = self.generator.trainable_variables
        d_vars = self.discriminator.trainable_variables
        gradients_of_generator = gen_tape.gradient(gen_loss, g_vars)
        gradients_of_discriminator = disc_tape.gradient(disc_loss, d_vars)
        self.generator_optimizer.apply_gradients(zip(gradients_of_generator, g_vars, strict=True))
        self.discriminator_optimizer.apply_gradients(
            zip(gradients_of_discriminator, d_vars, strict=True)
        )
        return gen_loss, disc_loss

    def run(self, steps: int) -> float:
        """Seconds for ``steps`` batches of ``for image_batch in dataset: train_step(...)``."""
        t0 = time.perf_counter()
        out = None
        for _ in range(steps):
            out = self.step(next(self.dataset))
        float(out[0])
        return time.perf_counter() - t0


def error_text(err: BaseException) -> str:
    """The exception's type and first lines, plus where it was raised."""
    frames = traceback.extract_tb(err.__traceback__)
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    text = " ".join(str(err).split())[:400]
    return f"{type(err).__name__}{where}: {text}"


def bench_cell(config: str, precision: str, workdir: Path, args) -> dict:
    """Suite epochs interleaved with plain (and plain+XLA) chunks for one config/precision.

    After every suite epoch (including the warm-up one) each plain arm runs one chunk of
    ``--steps`` updates, inside the run, after the epoch's timers have stopped. The ratio of
    timed epoch *e* divides its rate by the mean plain rate of the chunks just before and
    just after it, so slow drifts of a shared machine cancel.
    """
    policy = POLICIES[precision]
    cfg = CONFIGS[config]
    row: dict = {"config": config, "precision": precision, "batch": cfg["batch"]}
    arms: dict[str, PlainLoop] = {}
    for arm, jit in [("plain", False), ("plain_xla", True)][: 2 if args.xla else 1]:
        try:
            arms[arm] = PlainLoop(config, policy, jit=jit)
            row[f"{arm}_warmup_s"] = arms[arm].run(2)  # trace (and compile) + one step
        except Exception as err:
            row[f"{arm}_error"] = error_text(err)
            print(f"[{config} {precision}] {arm} failed: {row[f'{arm}_error']}")
    steps = steps_for(config, args)
    row["steps"] = steps
    suite_runs: list[dict] = []
    plain_rates: dict[str, list[float]] = {arm: [] for arm in arms}
    ratios: dict[str, list[float]] = {arm: [] for arm in arms}
    for rep in range(args.repeats):
        chunks: dict[str, list[float]] = {arm: [] for arm in arms}

        def between(epoch: int, chunks=chunks) -> None:
            for arm, loop in arms.items():
                chunks[arm].append(steps * loop.batch / loop.run(steps))

        try:
            res = run_suite(config, policy, workdir, f"{config}_{precision}_{rep}", args, between)
        except Exception as err:  # report, do not hide (e.g. a bf16 failure)
            row["suite_error"] = error_text(err)
            print(f"[{config} {precision}] suite failed: {row['suite_error']}")
            between(-1)  # still time the plain arms
            for arm in arms:
                plain_rates[arm] += chunks[arm]
            break
        suite_runs.append(res)
        for arm in arms:
            plain_rates[arm] += chunks[arm][1:]
            for e, rate in enumerate(res["epoch_img_s"], start=1):
                ratios[arm].append(rate / ((chunks[arm][e - 1] + chunks[arm][e]) / 2))
        print(
            f"[{config} {precision}] repeat {rep + 1}: suite epochs "
            + " ".join(f"{r:.0f}" for r in res["epoch_img_s"])
            + "".join(f"; {arm} " + " ".join(f"{r:.0f}" for r in chunks[arm][1:]) for arm in arms)
            + " img/s"
        )
    for key in (
        "img_s",
        "e2e_img_s",
        "epoch_end_s",
        "throughput_cb_img_s",
        "build_s",
        "warmup_epoch_s",
        "d_loss",
    ):
        row[f"suite_{key}"] = bench_utils.median([r[key] for r in suite_runs])
    for arm in arms:
        row[f"{arm}_img_s"] = bench_utils.median(plain_rates[arm])
    row["suite/plain"] = bench_utils.median(ratios.get("plain", []))
    if "plain_xla" in arms:
        row["xla/plain"] = row["plain_xla_img_s"] / row["plain_img_s"]
        row["suite/plain_xla"] = bench_utils.median(ratios["plain_xla"])
    row["suite_runs"], row["plain_chunks"] = suite_runs, plain_rates
    return row


def main() -> None:
    args = parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="gans_bench_train_") as tmp:
        for config in args.configs:
            for precision in args.precisions:
                rows.append(bench_cell(config, precision, Path(tmp), args))
    print()
    print(
        f"CPU: {bench_utils.cpu_summary()}; suite --step={args.step} "
        f"--steps_per_execution={args.steps_per_execution}"
    )
    print(
        f"timed epochs {args.epochs}, repeats {args.repeats} "
        "(img/s medians; suite = step time only, e2e adds epoch-end callbacks)"
    )
    columns = [
        "config",
        "precision",
        "batch",
        "steps",
        "suite_img_s",
        "plain_img_s",
        "suite/plain",
        "suite_e2e_img_s",
        "suite_epoch_end_s",
        "suite_throughput_cb_img_s",
    ]
    if args.xla:
        columns += ["plain_xla_img_s", "xla/plain"]
    bench_utils.print_table(rows, columns)
    for row in rows:
        for key in [k for k in row if k.endswith("error") and row[k]]:
            print(f"{row['config']} {row['precision']} {key}: {row[key]}")
    bench_utils.write_json(
        args.out, {"benchmark": "train_throughput", "args": vars(args), "results": rows}
    )


if __name__ == "__main__":
    main()
