"""absl flag definitions shared by every entry script (tensorflow/models style).

Entry scripts call ``define_common_flags()`` under ``__main__`` (never at import of a
library module), change defaults with ``set_defaults``, and hand ``main`` to ``run_app``,
which turns flags into a frozen ``TrainConfig``. Bad values exit with one line.
"""

from __future__ import annotations

import errno
import sys
from collections.abc import Callable, Sequence

import tensorflow as tf
from absl import app, flags, logging

from gans.core.class_labels import valid_labels_setting
from gans.core.config import TrainConfig
from gans.core.data_service import is_service_address
from gans.core.distribute import STRATEGIES
from gans.core.errors import Interrupted, UserError
from gans.core.folder_converter import parse_colour
from gans.core.losses import LOSSES
from gans.core.networks import NETWORKS, SUPPORTED_SIZES
from gans.core.provider import DATA_AUGMENTATIONS

FLAGS = flags.FLAGS


def _range(text: str | None) -> tuple[float, float] | None:
    if not text:
        return None
    low, high = (float(v) for v in text.split(","))
    return low, high


def _valid_range(text: str | None) -> bool:
    try:
        r = _range(text)
    except ValueError:
        return False
    return r is None or r[0] <= r[1]


def _valid_policy(text: str) -> bool:
    return set(filter(None, text.split(","))) <= {"color", "translation", "cutout"}


def _valid_colour(text: str | None) -> bool:
    try:
        return text is None or bool(parse_colour(text))
    except ValueError:
        return False


