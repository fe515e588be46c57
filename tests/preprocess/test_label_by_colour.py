"""label_by_colour: a sprite's dominant colour, and the labels.csv the converter reads."""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np

from label_by_colour import dominant_colour
from tool_checks import assert_one_line_error


def sprite(bgr: tuple[int, int, int], outline: bool = True) -> np.ndarray:
    """A filled circle of ``bgr`` with a black outline on white, 64 px (BGR, as OpenCV)."""
    image = np.full((64, 64, 3), 255, np.uint8)
    cv2.circle(image, (32, 32), 20, bgr, -1)
    if outline:
        cv2.circle(image, (32, 32), 20, (0, 0, 0), 2)
    return image


def test_dominant_colour_bins():
    assert dominant_colour(sprite((0, 0, 230))) == "red-pink"
    assert dominant_colour(sprite((230, 60, 0))) == "blue"
    assert dominant_colour(sprite((0, 200, 0))) == "green"
    assert dominant_colour(sprite((0, 220, 240))) == "yellow"
    assert dominant_colour(sprite((40, 100, 160))) == "orange-brown"
    assert dominant_colour(sprite((200, 40, 150))) == "purple"
    assert dominant_colour(sprite((120, 120, 120))) == "gray"
    rgba = np.zeros((64, 64, 4), np.uint8)  # transparent outside: alpha decides the object
    rgba[16:48, 16:48] = (230, 60, 0, 255)
    assert dominant_colour(rgba) == "blue"


def test_tool_writes_labels_csv(run_tool, tmp_path: Path):
    folder = tmp_path / "sprites"
    folder.mkdir()
    cv2.imwrite(str(folder / "a.png"), sprite((0, 0, 230)))
    cv2.imwrite(str(folder / "b.png"), sprite((0, 200, 0)))
    result = run_tool("label_by_colour", f"--input_dir={folder}")
    assert result.returncode == 0, result.stderr
    assert "2 images, 2 classes: green 1, red-pink 1" in result.stdout
    with (folder / "labels.csv").open(newline="") as fh:
        assert list(csv.reader(fh)) == [
            ["file", "class"],
            ["a.png", "red-pink"],
            ["b.png", "green"],
        ]
    missing = run_tool("label_by_colour", f"--input_dir={tmp_path / 'nope'}")
    assert_one_line_error(missing, "not a folder")
