"""Label each sprite by its dominant colour: a ``labels.csv`` for ``--labels=FILE``.

For sets without class metadata (the pokesprite box sprites carry none): the object's
pixels (those not near the background) vote by hue when they are saturated and bright
enough; the hue bin with most votes is the class, and a sprite whose object is mostly
unsaturated (gray, black, white) is ``gray``. Bins (OpenCV hue 0-180): red-pink
(< 8 or >= 160), orange-brown, yellow, green, blue, purple.

    python preprocess/label_by_colour.py --input_dir=flat --output=flat/labels.csv

The CSV has a ``file,class`` header and paths relative to ``--input_dir``; the class
counts are printed.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
from absl import flags

import preprocess_cli
import preprocess_io

FLAGS = flags.FLAGS

HUE_BINS = (
    ("red-pink", 0, 8),
    ("orange-brown", 8, 20),
    ("yellow", 20, 33),
    ("green", 33, 80),
    ("blue", 80, 128),
    ("purple", 128, 160),
    ("red-pink", 160, 181),
)
GRAY = "gray"


def dominant_colour(
    image: np.ndarray,
    background_threshold: int = 235,
    min_saturation: float = 0.25,
    min_value: float = 0.25,
    min_colourful: float = 0.2,
) -> str:
    """The colour class of a BGR(A) uint8 sprite on a light (or transparent) background.

    Object pixels: alpha > 16 when there is alpha, else some channel below
    ``background_threshold``. If fewer than ``min_colourful`` of them have saturation and
    value of at least ``min_saturation`` / ``min_value``, the class is ``gray``; else the hue
    bin holding most of those pixels.
    """
    if image.ndim == 3 and image.shape[2] == 4:
        obj = image[..., 3] > 16
        bgr = np.ascontiguousarray(image[..., :3])
    else:
        bgr = image if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        obj = bgr.min(axis=2) < background_threshold
    hsv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)
    hue = hsv[..., 0]
    colourful = obj & (hsv[..., 1] >= 255 * min_saturation) & (hsv[..., 2] >= 255 * min_value)
    if colourful.sum() < min_colourful * max(int(obj.sum()), 1) or not colourful.any():
        return GRAY
    votes: Counter[str] = Counter()
    for name, low, high in HUE_BINS:
        votes[name] += int((colourful & (hue >= low) & (hue < high)).sum())
    return votes.most_common(1)[0][0]


def labels_csv(rows: list[tuple[str, str]]) -> str:
    """``file,class`` CSV text of ``(relative path, class)`` rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["file", "class"])
    writer.writerows(rows)
    return buffer.getvalue()


def define_flags() -> None:
    """Define this tool's flags (called only when run as a script)."""
    flags.DEFINE_string("input_dir", None, "Folder of sprites (searched recursively).")
    flags.DEFINE_string("output", None, "CSV to write (default <input_dir>/labels.csv).")
    flags.DEFINE_integer(
        "background_threshold",
        235,
        "Opaque images: a pixel is background when every channel is >= this.",
        lower_bound=0,
        upper_bound=255,
    )
    flags.mark_flags_as_required(["input_dir"])


def main(argv: list[str]) -> int:
    """Write ``--output`` with one row per image of ``--input_dir``."""
    del argv
    input_dir = Path(FLAGS.input_dir)
    if not input_dir.is_dir():
        raise preprocess_cli.ToolError(f"--input_dir={input_dir}: not a folder")
    output = Path(FLAGS.output) if FLAGS.output else input_dir / preprocess_io.LABELS_FILE
    rows = []
    for rel in preprocess_io.list_images(input_dir):
        try:
            image = preprocess_io.read_image(input_dir / rel)
        except preprocess_io.ImageReadError as err:
            print(f"skipped {rel.as_posix()}: {err}")
            continue
        rows.append((rel.as_posix(), dominant_colour(image, FLAGS.background_threshold)))
    if not rows:
        raise preprocess_cli.ToolError(f"--input_dir={input_dir}: no images")
    preprocess_io.write_bytes_atomic(output, labels_csv(rows).encode())
    counts = Counter(name for _, name in rows)
    listed = ", ".join(f"{name} {n}" for name, n in sorted(counts.items()))
    print(f"wrote {output}: {len(rows)} images, {len(counts)} classes: {listed}")
    return 0


if __name__ == "__main__":
    preprocess_cli.run_tool(main, define_flags)