def define_common_flags() -> None:
    """Define the flags every entry script shares; safe to call twice."""
    if "epochs" in FLAGS:
        return
    # What and how long.
    flags.DEFINE_integer("epochs", 10, "Total epochs; a resumed run trains the remaining ones.")
    flags.DEFINE_integer("batch_size", 64, "Global batch size (split across replicas).")
    flags.DEFINE_integer("steps_per_epoch", 0, "Cap on batches per epoch for quick runs; 0 = all.")
    flags.DEFINE_integer("noise_dim", 100, "Length of the generator's noise vector.")
    flags.DEFINE_integer("image_size", None, f"Training image size, one of {SUPPORTED_SIZES}.")
    flags.DEFINE_integer("channels", None, "1 gray, 3 RGB, 4 RGBA (default: the dataset's).")
    flags.DEFINE_enum("fit", None, ["crop", "pad"], "Non-square sources: center-crop or pad.")
    flags.DEFINE_string("background", None, "Pad/alpha colour: white, black, gray or R,G,B.")
    flags.DEFINE_integer("seed", 0, "Random seed (weights, data order, noise).")
    # Where.
    flags.DEFINE_string("data_dir", None, "Dataset folder (default datasets/<dataset>).")
    flags.DEFINE_string("source_dir", None, "Raw source files to convert (default: download).")
    flags.DEFINE_string(
        "model_dir", None, "Checkpoints + TensorBoard (default models/<dataset>/<run>)."
    )
    flags.DEFINE_string("gen_dir", None, "Image output folder (default gen_img/<dataset>).")
    flags.DEFINE_string("run_name", None, "Run folder name (default <network>_<loss>_<size>px).")
    flags.DEFINE_enum("strategy", "auto", list(STRATEGIES), "tf.distribute strategy.")
    # Model and loss.
    flags.DEFINE_enum("network", None, sorted(NETWORKS), "Network builder (default: dataset's).")
    flags.DEFINE_bool("conditional", False, "Class-conditional GAN (labelled sets; see --labels).")
    flags.DEFINE_string(
        "labels",
        "auto",
        "Class labels of a folder: auto, subfolders, none, or a FILE.csv/.json (file -> class).",
    )
    flags.DEFINE_bool(
        "balanced_classes", False, "Sample every class equally often (skewed labelled sets)."
    )
    flags.DEFINE_integer("width", 64, "Filters of the widest conv layer (DCGAN ngf/ndf).")
    flags.DEFINE_enum(
        "upsample",
        "transposed",
        ["transposed", "nearest"],
        "DCGAN generator upsampling: transposed convs, or nearest + conv (Odena et al. 2016).",
    )
    flags.DEFINE_enum("loss", "gan", sorted(LOSSES), "GAN loss.")
    flags.DEFINE_enum("optimizer", None, ["adam", "rmsprop"], "Optimizer (default: the loss's).")
    flags.DEFINE_float("g_lr", None, "Generator learning rate (default: the loss's).")
    flags.DEFINE_float("d_lr", None, "Discriminator learning rate (default: the loss's).")
    flags.DEFINE_float("beta1", 0.5, "Adam beta1.")
    flags.DEFINE_float("beta2", 0.999, "Adam beta2.")
    flags.DEFINE_integer("d_steps", None, "D updates per G update (default: 5 for WGAN, else 1).")
    flags.DEFINE_integer("g_steps", 1, "G updates per iteration.")
    flags.DEFINE_enum(
        "step",
        "auto",
        ["auto", "scheduled", "alternating", "simultaneous"],
        "Train step: alternating (D then G, one G forward), simultaneous (the TF tutorial's), "
        "scheduled (d_steps, g_steps, monitored, boost); auto picks the fastest that fits.",
    )
    flags.DEFINE_float("clip_value", None, "WGAN weight clip (default 0.01 for wgan).")
    flags.DEFINE_float("gp_weight", None, "Gradient penalty weight (default 10 for wgan_gp).")
    flags.DEFINE_float("r1_weight", 0.0, "R1 penalty weight (Mescheder et al. 2018).")
    flags.DEFINE_float(
        "recon_weight", 0.0, "FastGAN D self-supervised reconstruction loss weight; 0 = off."
    )
    # Tricks.
    flags.DEFINE_float("label_smoothing", 0.0, "One-sided: real target = 1 - value.")
    flags.DEFINE_string("real_label_range", None, "Real targets ~ U(low,high), e.g. 0.7,1.2.")
    flags.DEFINE_string("fake_label_range", None, "Fake targets ~ U(low,high), e.g. 0,0.3.")
    flags.DEFINE_float("flip_prob", 0.0, "Probability of swapping a sample's real/fake target.")
    flags.DEFINE_float("monitor_factor", 0.0, "Train D only while D_loss > f*G_loss; 0 = off.")
    flags.DEFINE_bool("boost", False, "Boost training: random D-only/G-only/noisy windows.")
    flags.DEFINE_float("ema_decay", 0.0, "EMA of generator weights for sampling; 0 = off.")
    flags.DEFINE_enum(
        "augment", "none", ["none", "diffaugment", "ada"], "Augment what D sees (reals and fakes)."
    )
    flags.DEFINE_string("augment_policy", "color,translation,cutout", "DiffAugment ops.")
    flags.DEFINE_float("ada_target", 0.6, "ADA target for E[sign(D(real))] (Karras 2020).")
    flags.DEFINE_string(
        "data_augment", "", "Input-pipeline augmentation: any of flip,rotate,shift,zoom."
    )
    flags.DEFINE_enum("d_norm", "batch", ["batch", "layer", "none"], "Discriminator norm.")
    flags.DEFINE_bool("spectral_norm", False, "Spectral normalization in D (Miyato 2018).")
    flags.DEFINE_bool("minibatch_std", False, "Minibatch stddev feature in D (Karras 2018).")
    flags.DEFINE_integer("minibatch_disc", 0, "Minibatch discrimination kernels; 0 = off.")
    # Output.
    flags.DEFINE_integer("grid_size", 64, "Images in each epoch grid.")
    flags.DEFINE_integer("checkpoint_every", 1, "Save a checkpoint every N epochs.")
    flags.DEFINE_enum(
        "precision",
        "float32",
        ["float32", "mixed_float16", "mixed_bfloat16"],
        "Compute dtype: mixed_float16 on GPUs, mixed_bfloat16 on TPUs / AVX512-BF16 CPUs.",
    )
    flags.DEFINE_string(
        "data_service", "", "tf.data service dispatcher grpc://HOST:PORT for the input pipeline."
    )
    flags.DEFINE_bool("jit_compile", False, "XLA-compile the train step (slower on CPU here).")
    flags.DEFINE_integer("intra_op_threads", 0, "CPU threads inside an op; 0 = TF's choice.")
    flags.DEFINE_integer("inter_op_threads", 0, "CPU ops run at once; 0 = TF's choice.")
    flags.DEFINE_integer("max_rollbacks", 3, "NaN/Inf rollbacks before giving up.")
    flags.DEFINE_float("cpu_budget_s", 0, "Stop after this much CPU time (seconds); 0 = off.")
    flags.DEFINE_integer(
        "eval_every", 5, "Every N epochs: SWD/MS-SSIM of samples, collapse alarm; 0 = off."
    )
    flags.DEFINE_integer("verbose", -1, "Keras verbosity: 0, 1 (bar), 2 (line); -1 = auto.")

    positive = {
        "epochs": 1,
        "batch_size": 1,
        "noise_dim": 1,
        "g_steps": 1,
        "grid_size": 1,
        "checkpoint_every": 1,
        "width": 1,
    }
    for name, low in positive.items():
        flags.register_validator(name, lambda v, low=low: v >= low, f"--{name} must be >= {low}")
    for name in (
        "eval_every",
        "steps_per_epoch",
        "r1_weight",
        "recon_weight",
        "flip_prob",
        "monitor_factor",
        "ema_decay",
    ):
        flags.register_validator(name, lambda v: v >= 0, f"--{name} must be >= 0")
    flags.register_validator(
        "image_size",
        lambda v: v is None or v in SUPPORTED_SIZES,
        f"--image_size must be one of {SUPPORTED_SIZES}",
    )
    flags.register_validator("d_steps", lambda v: v is None or v >= 1, "--d_steps must be >= 1")
    flags.register_validator(
        "label_smoothing", lambda v: 0 <= v < 1, "--label_smoothing must be in [0, 1)"
    )
    flags.register_validator(
        "data_service",
        lambda v: not v or is_service_address(v),
        "--data_service must be grpc://HOST:PORT of a tf.data dispatcher",
    )
    flags.register_validator(
        "labels", valid_labels_setting, "--labels: auto, subfolders, none or a .csv/.json file"
    )
    flags.register_validator("flip_prob", lambda v: v <= 1, "--flip_prob must be <= 1")
    flags.register_validator("ema_decay", lambda v: v < 1, "--ema_decay must be < 1")
    flags.register_validator(
        "data_augment",
        lambda v: not v or set(v.split(",")) <= set(DATA_AUGMENTATIONS),
        f"--data_augment must be a comma list of {','.join(DATA_AUGMENTATIONS)}",
    )
    flags.register_validator(
        "augment_policy", _valid_policy, "--augment_policy: comma list of color,translation,cutout"
    )
    flags.register_validator("ada_target", lambda v: 0 < v < 1, "--ada_target must be in (0, 1)")
    for name in ("real_label_range", "fake_label_range"):
        flags.register_validator(
            name, _valid_range, f"--{name} must be 'low,high' with low <= high"
        )
    for name in ("g_lr", "d_lr", "clip_value", "gp_weight"):
        flags.register_validator(name, lambda v: v is None or v >= 0, f"--{name} must be >= 0")


