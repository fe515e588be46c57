"""Use a trained generator: sample images, walk the latent space, export for serving.

Library functions take a ``GANExperiment`` (usually ``GANExperiment.from_model_dir``) and
restore the latest checkpoint, or a chosen one, before sampling. Images come from the
sampling generator (the EMA copy when the run kept one) in inference mode, in [-1, 1].

Command line: ``gans-generate`` (``gans.cli``).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from pathlib import Path

import keras
import numpy as np
from PIL import Image

from gans.core.errors import ConfigError, DataError
from gans.core.model.latent import make_noise, standard_normal
from gans.core.progress import Progress
from gans.core.report.image_grid import save_gif, save_grid, save_image_atomic, tile, to_uint8
from gans.core.run.experiment import GANExperiment

GRID_NAME = "grid.png"
GRID_CAP = 1024  # images drawn in grid.png at most (more makes a picture too big to open)
INTERPOLATION_NAME = "interpolation.gif"
KERAS_NAME = "generator.keras"
SAVED_MODEL_NAME = "saved_model"
EXPORT_JSON = "export.json"


# --- checkpoints ----------------------------------------------------------------------------
def resolve_checkpoint(experiment: GANExperiment, checkpoint: str | os.PathLike | None) -> str:
    """The checkpoint prefix to restore: the latest one for ``None``.

    ``checkpoint`` may be a prefix path (``.../checkpoints/ckpt-3``), a name inside the
    model's ``checkpoints/`` folder (``ckpt-3``) or an epoch number (``3``).
    """
    return experiment.find_checkpoint(checkpoint)


def restore_checkpoint(
    experiment: GANExperiment, checkpoint: str | os.PathLike | None = None
) -> str:
    """Restore the latest (or the chosen) checkpoint into ``experiment``; return its path.

    Every object of the experiment that the checkpoint holds must match (a checkpoint of
    another configuration is a ``DataError``); values the experiment has no object for are
    ignored (``expect_partial``), e.g. an EMA generator when sampling with ``ema_decay=0``.
    The latest: the newest one that restores (a damaged newest one is reported and skipped).
    """
    experiment.restore(checkpoint, require=True, verbose=False)
    return experiment.restored_path


# --- sampling (noise: ``make_noise``, from gans.core.model.latent) --------------------------
def class_labels(
    experiment: GANExperiment, num: int, labels: int | np.ndarray | None = None
) -> np.ndarray | None:
    """int32 labels ``[num]`` for a conditional GAN, None for an unconditional one.

    ``None`` cycles 0, 1, …, C-1, 0, … over the whole set (as the epoch grids do); an int
    picks one class for every image; an array gives each image's class.
    """
    classes = experiment.num_classes
    if not classes:
        if labels is not None:
            model_dir = experiment.run.model_dir
            raise DataError(f"{model_dir} is not class-conditional; it takes no labels")
        return None
    if labels is None:
        return (np.arange(num) % classes).astype(np.int32)
    out = np.broadcast_to(np.asarray(labels, np.int64), (num,)).astype(np.int32)
    if out.size and (out.min() < 0 or out.max() >= classes):
        raise DataError(f"labels must be in 0..{classes - 1}; got {sorted(set(out.tolist()))}")
    return out


def sample(
    experiment: GANExperiment,
    noise: np.ndarray,
    labels: int | np.ndarray | None = None,
    batch_size: int = 256,
) -> np.ndarray:
    """Images in [-1, 1] for ``noise`` (and ``labels``, see ``class_labels``) from the
    current weights of the sampling generator, ``batch_size`` at a time."""
    if batch_size < 1:
        raise ConfigError(f"batch_size must be >= 1, got {batch_size}")
    labels = class_labels(experiment, len(noise), labels)
    return experiment.sample(noise, labels, batch_size)


def generate_images(
    experiment: GANExperiment,
    num_images: int,
    seed: int = 0,
    checkpoint: str | os.PathLike | None = None,
    batch_size: int = 256,
    labels: int | np.ndarray | None = None,
    truncation: float | None = None,
) -> np.ndarray:
    """``num_images`` images ``[N, H, W, C]`` in [-1, 1] from the latest or chosen checkpoint.

    The noise is ``default_rng(seed).standard_normal`` (as ``GANExperiment.generate``), so a
    seed names the same images at every batch size; the EMA generator is used if there is one.
    ``labels`` pick the classes of a conditional GAN (default: cycling through them);
    ``truncation`` truncates the noise at ``±truncation`` (``make_noise``).
    """
    if num_images < 0:
        raise ConfigError(f"num_images must be >= 0, got {num_images}")
    noise = make_noise(num_images, experiment.config.noise_dim, seed, truncation)
    restore_checkpoint(experiment, checkpoint)
    return sample(experiment, noise, labels, batch_size)


# --- files ----------------------------------------------------------------------------------
def to_pil(image: np.ndarray) -> Image.Image:
    """One image in [-1, 1] ``[H, W, C]`` as a PIL image: 'L', 'RGB' or 'RGBA' by channels."""
    pixels = to_uint8(image[None])[0]
    channels = pixels.shape[-1]
    if channels == 1:
        return Image.fromarray(pixels[..., 0], "L")
    if channels in (3, 4):
        return Image.fromarray(pixels, "RGB" if channels == 3 else "RGBA")
    raise ConfigError(f"cannot save images with {channels} channels; use 1, 3 or 4")


def save_images(
    images: np.ndarray,
    out_dir: str | os.PathLike,
    prefix: str = "sample",
    grid: bool = True,
    individual: bool = True,
    title: str = "",
    columns: int | None = None,
) -> list[Path]:
    """Save images in [-1, 1] as ``<prefix>_0000.png``... and/or one ``grid.png``.

    Individual files keep the channels (gray 'L', 'RGB', 'RGBA' with its alpha); the grid
    composites alpha on light gray (``image_grid.tile``), ``columns`` wide (default about
    square). Returns the paths written, the individual files in order first, then the grid.
    """
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(f"expected images [N, H, W, C], got shape {images.shape}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    if individual:
        digits = max(4, len(str(len(images) - 1)))
        for i, image in enumerate(images):
            path = out_dir / f"{prefix}_{i:0{digits}d}.png"
            written.append(save_image_atomic(to_pil(image), path, format="PNG"))
    if grid and len(images):
        written.append(save_grid(images, out_dir / GRID_NAME, title=title, columns=columns))
    return written


def stream_images(
    experiment: GANExperiment,
    num_images: int,
    out_dir: str | os.PathLike,
    seed: int = 0,
    batch_size: int = 256,
    labels: int | np.ndarray | None = None,
    prefix: str = "sample",
    grid: bool = True,
    individual: bool = True,
    title: str = "",
    columns: int | None = None,
    checkpoint: str | os.PathLike | None = None,
    column_titles: list[str] | tuple[str, ...] | None = None,
    truncation: float | None = None,
) -> tuple[list[Path], str | None]:
    """``save_images(generate_images(...))`` for any ``num_images``: generated and written
    ``batch_size`` at a time, so memory stays flat; the grid holds the first ``GRID_CAP``.
    Same seed, same images and names as the one-shot path. Returns (paths, note)."""
    noise = make_noise(num_images, experiment.config.noise_dim, seed, truncation)
    restore_checkpoint(experiment, checkpoint)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    all_labels = class_labels(experiment, num_images, labels)
    digits = max(4, len(str(num_images - 1)))
    written: list[Path] = []
    kept: list[np.ndarray] = []
    with Progress("generating", total=num_images) as progress:
        for i in range(0, num_images, batch_size):
            batch_labels = None if all_labels is None else all_labels[i : i + batch_size]
            images = sample(experiment, noise[i : i + batch_size], batch_labels, batch_size)
            if individual:
                for j, image in enumerate(images):
                    path = out / f"{prefix}_{i + j:0{digits}d}.png"
                    written.append(save_image_atomic(to_pil(image), path, format="PNG"))
            if grid and sum(len(k) for k in kept) < GRID_CAP:
                kept.append(images[: GRID_CAP - sum(len(k) for k in kept)])
            progress.update(len(images))
    note = None
    if grid and kept:
        shown = np.concatenate(kept)
        written.append(
            save_grid(
                shown, out / GRID_NAME, title=title, columns=columns, column_titles=column_titles
            )
        )
        if num_images > len(shown):
            note = f"{GRID_NAME} shows the first {len(shown)} of {num_images} images"
    return written, note


# --- latent walks ---------------------------------------------------------------------------
def slerp(a: np.ndarray, b: np.ndarray, t: float | np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Spherical linear interpolation from ``a`` (t = 0) to ``b`` (t = 1).

    Shoemake (1985); recommended for GAN latents by White (2016), "Sampling Generative
    Networks": a straight line between two Gaussian samples passes through low-norm points
    the generator rarely saw, the great-circle arc does not. The formula is applied to the
    unnormalized vectors (as in White's code), so equal norms stay equal along the arc.
    When ``a`` and ``b`` are (anti)parallel, ``sin ω ≈ 0``; it falls back to linear.

    ``a``, ``b``: vectors ``[..., D]``; ``t``: a scalar or an array of ``T`` values, giving
    ``[..., D]`` or ``[T, ..., D]``.
    """
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    t_arr = np.asarray(t, np.float64)
    t_col = t_arr.reshape(t_arr.shape + (1,) * a.ndim)  # broadcast t over the vector axes
    norms = np.linalg.norm(a, axis=-1, keepdims=True) * np.linalg.norm(b, axis=-1, keepdims=True)
    cos = np.sum(a * b, axis=-1, keepdims=True) / np.maximum(norms, 1e-30)
    omega = np.arccos(np.clip(cos, -1.0, 1.0))
    sin = np.sin(omega)
    parallel = (np.abs(sin) < eps) | (norms < 1e-30)
    safe_sin = np.where(parallel, 1.0, sin)
    spherical = (np.sin((1.0 - t_col) * omega) * a + np.sin(t_col * omega) * b) / safe_sin
    linear = (1.0 - t_col) * a + t_col * b
    return np.where(parallel, linear, spherical)


