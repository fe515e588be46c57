"""Fuzz test of the folder → TFRecord converter: >1000 malformed inputs mixed with good ones.

Inputs come from ``tests/core/fuzz_inputs.py`` (fixed seed). The corpus is converted once
per option set (RGB crop, gray pad, RGBA pad) and shared by the tests below; each asserts
one property: no crash, every input accounted for exactly once (kept / skipped /
duplicate), good images round-trip exactly through ``decode_images``, and the expectation
per kind of input. ``Image.new`` is guarded during the run (see AllocationGuard) so a known
bug shows up as an xfail instead of an OOM kill. Bugs found are ``xfail(strict=True)``.
The atomicity tests interrupt a conversion at several points and check that the previous
output survives.
"""

from __future__ import annotations

import builtins
import collections
import dataclasses
import errno
import io
import os
import pathlib
import traceback
import warnings
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from gans.core.data import folder_converter, image_io, tfrecord_writer
from gans.core.data.folder_converter import ConvertOptions, convert_folder
from gans.core.data.image_io import ImageSkipped, load_image
from gans.core.data.provider import dataset_info, decode_images
from gans.core.data.tfrecord_writer import read_manifest
from tests.core.fuzz_inputs import LOCKED_MARK, Case, build_corpus, manifest_key

SEED = 20240611
SIZE = 16
CHANNELS = 3
OPTIONS = ConvertOptions(SIZE, CHANNELS)
# the corpus is converted once per option set: RGB crop, gray pad, RGBA pad
OPTION_SETS = [
    OPTIONS,
    ConvertOptions(SIZE, 1, "pad", "black"),
    ConvertOptions(SIZE, 4, "pad", "0,128,255"),
]


def locked_open(file, *args, **kwargs):
    """``open`` that denies access to files named ``locked_*`` (root ignores chmod)."""
    if isinstance(file, str | bytes | os.PathLike) and LOCKED_MARK in os.fsdecode(file):
        raise PermissionError(errno.EACCES, "Permission denied", os.fsdecode(file))
    return builtins.open(file, *args, **kwargs)


class AllocationGuard:
    """Refuses (MemoryError) and records any ``Image.new`` above the bomb limit.

    Without it, fit="pad" on a tiny 1x65500 strip allocates a 65500x65500 canvas
    (~17 GB RGBA) and the kernel OOM-kills the test process.
    """

    def __init__(self) -> None:
        self.refused: list[tuple[str, tuple[int, int]]] = []

    def install(self, mp: pytest.MonkeyPatch) -> AllocationGuard:
        original = Image.new

        def new(mode, size, *args, **kwargs):
            width, height = size
            if width * height > Image.MAX_IMAGE_PIXELS:
                self.refused.append((mode, (width, height)))
                raise MemoryError(f"test guard: Image.new({mode!r}, {width}x{height})")
            return original(mode, size, *args, **kwargs)

        mp.setattr(Image, "new", new)
        return self


def read_records(out_dir: Path) -> list[tuple[str, np.ndarray]]:
    """(key, uint8 image) of every stored record, in shard order."""
    manifest = read_manifest(out_dir)
    files = [str(out_dir / s) for s in manifest["shards"]]
    records = []
    for raw in tf.data.TFRecordDataset(files):
        feature = tf.train.Example.FromString(raw.numpy()).features.feature
        key = feature["key"].bytes_list.value[0].decode("utf-8")
        image = np.asarray(Image.open(io.BytesIO(feature["image"].bytes_list.value[0])))
        records.append((key, image if image.ndim == 3 else image[..., None]))
    return records


@dataclasses.dataclass
class FuzzRun:
    """Everything the tests look at after converting the corpus once."""

    options: ConvertOptions
    cases: list[Case]
    manifest: dict | None
    kept: dict[str, np.ndarray]
    decoded: np.ndarray | None
    crashes: list[str]  # tracebacks: load_image raising non-ImageSkipped, or convert_folder
    oversized: list[str]  # inputs for which load_image asked for an image above the limit

    def inputs(self) -> list[Case]:
        return [c for c in self.cases if c.kind != "ignored"]

    def skipped(self) -> dict[str, str]:
        return {s["file"]: s["reason"] for s in self.manifest["skipped"]}

    def duplicates(self) -> dict[str, str]:
        return {d["file"]: d["duplicate_of"] for d in self.manifest["duplicates"]}


