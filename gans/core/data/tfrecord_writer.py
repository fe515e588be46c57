"""One TFRecord exporter for every dataset (stylegan2-ada ``dataset_tool`` idea).

Per-dataset readers only yield ``ImageRecord`` / ``SkippedFile`` items; this module encodes
images as PNG, drops exact duplicates, writes tfds-style shards
``<name>-train.tfrecord-00000-of-00004`` and a ``manifest.json`` (count, skipped files and
why, duplicates, source, image size). Writes are atomic: everything goes to a temporary
folder that is renamed into place only after the manifest is written, so an interrupted
conversion never leaves shards that look complete.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np
import tensorflow as tf

from gans.core.errors import DataError
from gans.core.progress import Progress
from gans.core.run.run_lock import pid_alive

MANIFEST = "manifest.json"


def source_fingerprint(source: str | os.PathLike) -> dict | None:
    """What a conversion was made from: the source path and a digest of its file list
    with sizes and modification times (``None`` if ``source`` is not a local path)."""
    path = Path(os.fsdecode(source))
    try:
        if path.is_file():
            files = [(path, path.stat())]
        elif path.is_dir():
            files = sorted(
                (p, p.stat()) for p in path.rglob("*") if p.is_file() and not p.is_symlink()
            )
        else:
            return None
    except OSError:
        return None
    digest = hashlib.sha256()
    total = 0
    for file, stat in files:
        rel = os.fsencode(file.relative_to(path)) if file != path else b""
        digest.update(rel + b"\0" + f"{stat.st_size}:{stat.st_mtime_ns}\n".encode())
        total += stat.st_size
    return {
        "path": os.fsdecode(path.absolute()).encode("utf-8", "backslashreplace").decode(),
        "files": len(files),
        "bytes": total,
        "digest": digest.hexdigest(),
    }


def stale_reason(manifest: dict, source_dir: str | os.PathLike | None) -> str | None:
    """Why a conversion no longer matches its source (``None`` if it still does): another
    ``--source_dir``, or files added, removed or changed in the source it was made from."""
    fingerprint = manifest.get("fingerprint")
    made_from = fingerprint["path"] if fingerprint else manifest.get("source")
    if source_dir is not None and made_from is not None:
        asked = os.path.normpath(os.path.abspath(os.fsdecode(source_dir)))
        if asked != os.path.normpath(os.path.abspath(made_from)):
            return f"--source_dir={source_dir} is not the source it was made from ({made_from})"
    if not fingerprint:
        return None
    now = source_fingerprint(fingerprint["path"])
    if now is None or now["digest"] == fingerprint["digest"]:
        return None  # gone (the conversion is all that is left) or unchanged
    return (
        f"its source {fingerprint['path']} changed ({fingerprint['files']} files, "
        f"{fingerprint['bytes']} bytes when converted; now {now['files']} files, "
        f"{now['bytes']} bytes)"
    )


SHARD_BYTES = 64 << 20  # start a new shard after ~64 MiB of encoded images


@dataclasses.dataclass(frozen=True)
class ImageRecord:
    """One image ready to store: uint8 ``[H, W, C]``, optional class label, a source key."""

    image: np.ndarray
    key: str
    label: int = -1


@dataclasses.dataclass(frozen=True)
class SkippedFile:
    """A source item that could not become an image, and why."""

    key: str
    reason: str


def encode_png(image: np.ndarray) -> bytes:
    """PNG bytes of a uint8 ``[H, W, C]`` RGB(A)/gray array (OpenCV: fast, low compression)."""
    if image.ndim == 2:
        image = image[..., None]
    channels = image.shape[-1]
    if channels == 3:
        image = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    elif channels == 4:
        image = cv2.cvtColor(image, cv2.COLOR_RGBA2BGRA)
    ok, buf = cv2.imencode(".png", image, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not ok:
        raise ValueError("PNG encoding failed")
    return buf.tobytes()


def _example(png: bytes, shape: tuple[int, ...], label: int, key: str) -> bytes:
    def int_feature(v: int) -> tf.train.Feature:
        return tf.train.Feature(int64_list=tf.train.Int64List(value=[v]))

    def bytes_feature(v: bytes) -> tf.train.Feature:
        return tf.train.Feature(bytes_list=tf.train.BytesList(value=[v]))

    feature = {
        "image": bytes_feature(png),
        "height": int_feature(shape[0]),
        "width": int_feature(shape[1]),
        "channels": int_feature(shape[2]),
        "label": int_feature(label),
        "key": bytes_feature(key.encode("utf-8", "backslashreplace")),
    }
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def shard_name(name: str, split: str, index: int, total: int) -> str:
    """tfds-style shard file name."""
    return f"{name}-{split}.tfrecord-{index:05d}-of-{total:05d}"


def write_tfrecords(
    items: Iterable[ImageRecord | SkippedFile],
    out_dir: str | os.PathLike,
    name: str,
    image_size: int,
    channels: int,
    source: str,
    split: str = "train",
    shard_bytes: int = SHARD_BYTES,
    dedupe: bool = True,
    extra: dict | None = None,
) -> dict:
    """Write ``items`` as sharded TFRecords + manifest into ``out_dir``; return the manifest.

    Every image must already be uint8 ``[image_size, image_size, channels]``. An existing
    ``out_dir`` is replaced only once the new one is complete.
    """
    out_dir = Path(out_dir)
    fingerprint = source_fingerprint(source)  # before reading: a change during it counts
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    _remove_dead_temp_dirs(out_dir)
    tmp_dir = out_dir.with_name(f".{out_dir.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp_dir, ignore_errors=True)
    tmp_dir.mkdir()
    start = time.time()
    seen: dict[str, str] = {}
    skipped: list[dict] = []
    duplicates: list[dict] = []
    labels: dict[int, int] = {}
    shards: list[Path] = []
    writer, shard_size, count = None, 0, 0
    progress = Progress(f"converting {name}")
    try:
        for item in items:
            progress.update()
            if isinstance(item, SkippedFile):
                skipped.append({"file": item.key, "reason": item.reason})
                continue
            image = item.image if item.image.ndim == 3 else item.image[..., None]
            if image.shape != (image_size, image_size, channels) or image.dtype != np.uint8:
                raise DataError(
                    f"{item.key}: image is {image.dtype}{image.shape}, expected uint8"
                    f"{(image_size, image_size, channels)}"
                )
            if dedupe:
                digest = hashlib.sha256(image.tobytes()).digest()  # 32 bytes, not 64 hex
                if digest in seen:
                    duplicates.append({"file": item.key, "duplicate_of": seen[digest]})
                    continue
                seen[digest] = item.key
            png = encode_png(image)
            if writer is None or shard_size >= shard_bytes:
                if writer is not None:
                    writer.close()
                shards.append(tmp_dir / f"shard-{len(shards):05d}")
                writer = tf.io.TFRecordWriter(str(shards[-1]))
                shard_size = 0
            writer.write(_example(png, image.shape, item.label, item.key))
            shard_size += len(png)
            count += 1
            if item.label >= 0:
                labels[item.label] = labels.get(item.label, 0) + 1
    finally:
        progress.close()
        if writer is not None:
            writer.close()
    if count == 0:
        shutil.rmtree(tmp_dir, ignore_errors=True)
        reasons = "; ".join(f"{s['file']}: {s['reason']}" for s in skipped[:3])
        what = f"{len(skipped)} file(s), none an image it can use" if skipped else "no files"
        raise DataError(
            f"{source}: no usable images ({what}"
            + (f"; {reasons} ..." if reasons else "")
            + "); point --source_dir at a folder of PNG/JPEG/... images"
        )
    files = []
    for index, path in enumerate(shards):
        final = shard_name(name, split, index, len(shards))
        path.rename(tmp_dir / final)
        files.append(final)
    manifest = {
        "name": name,
        "split": split,
        "source": source.encode("utf-8", "backslashreplace").decode("utf-8"),
        "image_size": image_size,
        "channels": channels,
        "count": count,
        "shards": files,
        "shard_bytes": {f: (tmp_dir / f).stat().st_size for f in files},
        "label_counts": {str(k): v for k, v in sorted(labels.items())},
        "num_classes": (max(labels) + 1) if labels else 0,
        "skipped": skipped,
        "duplicates": duplicates,
        "seconds": round(time.time() - start, 2),
        **({"fingerprint": fingerprint} if fingerprint else {}),
        **(extra or {}),
    }
    (tmp_dir / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
    _swap_into_place(tmp_dir, out_dir)
    return manifest


def _swap_into_place(tmp_dir: Path, out_dir: Path) -> None:
    """Replace ``out_dir`` by ``tmp_dir``; if stopped half-way, put the old one back."""
    if not out_dir.exists():
        tmp_dir.rename(out_dir)
        return
    old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
    out_dir.rename(old)
    try:
        tmp_dir.rename(out_dir)
    except BaseException:
        if not out_dir.exists():
            old.rename(out_dir)
        raise
    shutil.rmtree(old, ignore_errors=True)


def read_manifest(tfrecord_dir: str | os.PathLike) -> dict | None:
    """The manifest of a complete conversion in ``tfrecord_dir``, or ``None`` if absent.

    If a conversion was stopped between its two renames (old folder aside, new one in),
    the previous complete folder is moved back first.
    """
    _recover_previous(Path(tfrecord_dir))
    path = Path(tfrecord_dir) / MANIFEST
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise DataError(
            f"{path}: unreadable manifest ({err}); delete the folder and convert again"
        ) from None


def _recover_previous(out_dir: Path) -> None:
    if out_dir.exists() or not out_dir.parent.is_dir():
        return
    for old in sorted(out_dir.parent.glob(f".{out_dir.name}.old-*")):
        if (old / MANIFEST).is_file():
            old.rename(out_dir)
            return


def _remove_dead_temp_dirs(out_dir: Path) -> None:
    """Delete temp folders of conversions whose process is gone (killed mid-way)."""
    for tmp in out_dir.parent.glob(f".{out_dir.name}.tmp-*"):
        pid = tmp.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not pid_alive(int(pid)):
            shutil.rmtree(tmp, ignore_errors=True)
