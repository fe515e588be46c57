"""Frozen training configuration: flags are turned into one of these once, then passed on.

Library code never reads absl ``FLAGS``; it receives a ``TrainConfig``.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Everything a run needs. ``None`` means "the dataset's or the loss's default"."""

    dataset: str = "mnist"
    epochs: int = 10
    batch_size: int = 64
    noise_dim: int = 100
    image_size: int | None = None
    channels: int | None = None
    fit: str | None = None
    background: str | None = None
    data_dir: str | None = None
    source_dir: str | None = None
    model_dir: str | None = None
    gen_dir: str | None = None
    run_name: str | None = None
    steps_per_epoch: int = 0
    seed: int = 0
    strategy: str = "auto"
    network: str | None = None
    upsample: str = "transposed"
    conditional: bool = False
    labels: str = "auto"
    balanced_classes: bool = False
    width: int = 64
    loss: str = "gan"
    optimizer: str | None = None
    g_lr: float | None = None
    d_lr: float | None = None
    beta1: float = 0.5
    beta2: float = 0.999
    d_steps: int | None = None
    g_steps: int = 1
    step: str = "auto"
    label_smoothing: float = 0.0
    real_label_range: tuple[float, float] | None = None
    fake_label_range: tuple[float, float] | None = None
    flip_prob: float = 0.0
    clip_value: float | None = None
    gp_weight: float | None = None
    r1_weight: float = 0.0
    recon_weight: float = 0.0
    monitor_factor: float = 0.0
    boost: bool = False
    ema_decay: float = 0.0
    augment: str = "none"
    augment_policy: str = "color,translation,cutout"
    ada_target: float = 0.6
    data_augment: str = ""
    d_norm: str = "batch"
    spectral_norm: bool = False
    minibatch_std: bool = False
    minibatch_disc: int = 0
    grid_size: int = 64
    eval_every: int = 0
    cpu_budget_s: float = 0.0
    max_rollbacks: int = 3
    precision: str = "float32"
    data_service: str = ""
    jit_compile: bool = False
    intra_op_threads: int = 0
    inter_op_threads: int = 0
    checkpoint_every: int = 1
    keep_checkpoints: int = 3
    verbose: int = -1
    flags_text: str = ""

    def replace(self, **changes) -> TrainConfig:
        return dataclasses.replace(self, **changes)

    def to_json(self, path: str | Path, extra: dict | None = None) -> None:
        """Write the fields (and ``extra`` keys, e.g. the run's ``history``) atomically."""
        data = {k: v for k, v in dataclasses.asdict(self).items() if k != "flags_text"}
        data.update(extra or {})
        path = Path(path)
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        tmp.write_text(json.dumps(data, indent=1))
        os.replace(tmp, path)

    @staticmethod
    def json_extras(path: str | Path) -> dict:
        """The keys of a ``config.json`` that are not fields (``history``, ``saved_in`` …)."""
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, ValueError):
            return {}
        fields = {f.name for f in dataclasses.fields(TrainConfig)}
        return {k: v for k, v in data.items() if k not in fields} if isinstance(data, dict) else {}

    @classmethod
    def from_json(cls, path: str | Path) -> TrainConfig:
        """The config a model directory was trained with (unknown keys ignored)."""
        data = json.loads(Path(path).read_text())
        fields = {f.name for f in dataclasses.fields(cls)}
        for key in ("real_label_range", "fake_label_range"):
            if data.get(key) is not None:
                data[key] = tuple(data[key])
        return cls(**{k: v for k, v in data.items() if k in fields})