def expected_pixels(rgb: np.ndarray, channels: int) -> np.ndarray:
    """What load_image makes of an opaque RGB image of the target size."""
    if channels == 3:
        return rgb
    if channels == 4:
        return np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)])
    return np.asarray(Image.fromarray(rgb, "RGB").convert("L"))[..., None]


@pytest.fixture(scope="module", params=OPTION_SETS, ids=lambda o: o.tag)
def run(request, tmp_path_factory) -> FuzzRun:
    """Build the corpus, probe every file with load_image, convert the folder once."""
    options: ConvertOptions = request.param
    size, channels, fit, bg = (
        options.image_size,
        options.channels,
        options.fit,
        options.background_rgb(),
    )
    base = tmp_path_factory.mktemp("fuzz")
    src, outside, out = base / "src", base / "outside", base / "out"
    src.mkdir()
    outside.mkdir()
    cases = build_corpus(src, outside, SEED, SIZE)
    crashes: list[str] = []
    oversized: list[str] = []
    manifest, kept, decoded = None, {}, None
    with pytest.MonkeyPatch.context() as mp, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # Pillow: "Corrupt EXIF data", ...
        mp.setattr(image_io, "open", locked_open, raising=False)
        guard = AllocationGuard().install(mp)
        for case in cases:  # per-file probe: anything but ImageSkipped is a crash
            refused = len(guard.refused)
            try:
                load_image(os.path.join(os.fsencode(src), case.rel), size, channels, fit, bg)
            except ImageSkipped:
                pass
            except BaseException:
                crashes.append(f"load_image({case.rel!r}):\n{traceback.format_exc()}")
            if len(guard.refused) > refused:
                oversized.append(f"{case.key}: {guard.refused[refused:]}")
        try:
            manifest = convert_folder(src, out, "fuzz", options)
        except BaseException:
            crashes.append(f"convert_folder:\n{traceback.format_exc()}")
    if manifest is not None:
        kept = dict(read_records(out))
        decoded = np.stack(list(decode_images(out, size, channels).as_numpy_iterator()))
    return FuzzRun(options, cases, manifest, kept, decoded, crashes, oversized)


# --------------------------------------------------------------------------- the fuzz run


def test_no_crash(run: FuzzRun):
    """convert_folder returns normally; load_image raises only ImageSkipped on every input."""
    assert len(run.inputs()) >= 1000
    assert not run.crashes, "\n".join(run.crashes[:3])
    assert run.manifest is not None


def test_every_input_accounted_for_exactly_once(run: FuzzRun):
    """Multiset of manifest keys (kept + skipped + duplicates) == the generated inputs."""
    listed = collections.Counter(
        [*run.kept, *(s["file"] for s in run.manifest["skipped"])]
        + [d["file"] for d in run.manifest["duplicates"]]
    )
    assert len(run.kept) == run.manifest["count"]  # record keys are unique
    expected = collections.Counter()
    for case in run.inputs():
        if case.ancestor_ok and case.key not in listed:
            # a path beyond PATH_MAX: its nearest unlistable parent directory is reported
            parents = [k for k in run.skipped() if case.key.startswith(k + "/")]
            assert len(parents) == 1, case.key
            expected[parents[0]] += 1
        else:
            expected[case.key] += 1
    missing, extra = expected - listed, listed - expected
    assert not missing and not extra, f"missing {list(missing)[:5]}, extra {list(extra)[:5]}"
    hidden = [c.key for c in run.cases if c.kind == "ignored"]
    assert not set(hidden) & set(listed)


