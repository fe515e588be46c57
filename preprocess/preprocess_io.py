"""Image reading, PNG writing and input listing shared by the preprocessing tools.

Every tool reads a folder of mixed images and writes one PNG per input, so the rules live here
once: which files count as images, how an input path maps to its output path, how images are
decoded into a predictable array layout (uint8, BGR or BGRA, never 2-D) and how PNGs are
written (atomically, byte-identical on re-runs).
"""

from __future__ import annotations

import csv
import io
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps

IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff"})
# JPEGs are decoded with IMREAD_COLOR so that the EXIF orientation is applied (IMREAD_UNCHANGED
# ignores it); they never carry alpha, so nothing is lost.
_JPEG_EXTENSIONS = frozenset({".jpg", ".jpeg"})
# Pillow handles GIF transparency and palettes more faithfully than OpenCV's GIF decoder.
_PILLOW_FIRST_EXTENSIONS = frozenset({".gif"})


class ImageReadError(Exception):
    """An input file could not be decoded as an image; the message is the one-line reason."""


def list_images(input_dir: Path, exclude: Path | None = None) -> list[Path]:
    """Return image files under `input_dir` (recursively), sorted, as paths relative to it.

    `exclude` (usually the output folder when it lies inside the input folder) is skipped so a
    re-run never reads its own outputs. Hidden files and folders are ignored.
    """
    input_dir = Path(input_dir)
    exclude_resolved = Path(exclude).resolve() if exclude is not None else None
    found: list[Path] = []
    for root, dirs, files in os.walk(input_dir):
        root_path = Path(root)
        dirs[:] = sorted(
            d
            for d in dirs
            if not d.startswith(".")
            and (exclude_resolved is None or (root_path / d).resolve() != exclude_resolved)
        )
        for name in files:
            if not name.startswith(".") and Path(name).suffix.lower() in IMAGE_EXTENSIONS:
                found.append((root_path / name).relative_to(input_dir))
    return sorted(found, key=lambda p: p.as_posix())


def count_non_images(input_dir: Path, exclude: Path | None = None) -> int:
    """Count regular, non-hidden files that `list_images` ignores (for the run summary)."""
    total = 0
    exclude_resolved = Path(exclude).resolve() if exclude is not None else None
    for root, dirs, files in os.walk(input_dir):
        root_path = Path(root)
        dirs[:] = [
            d
            for d in dirs
            if not d.startswith(".")
            and (exclude_resolved is None or (root_path / d).resolve() != exclude_resolved)
        ]
        total += sum(
            1
            for name in files
            if not name.startswith(".") and Path(name).suffix.lower() not in IMAGE_EXTENSIONS
        )
    return total


def png_output_names(relative_inputs: list[Path]) -> dict[Path, Path]:
    """Map each relative input path to a relative `.png` output path, without collisions.

    `a.jpg` becomes `a.png`; when two inputs share a stem in one folder (`a.jpg` and `a.png`)
    both keep their extension in the name (`a_jpg.png`, `a_png.png`), so no output overwrites
    another and the mapping does not depend on the order files are listed in.
    """
    by_target: dict[Path, list[Path]] = {}
    for rel in relative_inputs:
        by_target.setdefault(rel.with_suffix(".png"), []).append(rel)
    mapping: dict[Path, Path] = {}
    for target, sources in by_target.items():
        if len(sources) == 1:
            mapping[sources[0]] = target
        else:
            for rel in sources:
                ext = rel.suffix.lstrip(".").lower()
                mapping[rel] = rel.with_name(f"{rel.stem}_{ext}.png")
    return mapping


def read_image(path: Path) -> np.ndarray:
    """Decode `path` as uint8 BGR (HxWx3) or BGRA (HxWx4); raise ImageReadError if impossible.

    OpenCV decodes PNG/JPEG/WebP/BMP/TIFF; GIFs and anything OpenCV rejects go through Pillow
    (palette, grey+alpha and 16-bit images are normalised the same way).
    """
    path = Path(path)
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as err:
        raise ImageReadError(f"cannot read file ({err.strerror or err})") from err
    if data.size == 0:
        raise ImageReadError("empty file")
    ext = path.suffix.lower()
    image = None
    if ext not in _PILLOW_FIRST_EXTENSIONS:
        mode = cv2.IMREAD_COLOR if ext in _JPEG_EXTENSIONS else cv2.IMREAD_UNCHANGED
        image = _decode_quietly(data, mode)
    if image is None:
        image = _read_with_pillow(path)
    return _normalise(image)


def _decode_quietly(data: np.ndarray, mode: int) -> np.ndarray | None:
    """cv2.imdecode without OpenCV's own log lines: a failure is reported once, by the tool."""
    logging = cv2.utils.logging
    previous = logging.getLogLevel()
    logging.setLogLevel(logging.LOG_LEVEL_SILENT)
    try:
        return cv2.imdecode(data, mode)
    except cv2.error:
        return None
    finally:
        logging.setLogLevel(previous)


