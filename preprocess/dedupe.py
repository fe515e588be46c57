"""Remove exact and near-duplicate images by perceptual hash; inputs are never touched.

Kept files are copied byte for byte (same name and format) to the output folder; a report
(JSON, or CSV when --report ends in .csv) lists every removed file, the kept file it
duplicates and their Hamming distance, plus the files that could not be read.

    python preprocess/dedupe.py --input_dir=datasets/pokemon/raw_all \
        --output_dir=datasets/pokemon/raw --method=phash --max_distance=5
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from absl import flags

import perceptual_hash
import preprocess_cli
import preprocess_io

FLAGS = flags.FLAGS
DEFAULT_REPORT_NAME = "dedupe_report.json"


def define_flags() -> None:
    """Define this tool's flags (called only when run as a script)."""
    preprocess_cli.define_folder_flags()
    flags.DEFINE_enum("method", "phash", list(perceptual_hash.HASH_METHODS), "Perceptual hash.")
    flags.DEFINE_integer(
        "hash_size", 8, "Hash side: the hash has hash_size**2 bits.", lower_bound=4, upper_bound=32
    )
    flags.DEFINE_integer(
        "max_distance",
        5,
        "Images whose hashes differ in at most this many bits are duplicates (0: same hash).",
        lower_bound=0,
    )
    flags.DEFINE_enum(
        "prefer",
        "largest",
        ["largest", "first"],
        "Which of a group to keep: the most pixels (ties: first by path), or the first by path.",
    )
    flags.DEFINE_string(
        "report", None, f"Report path (.json or .csv); default <output_dir>/{DEFAULT_REPORT_NAME}."
    )
    flags.register_validator(
        "report",
        lambda v: v is None or Path(v).suffix.lower() in (".json", ".csv"),
        message="--report must end in .json or .csv",
    )


@dataclass
class Entry:
    """One readable input: its path, content digest, hash and size."""

    rel: Path
    sha256: str
    packed_hash: np.ndarray
    pixels: int


@dataclass
class Removal:
    """A removed file and the kept file it duplicates."""

    file: str
    duplicate_of: str
    distance: int
    exact: bool


def find_duplicates(
    entries: list[Entry], max_distance: int, prefer: str
) -> tuple[list[Entry], list[Removal]]:
    """Greedy grouping: in preference order, an image is kept unless it matches a kept one.

    Exact byte duplicates match by SHA-256 (distance 0); others by the smallest Hamming
    distance to any kept image (ties: the earliest kept). Returns (kept, removed).
    """
    if prefer == "largest":
        order = sorted(entries, key=lambda e: (-e.pixels, e.rel.as_posix()))
    else:
        order = sorted(entries, key=lambda e: e.rel.as_posix())
    kept: list[Entry] = []
    removed: list[Removal] = []
    by_digest: dict[str, Entry] = {}
    hash_bytes = order[0].packed_hash.size if order else 0
    kept_hashes = np.zeros((len(order), hash_bytes), np.uint8)
    for entry in order:
        twin = by_digest.get(entry.sha256)
        if twin is not None:
            removed.append(Removal(entry.rel.as_posix(), twin.rel.as_posix(), 0, True))
            continue
        if kept:
            distances = perceptual_hash.hamming_to_many(kept_hashes[: len(kept)], entry.packed_hash)
            best = int(np.argmin(distances))
            if distances[best] <= max_distance:
                removed.append(
                    Removal(
                        entry.rel.as_posix(), kept[best].rel.as_posix(), int(distances[best]), False
                    )
                )
                continue
        kept_hashes[len(kept)] = entry.packed_hash
        kept.append(entry)
        by_digest[entry.sha256] = entry
    removed.sort(key=lambda r: r.file)
    kept.sort(key=lambda e: e.rel.as_posix())
    return kept, removed