def set_defaults(**defaults) -> None:
    """A dataset's defaults for shared flags (e.g. ``epochs=200``)."""
    for name, value in defaults.items():
        FLAGS.set_default(name, value)


def config_from_flags(dataset: str) -> TrainConfig:
    """A frozen ``TrainConfig`` from the parsed flags (the only place FLAGS are read)."""
    f = FLAGS
    return TrainConfig(
        dataset=dataset,
        epochs=f.epochs,
        batch_size=f.batch_size,
        noise_dim=f.noise_dim,
        image_size=f.image_size,
        channels=f.channels,
        fit=f.fit,
        background=f.background,
        data_dir=f.data_dir,
        source_dir=f.source_dir,
        model_dir=f.model_dir,
        gen_dir=f.gen_dir,
        run_name=f.run_name,
        steps_per_epoch=f.steps_per_epoch,
        seed=f.seed,
        strategy=f.strategy,
        network=f.network,
        conditional=f.conditional,
        labels=f.labels,
        balanced_classes=f.balanced_classes,
        width=f.width,
        upsample=f.upsample,
        loss=f.loss,
        optimizer=f.optimizer,
        g_lr=f.g_lr,
        d_lr=f.d_lr,
        beta1=f.beta1,
        beta2=f.beta2,
        d_steps=f.d_steps,
        g_steps=f.g_steps,
        step=f.step,
        label_smoothing=f.label_smoothing,
        real_label_range=_range(f.real_label_range),
        fake_label_range=_range(f.fake_label_range),
        flip_prob=f.flip_prob,
        clip_value=f.clip_value,
        gp_weight=f.gp_weight,
        r1_weight=f.r1_weight,
        recon_weight=f.recon_weight,
        monitor_factor=f.monitor_factor,
        boost=f.boost,
        ema_decay=f.ema_decay,
        augment=f.augment,
        augment_policy=f.augment_policy,
        ada_target=f.ada_target,
        data_augment=f.data_augment,
        d_norm=f.d_norm,
        spectral_norm=f.spectral_norm,
        minibatch_std=f.minibatch_std,
        minibatch_disc=f.minibatch_disc,
        grid_size=f.grid_size,
        checkpoint_every=f.checkpoint_every,
        eval_every=f.eval_every,
        cpu_budget_s=f.cpu_budget_s,
        max_rollbacks=f.max_rollbacks,
        precision=f.precision,
        data_service=f.data_service,
        jit_compile=f.jit_compile,
        intra_op_threads=f.intra_op_threads,
        inter_op_threads=f.inter_op_threads,
        verbose=f.verbose,
        flags_text=f.flags_into_string(),
    )