def _read_with_pillow(path: Path) -> np.ndarray:
    """Decode with Pillow (first frame), returning a BGR/BGRA array."""
    try:
        with Image.open(path) as pil:
            pil.seek(0)
            pil = ImageOps.exif_transpose(pil)
            has_alpha = pil.mode in ("RGBA", "LA", "PA") or (
                pil.mode == "P" and "transparency" in pil.info
            )
            pil = pil.convert("RGBA" if has_alpha else "RGB")
            array = np.asarray(pil)
    except Exception as err:  # Pillow raises many types for corrupt data
        raise ImageReadError(f"not a decodable image ({type(err).__name__})") from err
    code = cv2.COLOR_RGBA2BGRA if array.shape[2] == 4 else cv2.COLOR_RGB2BGR
    return cv2.cvtColor(array, code)


def _normalise(image: np.ndarray) -> np.ndarray:
    """Bring a decoded array to uint8 with 3 (BGR) or 4 (BGRA) channels."""
    if image.dtype == np.uint16:
        image = (image.astype(np.uint32) * 255 // 65535).astype(np.uint8)
    elif image.dtype != np.uint8:
        image = cv2.normalize(image, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 1:
        return cv2.cvtColor(image[:, :, 0], cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 2:  # grey + alpha
        bgr = cv2.cvtColor(image[:, :, 0], cv2.COLOR_GRAY2BGR)
        return np.dstack([bgr, image[:, :, 1]])
    if image.shape[2] > 4:
        return image[:, :, :4]
    return image


def encode_png(image: np.ndarray) -> bytes:
    """Encode a BGR/BGRA/grey uint8 array as PNG bytes (deterministic for equal input)."""
    ok, buffer = cv2.imencode(".png", image, [cv2.IMWRITE_PNG_COMPRESSION, 6])
    if not ok:
        raise ValueError("PNG encoding failed")
    return buffer.tobytes()


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` via a temporary file and rename, creating parent folders.

    An interrupted run never leaves a truncated output that a later `--skip_existing` run would
    accept; an unchanged file is left untouched (same bytes, same mtime).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data:
        return
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def write_png(path: Path, image: np.ndarray) -> None:
    """Write `image` (BGR or BGRA uint8) as a PNG at `path`, atomically."""
    write_bytes_atomic(path, encode_png(image))


def iter_input_output_pairs(input_dir: Path, output_dir: Path) -> Iterator[tuple[Path, Path, Path]]:
    """Yield (relative input, absolute input, absolute PNG output) for every input image."""
    relative = list_images(input_dir, exclude=output_dir)
    names = png_output_names(relative)
    for rel in relative:
        yield rel, Path(input_dir) / rel, Path(output_dir) / names[rel]


LABELS_FILE = "labels.csv"  # what the crawlers write beside their images (file,class)
# The file-name columns gans.core.data.class_labels reads (these tools do not import gans).
LABEL_FILE_COLUMNS = ("file", "filename", "path", "image")


def carry_labels(input_dir: Path, output_dir: Path, outputs: dict[Path, Path]) -> int | None:
    """Copy ``input_dir/labels.csv`` to ``output_dir`` for the images a tool kept.

    ``outputs`` maps each kept input (relative to ``input_dir``) to its output (relative to
    ``output_dir``): rows are renamed to the outputs (``a.jpg`` → ``a.png``) and rows of
    images that were dropped are left out, so ``--labels=auto`` keeps working on the output
    folder. Rows that name no input (a crawler's list of since-deleted files) are dropped
    too. An existing, different ``labels.csv`` in ``output_dir`` is left alone with a
    warning. Returns the rows written (``None``: no labels file to carry).
    """
    source = Path(input_dir) / LABELS_FILE
    if not source.is_file():
        return None
    rows = [r for r in csv.reader(source.read_text(encoding="utf-8-sig").splitlines()) if r]
    header = [c.strip().lower() for c in rows[0]] if rows else []
    columns = [header.index(c) for c in LABEL_FILE_COLUMNS if c in header]
    has_header = bool(columns)
    file_col = columns[0] if columns else 0
    body = rows[1:] if has_header else rows
    by_rel = {rel.as_posix(): out for rel, out in outputs.items()}
    by_name: dict[str, list[Path]] = {}
    for rel, out in outputs.items():
        by_name.setdefault(rel.name, []).append(out)
    kept = []
    for row in body:
        name = row[file_col].strip().removeprefix("./") if len(row) > file_col else ""
        out = by_rel.get(name) or (by_name[name][0] if len(by_name.get(name, ())) == 1 else None)
        if out is not None:
            kept.append([*row[:file_col], out.as_posix(), *row[file_col + 1 :]])
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(([rows[0]] if has_header else []) + kept)
    target = Path(output_dir) / LABELS_FILE
    if target.is_file() and target.read_text(encoding="utf-8-sig") != text.getvalue():
        print(f"warning: {target} exists and differs; left as it is", file=sys.stderr)
        return 0
    write_bytes_atomic(target, text.getvalue().encode())
    return len(kept)
