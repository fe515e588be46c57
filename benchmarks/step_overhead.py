"""Where the entry-script path spends time beyond the step itself (issue 13's profile).

Four arms, interleaved chunk by chunk in one process on the same synthetic TFRecords:

* ``plain``: the TensorFlow DCGAN tutorial's loop (``train_throughput.PlainLoop``);
* ``direct``: the suite's compiled train function (``GAN.make_train_function``) called in a
  Python loop on the provider's distributed dataset: the step, the pipeline and the
  strategy, no ``fit``;
* ``fit``: ``GAN.fit`` on the same dataset with no callbacks (adds Keras's loop);
* ``fit_cb``: ``GAN.fit`` with the per-batch callbacks the entry script installs
  (Throughput, CpuBudget, DivergenceGuard, AsyncProgbar).

``direct/plain`` is the step's own cost against the tutorial's; ``fit/direct`` and
``fit_cb/fit`` are what Keras's loop and the callbacks add. Each arm's rate is the median
over ``--repeats`` chunks of ``--steps`` batches.

    python benchmarks/step_overhead.py --config dcgan64 --step alternating simultaneous
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import bench_utils
import keras
import train_throughput as tt

from gans.core.run.callbacks import AsyncProgbar, CpuBudget, DivergenceGuard, Throughput
from gans.core.run.config import TrainConfig
from gans.core.run.experiment import GANExperiment


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", default="dcgan64", choices=list(tt.CONFIGS))
    p.add_argument("--step", nargs="+", default=["alternating", "simultaneous"])
    p.add_argument("--steps", type=int, default=6, help="batches per chunk")
    p.add_argument("--repeats", type=int, default=4, help="chunks per arm")
    return p.parse_args()


class _EpochRate(keras.callbacks.Callback):
    """Images per second of the last epoch (epoch begin → end)."""

    def __init__(self, images: int) -> None:
        super().__init__()
        self.images = images
        self.rate = float("nan")

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        self._t = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        self.rate = self.images / (time.perf_counter() - self._t)


class SuiteArms:
    """The suite's experiment for one ``--step``, timed without and with ``fit``."""

    def __init__(self, config: str, step: str, steps: int, workdir: Path) -> None:
        cfg = tt.CONFIGS[config]
        self.batch, self.steps = cfg["batch"], steps
        spec = tt.make_spec(config, data_images=cfg["batch"] * steps)
        train_config = TrainConfig(
            dataset=spec.name,
            epochs=100_000,
            batch_size=cfg["batch"],
            steps_per_epoch=steps,
            data_dir=str(workdir / "data"),
            gen_dir=str(workdir / "gen"),
            model_dir=str(workdir / f"model_{step}"),
            run_name=step,
            verbose=0,
            step=step,
        )
        self.experiment = GANExperiment(spec, train_config)
        self.experiment.ensure_dataset()
        self.dataset, _ = self.experiment._input(0)
        self.gan = self.experiment.gan
        self.iterator = iter(self.experiment.strategy.experimental_distribute_dataset(self.dataset))
        self.fit([])  # trace fit's function (and the direct one below)
        self.direct()

    def direct(self) -> float:
        train_function = self.gan.make_train_function()
        t0 = time.perf_counter()
        logs = None
        for _ in range(self.steps):
            logs = train_function(self.iterator)
        float(logs["d_loss"])
        return self.steps * self.batch / (time.perf_counter() - t0)

    def fit(self, callbacks: list) -> float:
        timer = _EpochRate(self.steps * self.batch)
        self.gan.fit(
            self.dataset,
            epochs=1,
            steps_per_epoch=self.steps,
            callbacks=[*callbacks, timer],
            verbose=0,
            shuffle=False,
        )
        return timer.rate

    def entry_callbacks(self) -> list:
        e = self.experiment
        optimizers = [self.gan.g_optimizer, self.gan.d_optimizer]
        return [
            Throughput(self.batch),
            CpuBudget(1e9),
            DivergenceGuard(e.checkpoints.checkpoint, e.checkpoints.manager, optimizers, 3),
            AsyncProgbar(),
        ]


def main() -> None:
    args = parse_args()
    cfg = tt.CONFIGS[args.config]
    plain = tt.PlainLoop(args.config, "float32", jit=False)
    plain.run(2)
    rates: dict[str, list[float]] = {"plain": []}
    with tempfile.TemporaryDirectory(prefix="gans_step_overhead_") as tmp:
        suites = {s: SuiteArms(args.config, s, args.steps, Path(tmp) / s) for s in args.step}
        for rep in range(args.repeats):
            rates["plain"].append(args.steps * plain.batch / plain.run(args.steps))
            for step, suite in suites.items():
                for arm, rate in (
                    ("direct", suite.direct()),
                    ("fit", suite.fit([])),
                    ("fit_cb", suite.fit(suite.entry_callbacks())),
                ):
                    rates.setdefault(f"{step}/{arm}", []).append(rate)
            print(f"repeat {rep + 1}: " + ", ".join(f"{k} {v[-1]:.1f}" for k, v in rates.items()))
    median = {k: bench_utils.median(v) for k, v in rates.items()}
    print(f"\nCPU: {bench_utils.cpu_summary()}")
    print(f"{args.config}, fp32, batch {cfg['batch']}, {args.steps} batches x {args.repeats}")
    print("| arm | img/s (median) | / plain |")
    print("|---|---|---|")
    for arm, rate in median.items():
        print(f"| {arm} | {rate:.1f} | {rate / median['plain']:.3f} |")


if __name__ == "__main__":
    main()