def _parse_or_exit(argv: Sequence[str]) -> list[str]:
    """Parse flags; on a bad value print one line and exit 2 (no usage wall)."""
    try:
        return FLAGS(argv)
    except flags.Error as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)


def describe_os_error(err: OSError) -> str:
    """One line naming the file and what to do, for the common OS failures."""
    where = err.filename or "a file"
    hints = {
        errno.ENOSPC: "the disk is full; free space or point --model_dir/--gen_dir elsewhere",
        errno.EDQUOT: "the disk quota is exhausted; free space or write elsewhere",
        errno.EACCES: "no permission to write there; choose another --model_dir/--gen_dir",
        errno.EPERM: "no permission to write there; choose another --model_dir/--gen_dir",
        errno.EROFS: "the file system is read-only; choose another --model_dir/--gen_dir",
        errno.ENOTDIR: "a path component is a file, not a folder; fix the path",
    }
    hint = hints.get(err.errno, "check the path and the disk")
    return f"{where}: {err.strerror or err} ({hint})"


def _lost_peer_reason(err: Exception) -> str:
    """The lines of a TF collective error that say what happened (the task, the cause),
    without the graph traceback TF puts first."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    useful = [line for line in lines if "/job:" in line and not line.startswith("File ")]
    reason = " ".join(dict.fromkeys(useful or lines[-1:]))
    return reason if len(reason) <= 500 else reason[:497] + "..."


def run_app(main: Callable[[list[str]], None], argv: list[str] | None = None) -> None:
    """``app.run`` with one-line errors for bad flags and for ``UserError``s."""

    def guarded(argv: list[str]) -> None:
        if not FLAGS["verbosity"].present:
            logging.set_verbosity(logging.WARNING)  # TF's INFO lines drown the progress bar
        try:
            main(argv)
        except Interrupted as err:
            print(f"{err}", file=sys.stderr)
            sys.exit(130)
        except UserError as err:
            print(f"error: {err}", file=sys.stderr)
            sys.exit(1)
        except (tf.errors.UnavailableError, tf.errors.AbortedError) as err:
            # A peer of a multi-worker run died: heartbeats stopped or the connection reset.
            print(
                "error: a worker of the cluster (or the tf.data service) stopped or became "
                "unreachable "
                f"({_lost_peer_reason(err)}); "
                "start every worker again with the same command to resume from the last "
                "checkpoint",
                file=sys.stderr,
            )
            sys.exit(1)
        except tf.errors.ResourceExhaustedError as err:  # a full disk inside TensorFlow
            reason = (err.message or type(err).__name__).strip().splitlines()[0]
            print(
                f"error: {reason} (the disk is full or memory ran out; free space or "
                "point --model_dir/--gen_dir elsewhere, or lower --batch_size)",
                file=sys.stderr,
            )
            sys.exit(1)
        except OSError as err:  # unwritable folder, full disk, ...: name the file, no wall
            print(f"error: {describe_os_error(err)}", file=sys.stderr)
            sys.exit(1)

    app.run(guarded, argv=argv, flags_parser=_parse_or_exit)