def test_good_images_kept_and_round_trip(run: FuzzRun):
    """Every good image is stored under its key with exactly its pixels."""
    goods = [c for c in run.inputs() if c.kind == "good"]
    assert len(goods) >= 50
    for case in goods:
        assert case.key in run.kept, (case.key, run.skipped().get(case.key))
        expected = expected_pixels(case.expected, run.options.channels)
        np.testing.assert_array_equal(run.kept[case.key], expected, err_msg=case.key)


def test_decode_images_reads_every_kept_image(run: FuzzRun):
    """The provider reads back manifest["count"] well-formed images equal to the records."""
    decoded = run.decoded
    size, channels = run.options.image_size, run.options.channels
    assert decoded.shape == (run.manifest["count"], size, size, channels)
    assert decoded.dtype == np.float32
    assert decoded.min() >= -1.0 and decoded.max() <= 1.0
    as_uint8 = np.rint((decoded + 1.0) * 127.5).astype(np.uint8)
    np.testing.assert_array_equal(as_uint8, np.stack(list(run.kept.values())))


def test_expectations_per_kind(run: FuzzRun):
    """valid → kept or duplicate; skip → skipped (reason); dup → duplicate of its target."""
    skipped, dups = run.skipped(), run.duplicates()
    for case in run.inputs():
        if case.kind == "valid":
            assert case.key in run.kept or case.key in dups, (case.key, skipped.get(case.key))
        elif case.kind == "skip":
            assert case.key in skipped, case.key
            assert case.reason_has in skipped[case.key], (case.key, skipped[case.key])
        elif case.kind == "dup":
            assert dups.get(case.key) == manifest_key(case.dup_of), case.key


def test_skip_reasons_and_duplicate_targets(run: FuzzRun):
    """Every skip has a non-empty one-line reason; every duplicate points to a kept key."""
    for entry in run.manifest["skipped"]:
        assert isinstance(entry["reason"], str) and entry["reason"].strip(), entry
        assert "\n" not in entry["reason"], entry
    for entry in run.manifest["duplicates"]:
        assert entry["duplicate_of"] in run.kept, entry


def test_report_figures(run: FuzzRun, capsys, record_property):
    """Print the figures (shown without -s) and record them for the junit report."""
    inputs = run.inputs()
    kinds = collections.Counter(c.kind for c in inputs)
    figures = {
        "inputs": len(inputs),
        "kept": run.manifest["count"],
        "skipped": len(run.manifest["skipped"]),
        "duplicates": len(run.manifest["duplicates"]),
        "crashes": len(run.crashes),
        "hidden_ignored": len(run.cases) - len(inputs),
    }
    reasons = collections.Counter(s["reason"].split(":")[0] for s in run.manifest["skipped"])
    for name, value in figures.items():
        record_property(name, value)
    with capsys.disabled():
        print(
            f"\nconverter fuzz [{run.options.tag}]:",
            ", ".join(f"{k}={v}" for k, v in figures.items()),
        )
        print("  inputs by kind:", dict(kinds))
        print("  skip reasons:", dict(reasons.most_common()))
    assert figures["crashes"] == 0


# --------------------------------------------------------------------------- bugs found


def test_no_allocation_beyond_bomb_limit(run: FuzzRun, request):
    """No input makes load_image allocate an image larger than Image.MAX_IMAGE_PIXELS."""
    assert not run.oversized, run.oversized


def test_pad_of_extreme_aspect_ratio_stays_small(tmp_path, monkeypatch):
    """A tiny 1x65500 strip pads to a square without a giant intermediate canvas."""
    path = tmp_path / "strip.png"
    Image.new("L", (1, 65500), 90).save(path)
    assert path.stat().st_size < 1000
    guard = AllocationGuard().install(monkeypatch)
    try:
        image = load_image(path, SIZE, 3, "pad", (0, 0, 0))
    except ImageSkipped as exc:
        pytest.fail(f"skipped ({exc.reason}); refused allocations {guard.refused}")
    assert image.shape == (SIZE, SIZE, 3)
    assert not guard.refused


