"""The one definition of a run's settings: ``TrainConfig``, its help text and its checks.

Every field carries its help text and flag group in ``metadata``; the absl flags of the
entry scripts are generated from these fields (``gans.core.run.common_flags``), so a default
lives in one place. ``validate`` is the one place that checks values; it raises
``ConfigError`` with a one-line message naming the flag. A dataset's recommended settings
are its ``DatasetSpec`` defaults, applied on top of these generic ones.

Library code never reads absl ``FLAGS``; it receives a ``TrainConfig``.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gans.core.data.class_labels import valid_labels_setting
from gans.core.data.data_service import is_service_address
from gans.core.data.folder_converter import parse_colour
from gans.core.data.provider import DATA_AUGMENTATIONS
from gans.core.errors import UserError
from gans.core.model.augment import DIFF_AUGMENT_OPS
from gans.core.model.losses import LOSSES
from gans.core.model.networks import NETWORKS, SUPPORTED_SIZES
from gans.core.run.distribute import STRATEGIES

GROUPS = ("data", "model", "tricks", "training", "output", "distribution")
PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")  # Keras dtype policies

Check = tuple[Callable[[Any], bool], str]


class ConfigError(UserError, ValueError):
    """A setting out of range or inconsistent with another; the message names the flag."""


def option(
    default: Any,
    help: str,
    group: str,
    *,
    choices: tuple | list | None = None,
    low: float | None = None,
    check: Check | None = None,
    flag: bool = True,
) -> Any:
    """A ``TrainConfig`` field with its flag's help text, group, choices and check.

    ``check`` is ``(predicate, message)``: ``validate`` raises ``--name <message>`` when
    the predicate is false for a value that is not ``None``; ``low`` is the common check
    ``value >= low``. ``flag=False`` keeps a field off the command line.
    """
    assert group in GROUPS, group
    assert low is None or check is None, "give low or check, not both"
    if low is not None:
        check = at_least(low)
    metadata = {"help": help, "group": group, "choices": choices, "check": check, "flag": flag}
    return dataclasses.field(default=default, metadata=metadata)


def at_least(low: float) -> Check:
    return (lambda v: v >= low, f"must be >= {low}")


def _comma_subset(allowed: tuple[str, ...]) -> Check:
    return (
        lambda v: set(filter(None, v.split(","))) <= set(allowed),
        f"must be a comma list of {','.join(allowed)}",
    )


def _is_range(value: tuple[float, float]) -> bool:
    return len(value) == 2 and value[0] <= value[1]


def _is_colour(text: str) -> bool:
    try:
        return bool(parse_colour(text))
    except ValueError:
        return False


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Everything a run needs. ``None`` means "the dataset's or the loss's default"."""

    dataset: str = option("mnist", "Dataset name (set by the entry script).", "data", flag=False)
    # --- data
    image_size: int | None = option(
        None,
        f"Training image size, one of {SUPPORTED_SIZES} (default: the dataset's).",
        "data",
        check=(lambda v: v in SUPPORTED_SIZES, f"must be one of {SUPPORTED_SIZES}"),
    )
    channels: int | None = option(
        None,
        "1 gray, 3 RGB, 4 RGBA (default: the dataset's).",
        "data",
        check=(lambda v: v in (1, 3, 4), "must be 1, 3 or 4"),
    )
    fit: str | None = option(
        None, "Non-square sources: center-crop or pad.", "data", choices=["crop", "pad"]
    )
    background: str | None = option(
        None,
        "Pad/alpha colour: white, black, gray or R,G,B.",
        "data",
        check=(_is_colour, "must be white, black, gray or R,G,B with values 0-255"),
    )
    data_dir: str | None = option(None, "Dataset folder (default datasets/<dataset>).", "data")
    source_dir: str | None = option(
        None, "Raw source files to convert (default: the dataset's usual place/download).", "data"
    )
    labels: str = option(
        "auto",
        "Class labels of a folder: auto, subfolders, none, or a FILE.csv/.json (file -> class).",
        "data",
        check=(valid_labels_setting, "must be auto, subfolders, none or a .csv/.json file"),
    )
    balanced_classes: bool = option(
        False, "Sample every class equally often (skewed labelled sets).", "data"
    )
    # --- model
    network: str | None = option(
        None, "Network builder (default: the dataset's).", "model", choices=sorted(NETWORKS)
    )
    width: int = option(64, "Filters of the widest conv layer (DCGAN ngf/ndf).", "model", low=1)
    upsample: str = option(
        "transposed",
        "DCGAN generator upsampling: transposed convs, or nearest + conv (Odena et al. 2016).",
        "model",
        choices=["transposed", "nearest"],
    )
    noise_dim: int = option(100, "Length of the generator's noise vector.", "model", low=1)
    conditional: bool = option(
        False, "Class-conditional GAN (labelled sets; see --labels).", "model"
    )
    d_norm: str = option(
        "batch", "Discriminator norm.", "model", choices=["batch", "layer", "none"]
    )
    # --- tricks
    label_smoothing: float = option(
        0.0,
        "One-sided: real target = 1 - value.",
        "tricks",
        check=(lambda v: 0 <= v < 1, "must be in [0, 1)"),
    )
    real_label_range: tuple[float, float] | None = option(
        None,
        "Real targets ~ U(low,high), e.g. 0.7,1.2.",
        "tricks",
        check=(_is_range, "must be 'low,high' with low <= high"),
    )
    fake_label_range: tuple[float, float] | None = option(
        None,
        "Fake targets ~ U(low,high), e.g. 0,0.3.",
        "tricks",
        check=(_is_range, "must be 'low,high' with low <= high"),
    )
    flip_prob: float = option(
        0.0,
        "Probability of swapping a sample's real/fake target.",
        "tricks",
        check=(lambda v: 0 <= v <= 1, "must be in [0, 1]"),
    )
    monitor_factor: float = option(
        0.0, "Train D only while D_loss > f*G_loss; 0 = off.", "tricks", low=0
    )
    boost: bool = option(False, "Boost training: random D-only/G-only/noisy windows.", "tricks")
    ema_decay: float = option(
        0.0,
        "EMA of generator weights for sampling; 0 = off.",
        "tricks",
        check=(lambda v: 0 <= v < 1, "must be in [0, 1)"),
    )
    augment: str = option(
        "none",
        "Augment what D sees (reals and fakes): DiffAugment (Zhao 2020) or ADA (Karras 2020).",
        "tricks",
        choices=["none", "diffaugment", "ada"],
    )
    augment_policy: str = option(
        ",".join(DIFF_AUGMENT_OPS),
        "DiffAugment ops.",
        "tricks",
        check=_comma_subset(DIFF_AUGMENT_OPS),
    )
    ada_target: float = option(
        0.6,
        "ADA target for E[sign(D(real))] (Karras 2020).",
        "tricks",
        check=(lambda v: 0 < v < 1, "must be in (0, 1)"),
    )
    data_augment: str = option(
        "",
        "Input-pipeline augmentation: any of flip,rotate,shift,zoom.",
        "tricks",
        check=_comma_subset(DATA_AUGMENTATIONS),
    )
    spectral_norm: bool = option(False, "Spectral normalization in D (Miyato 2018).", "tricks")
    g_spectral_norm: bool = option(
        False,
        "Spectral normalization in G, as FastGAN's reference code (--network=fastgan only).",
        "tricks",
    )
    d_head: str = option(
        "dense",
        "FastGAN D head over its 8x8 map: dense (flatten) or pool (global average pool; "
        "translation-invariant, as the paper's patch logits; --network=fastgan only).",
        "tricks",
        choices=["dense", "pool"],
    )
    minibatch_std: bool = option(False, "Minibatch stddev feature in D (Karras 2018).", "tricks")
    minibatch_disc: int = option(0, "Minibatch discrimination kernels; 0 = off.", "tricks", low=0)
    clip_value: float | None = option(
        None, "WGAN weight clip (default 0.01 for wgan).", "tricks", low=0
    )
    gp_weight: float | None = option(
        None, "Gradient penalty weight (default 10 for wgan_gp).", "tricks", low=0
    )
    r1_weight: float = option(0.0, "R1 penalty weight (Mescheder et al. 2018).", "tricks", low=0)
    recon_weight: float | None = option(
        None,
        "FastGAN D self-supervised reconstruction loss weight (default 1 with "
        "--network=fastgan, as in the paper; 0 = off).",
        "tricks",
        low=0,
    )
    # --- training
    epochs: int = option(
        10, "Total epochs; a resumed run trains the remaining ones.", "training", low=1
    )
    batch_size: int = option(64, "Global batch size (split across replicas).", "training", low=1)
    steps_per_epoch: int = option(
        0, "Cap on batches per epoch for quick runs; 0 = all.", "training", low=0
    )
    seed: int = option(0, "Random seed (weights, data order, noise).", "training")
    loss: str = option("gan", "GAN loss.", "training", choices=sorted(LOSSES))
    optimizer: str | None = option(
        None, "Optimizer (default: the loss's).", "training", choices=["adam", "rmsprop"]
    )
    g_lr: float | None = option(
        None, "G learning rate (default: the dataset's, else the loss's).", "training", low=0
    )
    d_lr: float | None = option(
        None, "D learning rate (default: the dataset's, else the loss's).", "training", low=0
    )
    beta1: float = option(0.5, "Adam beta1.", "training")
    beta2: float = option(0.999, "Adam beta2.", "training")
    d_steps: int | None = option(
        None, "D updates per G update (default: 5 for WGAN, else 1).", "training", low=1
    )
    g_steps: int = option(1, "G updates per iteration.", "training", low=1)
    step: str = option(
        "auto",
        "Train step: alternating (D then G, one G forward), simultaneous (the TF tutorial's), "
        "scheduled (d_steps, g_steps, monitored, boost); auto picks the fastest that fits.",
        "training",
        choices=["auto", "scheduled", "alternating", "simultaneous"],
    )
    precision: str = option(
        "float32",
        "Compute dtype: mixed_float16 on GPUs, mixed_bfloat16 on TPUs / AVX512-BF16 CPUs.",
        "training",
        choices=PRECISIONS,
    )
    jit_compile: bool = option(
        False, "XLA-compile the train step (slower on CPU here).", "training"
    )
    steps_per_execution: int = option(
        1,
        "Train steps per compiled call (fewer host round trips: for GPUs with small images); "
        "rounded down to a divisor of the steps per epoch.",
        "training",
        low=1,
    )
    max_rollbacks: int = option(3, "NaN/Inf rollbacks before giving up.", "training", low=0)
    cpu_budget_s: float = option(
        0.0, "Stop after this much CPU time (seconds); 0 = off.", "training", low=0
    )
    # --- output
    model_dir: str | None = option(
        None, "Checkpoints + TensorBoard (default models/<dataset>/<run>).", "output"
    )
    gen_dir: str | None = option(None, "Image output folder (default gen_img/<dataset>).", "output")
    run_name: str | None = option(
        None, "Run folder name (default <network>_<loss>_<size>px).", "output"
    )
    grid_size: int = option(64, "Images in each epoch grid.", "output", low=1)
    eval_every: int = option(
        5,
        "Every N epochs: SWD/MS-SSIM of samples, collapse alarm, report; 0 = off.",
        "output",
        low=0,
    )
    checkpoint_every: int = option(1, "Save a checkpoint every N epochs.", "output", low=1)
    keep_checkpoints: int = option(3, "Checkpoints kept (the newest).", "output", low=1)
    verbose: int = option(
        -1,
        "Keras verbosity: 0, 1 (bar), 2 (line); -1 = auto.",
        "output",
        check=(lambda v: -1 <= v <= 2, "must be -1, 0, 1 or 2"),
    )
    # --- distribution
    strategy: str = option(
        "auto", "tf.distribute strategy.", "distribution", choices=list(STRATEGIES)
    )
    data_service: str = option(
        "",
        "tf.data service dispatcher grpc://HOST:PORT for the input pipeline.",
        "distribution",
        check=(
            lambda v: not v or is_service_address(v),
            "must be grpc://HOST:PORT of a tf.data dispatcher",
        ),
    )
    intra_op_threads: int = option(
        0, "CPU threads inside an op; 0 = TF's choice.", "distribution", low=0
    )
    inter_op_threads: int = option(
        0, "CPU ops run at once; 0 = TF's choice.", "distribution", low=0
    )
    flags_text: str = option("", "The run's flags, as a flagfile.", "output", flag=False)

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


def flag_fields() -> list[dataclasses.Field]:
    """The fields that are command-line flags, in definition (= group) order."""
    return [f for f in dataclasses.fields(TrainConfig) if f.metadata.get("flag", True)]


def validate(config: TrainConfig) -> TrainConfig:
    """Check every setting (ranges, choices, combinations); one ``ConfigError`` line names
    the first bad flag. Returns ``config``, so it can wrap a construction."""
    for field in dataclasses.fields(TrainConfig):
        value = getattr(config, field.name)
        if value is None:
            continue
        choices = field.metadata.get("choices")
        if choices is not None and value not in choices:
            raise ConfigError(f"--{field.name}={value}: choose one of {', '.join(choices)}")
        check = field.metadata.get("check")
        if check is not None and not check[0](value):
            raise ConfigError(f"--{field.name} {check[1]}")
    if config.data_service and (
        config.conditional or config.data_augment or config.balanced_classes
    ):
        raise ConfigError(
            "--data_service does not serve labels (--conditional, --balanced_classes) or "
            "--data_augment yet; drop one of them"
        )
    return config
