"""Any folder of images → TFRecords, through the shared writer.

Files are read with ``gans.core.data.image_io`` (PNG, JPEG, GIF, WebP, BMP, TIFF, SVG; every
colour mode; EXIF rotation; crop or pad to square). Files that cannot become an image are
listed in the manifest with the reason; nothing else is lost.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from gans.core.data.class_labels import ClassLabels, plan_labels, unlabelled_manifest_entry
from gans.core.data.image_io import ImageSkipped, iter_image_files, load_image
from gans.core.data.record_keys import record_key
from gans.core.data.tfrecord_writer import ImageRecord, SkippedFile, write_tfrecords
from gans.core.errors import MissingDataError

NAMED_COLOURS = {"white": (255, 255, 255), "black": (0, 0, 0), "gray": (128, 128, 128)}


@dataclasses.dataclass(frozen=True)
class ConvertOptions:
    """How source images become training images.

    Attributes:
      image_size: stored size (square).
      channels: 1 (gray), 3 (RGB; alpha composited on ``background``) or 4 (RGBA kept).
      fit: "crop" (center-crop to square) or "pad" (pad with ``background``).
      background: colour name or "R,G,B".
      labels: where class labels come from: auto, subfolders, none or a mapping file
        (see ``gans.core.data.class_labels``). Not part of ``tag``: the manifest records it.
    """

    image_size: int
    channels: int
    fit: str = "crop"
    background: str = "white"
    labels: str = "auto"

    def background_rgb(self) -> tuple[int, int, int]:
        return parse_colour(self.background)

    @property
    def tag(self) -> str:
        """Folder name distinguishing conversions made with different options."""
        tag = f"{self.image_size}px_{self.channels}ch_{self.fit}"
        if self.channels != 4 or self.fit == "pad":
            tag += "_" + self.background.replace(",", "-").replace("#", "")
        return tag


def parse_colour(text: str) -> tuple[int, int, int]:
    """``white``/``black``/``gray`` or ``R,G,B`` (0-255) → a tuple; one-line ValueError."""
    if text in NAMED_COLOURS:
        return NAMED_COLOURS[text]
    try:
        rgb = tuple(int(v) for v in text.split(","))
    except ValueError:
        rgb = ()
    if len(rgb) != 3 or not all(0 <= v <= 255 for v in rgb):
        raise ValueError(f"colour {text!r}: use white, black, gray or R,G,B with values 0-255")
    return rgb  # type: ignore[return-value]


def folder_records(
    source_dir: str | os.PathLike,
    options: ConvertOptions,
    select: Callable[[Path], bool] | None = None,
    labels: ClassLabels | None = None,
) -> Iterator[ImageRecord | SkippedFile]:
    """One record per file under ``source_dir`` (``select`` filters which files count),
    labelled by ``labels`` when given."""
    root = Path(source_dir)
    pending: list[SkippedFile] = []

    def on_skip(path: Path, reason: str) -> None:
        pending.append(SkippedFile(record_key(path, root), reason))

    for path in iter_image_files(root, on_skip=on_skip):
        yield from pending
        pending.clear()
        if select is not None and not select(path):
            continue
        key = record_key(path, root)
        try:
            image = load_image(
                path, options.image_size, options.channels, options.fit, options.background_rgb()
            )
        except ImageSkipped as skipped:
            yield SkippedFile(key, skipped.reason)
        else:
            label = labels.label(key) if labels else -1
            if labels and label < 0:  # an image whose name has no image suffix
                yield SkippedFile(key, "no class label (its name has no image suffix)")
                continue
            yield ImageRecord(image, key, label)
    yield from pending


def convert_folder(
    source_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    name: str,
    options: ConvertOptions,
    select: Callable[[Path], bool] | None = None,
    missing_hint: str = "",
    class_of: Callable[[str], str | None] | None = None,
) -> dict:
    """Convert every image under ``source_dir``; return the manifest.

    Labels follow ``options.labels`` (``gans.core.data.class_labels.plan_labels``); ``class_of``
    is a dataset's own rule (file key → class name) that ``auto`` falls back on.
    """
    if not Path(source_dir).is_dir():
        hint = f"; {missing_hint}" if missing_hint else ""
        raise MissingDataError(f"{source_dir}: no such folder of images{hint}")
    root = Path(source_dir)
    keys = [
        record_key(path, root) for path in iter_image_files(root) if select is None or select(path)
    ]
    labels = plan_labels(options.labels, root, keys, class_of)
    setting = options.labels
    label_info = labels.manifest_entry(setting) if labels else unlabelled_manifest_entry(setting)
    return write_tfrecords(
        folder_records(source_dir, options, select, labels),
        out_dir,
        name,
        options.image_size,
        options.channels,
        source=str(source_dir),
        extra={"fit": options.fit, "background": options.background, **label_info},
    )