def latent_loop(points: np.ndarray, steps: int) -> np.ndarray:
    """A closed walk ``[len(points)·steps, D]`` through ``points`` ``[P, D]`` by slerp.

    Each leg goes from one point towards the next (the last back to the first) in ``steps``
    frames that include its start but not its end, so the loop repeats without a stutter.
    """
    if steps < 1:
        raise ConfigError(f"steps must be >= 1, got {steps}")
    t = np.arange(steps) / steps
    legs = [slerp(points[i], points[(i + 1) % len(points)], t) for i in range(len(points))]
    return np.concatenate(legs).astype(np.float32)


def _gif_frame(pixels: np.ndarray, min_side: int) -> Image.Image:
    """uint8 ``[walks, H, W, C]`` → one frame: the image, or a grid of the walks, upscaled."""
    scale = max(1, math.ceil(min_side / pixels.shape[1]))
    if scale > 1:
        pixels = pixels.repeat(scale, axis=1).repeat(scale, axis=2)
    frame = pixels[0] if len(pixels) == 1 else tile(pixels)
    if frame.shape[-1] == 4:  # one RGBA walk: show alpha on light gray, as tile() does
        frame = tile(frame[None], pad=0)
    if frame.shape[-1] == 1:
        return Image.fromarray(frame[..., 0], "L")
    return Image.fromarray(frame, "RGB").quantize(colors=256, dither=Image.Dither.NONE)


