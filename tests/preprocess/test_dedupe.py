"""dedupe: perceptual hashes, near- and exact-duplicate removal, the report; CLI behaviour."""

from __future__ import annotations

import csv
import io
import itertools
import json

import cv2
import numpy as np
import pytest

import perceptual_hash
import synthetic_images as si
from tool_checks import assert_one_line_error, folder_bytes


def _jpeg_roundtrip(image: np.ndarray, quality: int = 85) -> np.ndarray:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return cv2.imdecode(data, cv2.IMREAD_COLOR)


@pytest.mark.parametrize("method", perceptual_hash.HASH_METHODS)
def test_hash_distances(method):
    def h(image):
        return perceptual_hash.image_hash(image, method)

    base = si.pattern_image(0)
    brighter = np.clip(base.astype(int) + 2, 0, 255).astype(np.uint8)
    assert perceptual_hash.hamming(h(base), h(base)) == 0
    assert perceptual_hash.hamming(h(base), h(brighter)) <= 2
    assert perceptual_hash.hamming(h(base), h(_jpeg_roundtrip(base))) <= 3
    assert perceptual_hash.hamming(h(base), h(cv2.resize(base, (64, 64)))) <= 3
    distinct = [h(si.pattern_image(seed)) for seed in range(6)]
    for a, b in itertools.combinations(distinct, 2):
        assert perceptual_hash.hamming(a, b) > 10


