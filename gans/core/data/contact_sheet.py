"""A contact sheet of a converted dataset, so a user sees the data before training."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from gans.core.data.provider import dataset_info, decode_images
from gans.core.report.image_grid import save_grid

CONTACT_SHEET = "contact_sheet.png"


def write_contact_sheet(
    tfrecord_dir: str | os.PathLike, path: str | os.PathLike | None = None, max_images: int = 256
) -> Path:
    """Tile the first ``max_images`` stored images into ``<tfrecord_dir>/contact_sheet.png``."""
    info = dataset_info(tfrecord_dir)
    images = decode_images(tfrecord_dir, info["image_size"], info["channels"])
    batch = np.concatenate([b for b in images.batch(max_images).take(1).as_numpy_iterator()])
    title = (
        f"{info['name']}: {info['count']} images, {info['image_size']} px, {info['channels']} ch"
    )
    if info["skipped"] or info["duplicates"]:
        title += f" ({len(info['skipped'])} skipped, {len(info['duplicates'])} duplicates)"
    out = Path(path) if path else Path(tfrecord_dir) / CONTACT_SHEET
    return save_grid(batch, out, title=title, min_cell=min(64, info["image_size"] * 2))
