"""A contact sheet of a converted dataset, so a user sees the data before training."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from gans.core.data.class_labels import describe_classes, manifest_class_names
from gans.core.data.provider import dataset_info, decode_images
from gans.core.report.image_grid import save_grid

CONTACT_SHEET = "contact_sheet.png"


MAX_CLASS_COLUMNS = 32


def write_contact_sheet(
    tfrecord_dir: str | os.PathLike, path: str | os.PathLike | None = None, max_images: int = 256
) -> Path:
    """Tile the first ``max_images`` stored images into ``<tfrecord_dir>/contact_sheet.png``.

    A labelled set (up to ``MAX_CLASS_COLUMNS`` classes) gets one column per class, titled
    with its name and image count; more classes list their counts under the title.
    """
    info = dataset_info(tfrecord_dir)
    names = manifest_class_names(info)
    title = (
        f"{info['name']}: {info['count']} images, {info['image_size']} px, {info['channels']} ch"
    )
    if info["skipped"] or info["duplicates"]:
        title += f" ({len(info['skipped'])} skipped, {len(info['duplicates'])} duplicates)"
    out = Path(path) if path else Path(tfrecord_dir) / CONTACT_SHEET
    min_cell = min(64, info["image_size"] * 2)
    if names and len(names) <= MAX_CLASS_COLUMNS:
        batch, titles = _class_columns(tfrecord_dir, info, names, max_images)
        title += f", {len(names)} classes"
        return save_grid(batch, out, title=title, min_cell=min_cell, column_titles=titles)
    images = decode_images(tfrecord_dir, info["image_size"], info["channels"])
    batch = np.concatenate([b for b in images.batch(max_images).take(1).as_numpy_iterator()])
    if names:
        title += "\n" + describe_classes(info).removeprefix("; ")
    return save_grid(batch, out, title=title, min_cell=min_cell)


def _class_columns(tfrecord_dir, info: dict, names, max_images: int):
    """The first images of each class, one class per column (blank cells below a class
    that has fewer), and the column titles (name, then the class's image count)."""
    rows = max(1, min(16, max_images // len(names)))
    size, channels = info["image_size"], info["channels"]
    columns: list[list[np.ndarray]] = [[] for _ in names]
    images = decode_images(tfrecord_dir, size, channels, with_labels=True)
    for image, label in images.as_numpy_iterator():
        if 0 <= label < len(names) and len(columns[label]) < rows:
            columns[label].append(image)
        if all(len(c) >= rows for c in columns):
            break
    depth = max(1, max(len(c) for c in columns))
    blank = np.ones((size, size, channels), np.float32)  # white (transparent for RGBA)
    if channels == 4:
        blank[..., 3] = -1.0
    grid = [
        columns[c][r] if r < len(columns[c]) else blank
        for r in range(depth)
        for c in range(len(names))
    ]
    counts = info.get("label_counts", {})
    titles = [f"{n}\n{counts.get(str(i), 0)}" for i, n in enumerate(names)]
    return np.stack(grid), titles
