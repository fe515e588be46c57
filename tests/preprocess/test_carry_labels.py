"""A crawler's labels.csv follows the images through the folder tools (no labels lost)."""

from __future__ import annotations

from pathlib import Path

import cv2

import preprocess_io
import synthetic_images as si


def _labelled_folder(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for seed, name in enumerate(["a.png", "b.jpg", "c.webp"]):
        cv2.imwrite(str(folder / name), si.pattern_image(seed, 64))
    cv2.imwrite(str(folder / "a_copy.png"), si.pattern_image(0, 64))  # a duplicate of a.png
    rows = "file,class\na.png,fire\nb.jpg,water\nc.webp,grass\na_copy.png,fire\ngone.png,rock\n"
    (folder / "labels.csv").write_text(rows)
    return folder


def test_rows_are_renamed_dropped_and_a_different_file_is_kept(tmp_path, capsys):
    src, out = _labelled_folder(tmp_path / "in"), tmp_path / "out"
    out.mkdir()
    outputs = {Path("a.png"): Path("a.png"), Path("b.jpg"): Path("b.png")}
    assert preprocess_io.carry_labels(src, out, outputs) == 2
    assert (out / "labels.csv").read_text() == "file,class\na.png,fire\nb.png,water\n"
    assert preprocess_io.carry_labels(src, out, outputs) == 2  # same again: rewritten
    (out / "labels.csv").write_text("file,class\na.png,edited\n")
    assert preprocess_io.carry_labels(src, out, outputs) == 0
    assert (out / "labels.csv").read_text() == "file,class\na.png,edited\n"  # never lost
    assert "exists and differs" in capsys.readouterr().err


def test_dedupe_and_resize_pad_carry_the_labels(tmp_path, run_tool):
    src = _labelled_folder(tmp_path / "in")
    deduped = tmp_path / "dedup"
    result = run_tool("dedupe", f"--input_dir={src}", f"--output_dir={deduped}")
    assert result.returncode == 0, result.stderr
    assert (deduped / "labels.csv").read_text() == (
        "file,class\na.png,fire\nb.jpg,water\nc.webp,grass\n"
    )
    resized = tmp_path / "resized"
    result = run_tool(
        "resize_pad", f"--input_dir={deduped}", f"--output_dir={resized}", "--size=32"
    )
    assert result.returncode == 0, result.stderr
    assert (resized / "labels.csv").read_text() == (
        "file,class\na.png,fire\nb.png,water\nc.png,grass\n"
    )


def test_no_labels_file_writes_none(tmp_path):
    (tmp_path / "in").mkdir()
    assert preprocess_io.carry_labels(tmp_path / "in", tmp_path, {}) is None
    assert not (tmp_path / "labels.csv").exists()