def hash_folder(
    input_dir: Path, output_dir: Path, method: str, hash_size: int
) -> tuple[list[Entry], list[tuple[str, str]]]:
    """Hash every image under `input_dir`; returns (entries, unreadable (path, reason))."""
    entries: list[Entry] = []
    unreadable: list[tuple[str, str]] = []
    for rel in preprocess_io.list_images(input_dir, exclude=output_dir):
        path = input_dir / rel
        try:
            data = path.read_bytes()
            image = preprocess_io.read_image(path)
        except (OSError, preprocess_io.ImageReadError) as err:
            reason = " ".join(str(err).split())
            unreadable.append((rel.as_posix(), reason))
            print(f"skipped {rel.as_posix()}: {reason}", file=sys.stderr)
            continue
        entries.append(
            Entry(
                rel,
                hashlib.sha256(data).hexdigest(),
                perceptual_hash.image_hash(image, method, hash_size),
                image.shape[0] * image.shape[1],
            )
        )
    return entries, unreadable


def format_report(
    removed: list[Removal], unreadable: list[tuple[str, str]], settings: dict, as_csv: bool
) -> bytes:
    """The report as JSON (settings, counts, removed, unreadable) or CSV (one row per file)."""
    if as_csv:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["status", "file", "duplicate_of", "distance", "exact", "reason"])
        for r in removed:
            writer.writerow(["removed", r.file, r.duplicate_of, r.distance, r.exact, ""])
        for file, reason in unreadable:
            writer.writerow(["unreadable", file, "", "", "", reason])
        return buffer.getvalue().encode()
    report = {
        **settings,
        "removed": [vars(r) for r in removed],
        "unreadable": [{"file": f, "reason": reason} for f, reason in unreadable],
    }
    return (json.dumps(report, indent=2) + "\n").encode()


def main(argv: list[str]) -> int:
    """Copy the non-duplicate images of --input_dir to --output_dir and write the report."""
    del argv
    input_dir, output_dir = preprocess_cli.check_folders(FLAGS.input_dir, FLAGS.output_dir)
    bits = FLAGS.hash_size**2
    if FLAGS.max_distance > bits:
        raise preprocess_cli.ToolError(f"--max_distance must be <= {bits} (hash bits)")
    report_path = Path(FLAGS.report) if FLAGS.report else output_dir / DEFAULT_REPORT_NAME
    entries, unreadable = hash_folder(input_dir, output_dir, FLAGS.method, FLAGS.hash_size)
    kept, removed = find_duplicates(entries, FLAGS.max_distance, FLAGS.prefer)
    output_dir.mkdir(parents=True, exist_ok=True)
    for entry in kept:
        target = output_dir / entry.rel
        if not (FLAGS.skip_existing and target.is_file()):
            preprocess_io.write_bytes_atomic(target, (input_dir / entry.rel).read_bytes())
    preprocess_io.carry_labels(input_dir, output_dir, {e.rel: e.rel for e in kept})
    settings = {
        "method": FLAGS.method,
        "hash_size": FLAGS.hash_size,
        "max_distance": FLAGS.max_distance,
        "prefer": FLAGS.prefer,
        "inputs": len(entries) + len(unreadable),
        "kept": len(kept),
        "removed_count": len(removed),
        "unreadable_count": len(unreadable),
    }
    as_csv = report_path.suffix.lower() == ".csv"
    preprocess_io.write_bytes_atomic(
        report_path, format_report(removed, unreadable, settings, as_csv)
    )
    stale = [r.file for r in removed if (output_dir / r.file).exists()]
    if stale:
        print(
            f"warning: {len(stale)} removed files are still in {output_dir} from an earlier run "
            "(this tool never deletes); use a fresh output folder",
            file=sys.stderr,
        )
    print(
        f"kept {len(kept)}, removed {len(removed)} duplicates, skipped {len(unreadable)} "
        f"unreadable; report: {report_path}"
    )
    return 0


if __name__ == "__main__":
    preprocess_cli.run_tool(main, define_flags)