def test_non_utf8_source_folder(tmp_path):
    """A source folder whose own path is not UTF-8 converts (file names already do)."""
    src = os.path.join(os.fsencode(tmp_path), b"photos_\xff")
    os.mkdir(src)
    Image.new("RGB", (4, 4), (1, 2, 3)).save(os.fsdecode(os.path.join(src, b"a.png")))
    manifest = convert_folder(os.fsdecode(src), tmp_path / "out", "x", OPTIONS)
    assert manifest["count"] == 1
    assert read_manifest(tmp_path / "out")["count"] == 1


def test_distinct_files_get_distinct_keys(tmp_path):
    """Two different files never share a manifest key, even when one name spells out the
    escape of the other's undecodable byte."""
    src = os.fsencode(tmp_path / "src")
    os.mkdir(src)
    for i, name in enumerate((b"x\xff.png", b"x\\xff.png")):
        Image.new("RGB", (4, 4), (i, 0, 0)).save(os.fsdecode(os.path.join(src, name)))
    manifest = convert_folder(os.fsdecode(src), tmp_path / "out", "x", OPTIONS)
    assert manifest["count"] == 2
    keys = [key for key, _ in read_records(tmp_path / "out")]
    assert len(set(keys)) == 2, keys


def test_permission_reason_independent_of_path(tmp_path, monkeypatch):
    """An unreadable file is 'permission denied' whatever its folder is called."""
    path = tmp_path / "truncated_uploads" / f"{LOCKED_MARK}photo.png"
    path.parent.mkdir()
    Image.new("RGB", (4, 4)).save(path)
    monkeypatch.setattr(image_io, "open", locked_open, raising=False)
    with pytest.raises(ImageSkipped) as info:
        load_image(path, SIZE, CHANNELS)
    assert info.value.reason == "permission denied"


def test_raster_named_svg_is_kept(tmp_path):
    """A PNG with an .svg extension is decoded like a PNG named .jpg is."""
    path = tmp_path / "actually_png.svg"
    Image.new("RGB", (4, 4), (9, 8, 7)).save(path, "PNG")
    assert load_image(path, SIZE, CHANNELS).shape == (SIZE, SIZE, CHANNELS)


def test_real_permission_denied(tmp_path):
    """chmod 000 → 'permission denied' (only meaningful when not running as root)."""
    if os.geteuid() == 0:
        pytest.skip("running as root: file permissions do not block reads (simulated above)")
    src = tmp_path / "src"
    src.mkdir()
    Image.new("RGB", (4, 4), (1, 1, 1)).save(src / "ok.png")
    Image.new("RGB", (4, 4), (2, 2, 2)).save(src / "secret.png")
    (src / "secret.png").chmod(0)
    try:
        manifest = convert_folder(src, tmp_path / "out", "x", OPTIONS)
    finally:
        (src / "secret.png").chmod(0o644)
    assert manifest["skipped"] == [{"file": "secret.png", "reason": "permission denied"}]


# --------------------------------------------------------------------------- atomicity