def interpolation_gif(
    experiment: GANExperiment,
    out_path: str | os.PathLike,
    num_points: int = 4,
    steps: int = 16,
    seed: int = 0,
    duration_ms: int = 80,
    walks: int = 1,
    checkpoint: str | os.PathLike | None = None,
    min_side: int = 128,
    labels: int | np.ndarray | None = None,
    truncation: float | None = None,
) -> Path:
    """A looping GIF that walks (slerp) between ``num_points`` random latent points
    (drawn truncated at ``±truncation`` if given, ``make_noise``).

    ``num_points · steps`` frames. With ``walks = 1`` each frame is one image; with more,
    each frame is a grid of ``walks`` independent walks (same seed → same walks). Small
    images are upscaled (nearest) to at least ``min_side`` px. For a conditional GAN each walk
    keeps one class: ``labels`` (one per walk, or one for all), default walk ``w`` → class
    ``w mod C``. The file is written atomically.
    Note that GIF encoders merge consecutive identical frames (e.g. a collapsed generator).
    """
    if num_points < 2:
        raise ConfigError(f"num_points must be >= 2, got {num_points}")
    if walks < 1:
        raise ConfigError(f"walks must be >= 1, got {walks}")
    noise_dim = experiment.config.noise_dim
    rng = np.random.default_rng(seed)
    points = standard_normal(rng, (walks, num_points, noise_dim), truncation)
    restore_checkpoint(experiment, checkpoint)
    noise = np.stack([latent_loop(p, steps) for p in points], axis=1)  # [frames, walks, D]
    frames_n = noise.shape[0]
    walk_labels = class_labels(experiment, walks, labels)
    if walk_labels is not None:
        walk_labels = np.tile(walk_labels, frames_n)  # frame-major, like the noise
    images = sample(experiment, noise.reshape(frames_n * walks, noise_dim), walk_labels)
    pixels = to_uint8(images).reshape((frames_n, walks, *images.shape[1:]))
    frames = [_gif_frame(p, min_side) for p in pixels]
    return save_gif(frames, out_path, duration_ms)