def _flat_flag(rng: np.random.Generator, size: int = 64) -> np.ndarray:
    """A flag-like BGRA picture: flat-colour stripes and a disc, transparent outside a circle
    (the EmojiOne flags' shape), where float dHash bits used to flip under JPEG noise."""
    image = np.zeros((size, size, 3), np.uint8)
    stripes = rng.integers(2, 4)
    colours = rng.integers(0, 256, (stripes + 1, 3))
    vertical = rng.random() < 0.5
    for i in range(stripes):
        lo, hi = i * size // stripes, (i + 1) * size // stripes
        if vertical:
            image[:, lo:hi] = colours[i]
        else:
            image[lo:hi] = colours[i]
    if rng.random() < 0.5:
        centre = tuple(int(v) for v in rng.integers(size // 3, 2 * size // 3, 2))
        cv2.circle(image, centre, int(rng.integers(5, size // 4)), colours[-1].tolist(), -1)
    alpha = np.zeros((size, size), np.uint8)
    cv2.circle(alpha, (size // 2, size // 2), size // 2 - 1, 255, -1)
    return np.dstack([image, alpha])


def test_dhash_finds_jpeg_resaved_flat_images():
    """Flags re-saved as JPEG q60 (alpha composited over white, as a JPEG must) are found
    as duplicates of their PNGs at dedupe's default distance (5 of 64 bits)."""
    rng = np.random.default_rng(0)
    missed = 0
    for _ in range(100):
        flag = _flat_flag(rng)
        alpha = flag[:, :, 3:4].astype(np.float32) / 255.0
        over_white = (flag[:, :, :3] * alpha + 255.0 * (1.0 - alpha)).astype(np.uint8)
        resaved = _jpeg_roundtrip(over_white, quality=60)
        distance = perceptual_hash.hamming(
            perceptual_hash.image_hash(flag, "dhash"), perceptual_hash.image_hash(resaved, "dhash")
        )
        missed += distance > 5
    assert missed <= 5, f"{missed} of 100 JPEG re-saves not found"  # float dHash: 83, now 1


def test_hash_ignores_colour_under_transparency():
    sprite = si.draw_sprite(96, seed=1)
    other = si.draw_sprite(96, seed=2)  # same sprite, different hidden junk
    assert (
        perceptual_hash.hamming(
            perceptual_hash.image_hash(sprite, "dhash"), perceptual_hash.image_hash(other, "dhash")
        )
        == 0
    )


def _make_inputs(src):
    (src / "sub").mkdir(parents=True)
    base = si.pattern_image(0, 128)
    cv2.imwrite(str(src / "a.png"), base)
    cv2.imwrite(str(src / "a_bright.png"), np.clip(base.astype(int) + 2, 0, 255).astype(np.uint8))
    cv2.imwrite(
        str(src / "sub" / "a_small.jpg"), cv2.resize(base, (96, 96)), [cv2.IMWRITE_JPEG_QUALITY, 80]
    )
    (src / "a_copy.png").write_bytes((src / "a.png").read_bytes())
    for seed in (1, 2, 3):
        cv2.imwrite(str(src / f"other{seed}.png"), si.pattern_image(seed, 128))
    (src / "broken.jpg").write_bytes(b"\xff\xd8\xff truncated")


@pytest.mark.parametrize("method", perceptual_hash.HASH_METHODS)
def test_cli_removes_near_duplicates_and_reports(tmp_path, run_tool, method):
    src, out = tmp_path / "in", tmp_path / "out"
    _make_inputs(src)
    before = folder_bytes(src)
    args = [f"--input_dir={src}", f"--output_dir={out}", f"--method={method}", "--max_distance=5"]
    result = run_tool("dedupe", *args)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().startswith("skipped broken.jpg: ")
    copied = folder_bytes(out)
    kept = sorted(name for name in copied if name != "dedupe_report.json")
    # a.png and a_copy.png are byte-identical: the tie goes to the first path
    assert kept == ["a.png", "other1.png", "other2.png", "other3.png"]
    for name in kept:
        assert copied[name] == before[name]  # copied byte for byte
    report = json.loads(copied["dedupe_report.json"])
    removed = {r["file"]: r for r in report["removed"]}
    assert sorted(removed) == ["a_bright.png", "a_copy.png", "sub/a_small.jpg"]
    assert removed["a_copy.png"] == {
        "file": "a_copy.png",
        "duplicate_of": "a.png",
        "distance": 0,
        "exact": True,
    }
    assert (
        removed["a_bright.png"]["duplicate_of"] == "a.png" and not removed["a_bright.png"]["exact"]
    )
    assert all(r["distance"] <= 5 for r in removed.values())
    assert report["unreadable"][0]["file"] == "broken.jpg"
    assert (report["inputs"], report["kept"]) == (8, 4)

    assert folder_bytes(src) == before  # inputs never change
    assert run_tool("dedupe", *args).returncode == 0
    assert folder_bytes(out) == copied


def test_cli_prefer_first_and_csv_report(tmp_path, run_tool):
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    base = si.pattern_image(4, 64)
    cv2.imwrite(str(src / "1_small.png"), base)
    cv2.imwrite(
        str(src / "2_large.png"), cv2.resize(base, (128, 128), interpolation=cv2.INTER_CUBIC)
    )
    report_path = tmp_path / "report.csv"
    common = [f"--input_dir={src}", f"--output_dir={out}", f"--report={report_path}"]

    assert run_tool("dedupe", *common).returncode == 0  # default: keep the largest
    rows = list(csv.DictReader(io.StringIO(report_path.read_text())))
    assert [(r["status"], r["file"], r["duplicate_of"]) for r in rows] == [
        ("removed", "1_small.png", "2_large.png")
    ]

    out2 = tmp_path / "out2"
    assert run_tool("dedupe", *common[:1], f"--output_dir={out2}", "--prefer=first").returncode == 0
    assert sorted(folder_bytes(out2)) == ["1_small.png", "dedupe_report.json"]


def test_cli_threshold_zero_keeps_near_duplicates(tmp_path, run_tool):
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    base = si.pattern_image(5, 96)
    cv2.imwrite(str(src / "a.png"), base)
    cv2.imwrite(str(src / "b.png"), si.pattern_image(6, 96))
    assert (
        run_tool(
            "dedupe", f"--input_dir={src}", f"--output_dir={out}", "--max_distance=0"
        ).returncode
        == 0
    )
    assert sorted(folder_bytes(out)) == ["a.png", "b.png", "dedupe_report.json"]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--method=ahash"], "--method"),
        (["--max_distance=-1"], "--max_distance"),
        (["--max_distance=65"], "--max_distance must be <= 64"),
        (["--report=out.txt"], "--report"),
    ],
)
def test_cli_bad_flags(tmp_path, run_tool, args, fragment):
    (tmp_path / "in").mkdir()
    result = run_tool(
        "dedupe", f"--input_dir={tmp_path / 'in'}", f"--output_dir={tmp_path / 'o'}", *args
    )
    assert_one_line_error(result, fragment)


def test_cli_missing_input_folder(tmp_path, run_tool):
    result = run_tool(
        "dedupe", f"--input_dir={tmp_path / 'nope'}", f"--output_dir={tmp_path / 'o'}"
    )
    assert_one_line_error(result, "input folder not found")