def write_source(folder: Path, count: int, seed: int, bad: int = 0) -> None:
    """``count`` distinct good PNGs plus ``bad`` truncated ones."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    for i in range(count):
        Image.fromarray(rng.integers(0, 256, (SIZE, SIZE, 3), np.uint8)).save(folder / f"{i}.png")
    for i in range(bad):
        (folder / f"bad_{i}.png").write_bytes((folder / "0.png").read_bytes()[:30])


def complete_conversions(parent: Path) -> list[str]:
    """Visible folders under ``parent`` that read_manifest/provider would accept.

    Hidden ``.<out>.tmp-<pid>`` leftovers of an interrupted run are not datasets (nothing
    points a reader at them); the next conversion by the same process removes them.
    """
    found = []
    for d in parent.iterdir():
        if d.name.startswith("."):
            continue
        try:
            manifest = read_manifest(d) if d.is_dir() else None
        except ValueError:  # a half-written manifest.json: rejected, not read as complete
            continue
        if manifest is not None:
            dataset_info(d)  # all shards present
            found.append(d.name)
    return found


def interrupt_after(n: int, func):
    """Wrap ``func`` to raise KeyboardInterrupt on its (n+1)-th call."""
    calls = [0]

    def wrapper(*args, **kwargs):
        if calls[0] >= n:
            raise KeyboardInterrupt
        calls[0] += 1
        return func(*args, **kwargs)

    return wrapper


def patch_interruption(mp: pytest.MonkeyPatch, where: str, out: Path) -> None:
    """Make the next conversion into ``out`` stop with KeyboardInterrupt at ``where``."""
    if where == "reading items":
        mp.setattr(folder_converter, "load_image", interrupt_after(4, load_image))
    elif where == "writing shards":
        mp.setattr(tfrecord_writer, "encode_png", interrupt_after(4, tfrecord_writer.encode_png))
    elif where == "writing manifest":
        original = pathlib.Path.write_text

        def half_written(self, data, *args, **kwargs):
            if self.name == tfrecord_writer.MANIFEST:
                original(self, data[: len(data) // 2], *args, **kwargs)
                raise KeyboardInterrupt
            return original(self, data, *args, **kwargs)

        mp.setattr(pathlib.Path, "write_text", half_written)
    else:  # one of the two renames that swap the new folder into place
        original_rename = pathlib.Path.rename

        def rename(self, target):
            target = Path(target)
            moving_old = self == out and target.name.startswith(f".{out.name}.old-")
            moving_new = target == out and self.name.startswith(f".{out.name}.tmp-")
            if (where == "moving old aside" and moving_old) or (
                where == "moving new into place" and moving_new
            ):
                raise KeyboardInterrupt
            return original_rename(self, target)

        mp.setattr(pathlib.Path, "rename", rename)


INTERRUPTIONS = [
    "reading items",
    "writing shards",
    "writing manifest",
    "moving old aside",
    "moving new into place",
]


@pytest.mark.parametrize("where", INTERRUPTIONS)
def test_interrupted_conversion_keeps_previous_dataset(tmp_path, where):
    """An interrupted re-conversion leaves the previous complete dataset readable as it was."""
    first, second, out = tmp_path / "first", tmp_path / "second", tmp_path / "data" / "out"
    write_source(first, 5, seed=1)
    write_source(second, 9, seed=2, bad=2)
    convert_folder(first, out, "fz", OPTIONS)
    before = read_records(out)
    with pytest.MonkeyPatch.context() as mp:
        patch_interruption(mp, where, out)
        with pytest.raises(KeyboardInterrupt):
            convert_folder(second, out, "fz", OPTIONS)

    assert complete_conversions(out.parent) == ["out"]
    manifest = read_manifest(out)
    assert manifest["source"] == str(first) and manifest["count"] == 5
    after = read_records(out)
    assert [k for k, _ in after] == [k for k, _ in before]
    for (_, a), (_, b) in zip(after, before, strict=True):
        np.testing.assert_array_equal(a, b)
    assert len(list(decode_images(out, SIZE, CHANNELS).as_numpy_iterator())) == 5

    # the next full conversion replaces it and cleans up (same process, same temp name)
    assert convert_folder(second, out, "fz", OPTIONS)["count"] == 9
    assert sorted(p.name for p in out.parent.iterdir()) == ["out"]


@pytest.mark.parametrize("where", ["reading items", "writing shards", "writing manifest"])
def test_interrupted_first_conversion_leaves_nothing_readable(tmp_path, where):
    """With no previous dataset, an interrupted conversion leaves nothing a reader accepts."""
    src, out = tmp_path / "src", tmp_path / "data" / "out"
    write_source(src, 9, seed=3, bad=2)
    with pytest.MonkeyPatch.context() as mp:
        patch_interruption(mp, where, out)
        with pytest.raises(KeyboardInterrupt):
            convert_folder(src, out, "fz", OPTIONS)
    assert read_manifest(out) is None
    assert complete_conversions(out.parent) == []
    with pytest.raises(FileNotFoundError, match=r"manifest\.json missing"):
        decode_images(out, SIZE, CHANNELS)