# --- export ---------------------------------------------------------------------------------
def export_generator(
    experiment: GANExperiment,
    out_dir: str | os.PathLike,
    checkpoint: str | os.PathLike | None = None,
) -> dict[str, Path]:
    """Export the sampling generator: ``generator.keras``, ``saved_model/``, ``export.json``.

    Only the generator is saved (the subclassed ``GAN`` does not round-trip as ``.keras``).
    It is cloned outside any distribution strategy first, so the files hold plain variables.
    The SavedModel's ``serve`` endpoint (and ``serving_default`` signature) maps noise
    ``[N, noise_dim]`` float32 to images ``[N, H, W, C]`` in [-1, 1]; a conditional generator
    takes ``[noise, label]`` with int32 labels ``[N]`` (``num_classes`` in ``export.json``).
    Each artifact is written under a temporary name and renamed into place.
    """
    path = restore_checkpoint(experiment, checkpoint)
    model = keras.models.clone_model(experiment.sampler)
    model.set_weights(experiment.sampler.get_weights())

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    keras_path = out / KERAS_NAME
    tmp_keras = out / f".tmp_{KERAS_NAME}"  # Keras insists on the .keras suffix
    model.save(tmp_keras)
    os.replace(tmp_keras, keras_path)

    saved_path = out / SAVED_MODEL_NAME
    tmp_saved = Path(tempfile.mkdtemp(prefix=".tmp_saved_model_", dir=out))
    try:
        model.export(str(tmp_saved), format="tf_saved_model", verbose=False)
        if saved_path.exists():
            shutil.rmtree(saved_path)
        os.replace(tmp_saved, saved_path)
    finally:
        shutil.rmtree(tmp_saved, ignore_errors=True)

    c = experiment.config
    info = {
        "dataset": c.dataset,
        "run_name": c.run_name,
        "noise_dim": c.noise_dim,
        "noise": "standard normal, float32 [N, noise_dim]",
        "image_size": c.image_size,
        "channels": c.channels,
        "num_classes": experiment.num_classes,
        "inputs": ["noise", "label"] if experiment.num_classes else ["noise"],
        "value_range": [-1.0, 1.0],
        "generator": experiment.sampler_kind,
        "checkpoint": str(path),
        "epoch": experiment.epochs_done,
        "keras": KERAS_NAME,
        "saved_model": SAVED_MODEL_NAME,
        "serving_endpoint": "serve",
    }
    json_path = out / EXPORT_JSON
    tmp_json = out / f".{EXPORT_JSON}.tmp"
    tmp_json.write_text(json.dumps(info, indent=1))
    os.replace(tmp_json, json_path)
    return {"keras": keras_path, "saved_model": saved_path, "json": json_path}
