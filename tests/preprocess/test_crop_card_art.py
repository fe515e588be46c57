"""crop_card_art: find, straighten and crop synthetic cards; CLI behaviour."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import card_geometry
import card_layouts
import crop_card_art
import synthetic_images as si
from tool_checks import assert_one_line_error, folder_bytes

CANVAS = (900, 1000)
TILTED = np.array([[180, 120], [700, 200], [760, 900], [120, 850]], np.float32)


def _scene(layout: card_layouts.CardLayout, kind: str) -> np.ndarray:
    width, height = card_layouts.card_pixel_size(layout, 500)
    card = si.draw_card(width, height, layout.art_box)
    if kind == "flat":
        return si.place_on_background(card, CANVAS)
    if kind == "tilted":  # photographed at an angle
        return si.place_on_background(card, CANVAS, TILTED)
    if kind == "landscape":  # card lying sideways
        return np.ascontiguousarray(np.rot90(si.place_on_background(card, CANVAS)))
    raise ValueError(kind)


def _assert_is_art(crop: np.ndarray, layout: card_layouts.CardLayout, card_width: int) -> None:
    x0, y0, x1, y1 = card_layouts.art_pixel_box(layout, card_width)
    assert crop.shape == (y1 - y0, x1 - x0, 3)
    # the art window minus its marker (1/36 of it) fills the crop: no frame, no background
    assert si.colour_fraction(crop, si.ART_BGR) > 0.94
    assert si.colour_fraction(crop, si.FRAME_BGR) < 0.01
    # the red marker sits in the top-left quarter: the card was not flipped or turned
    h, w = crop.shape[:2]
    assert si.colour_fraction(crop[: h // 2, : w // 2], si.MARKER_BGR, 40) > 0.08
    assert si.colour_fraction(crop[h // 2 :, :], si.MARKER_BGR, 40) < 0.005


@pytest.mark.parametrize("kind", ["flat", "tilted", "landscape"])
@pytest.mark.parametrize("layout", [card_layouts.YUGIOH, card_layouts.MAGIC], ids=lambda x: x.name)
def test_crop_recovers_art_window(layout, kind):
    crop = crop_card_art.crop_card_art(_scene(layout, kind), layout, card_width=630)
    _assert_is_art(crop, layout, 630)


def test_detected_corners_match_drawn_corners():
    scene = _scene(card_layouts.MAGIC, "tilted")
    corners = card_geometry.find_card_quad(scene)
    assert corners is not None
    assert np.abs(corners - TILTED).max() < 4.0


def test_flat_scan_without_detection():
    layout = card_layouts.YUGIOH
    card = si.draw_card(*card_layouts.card_pixel_size(layout, 413), layout.art_box)
    crop = crop_card_art.crop_card_art(card, layout, card_width=590, detect=False)
    _assert_is_art(crop, layout, 590)


def test_no_card_is_skipped_or_whole():
    noise = np.random.default_rng(3).integers(0, 256, (300, 300, 3), dtype=np.uint8)
    noise = cv2.GaussianBlur(noise, (0, 0), 1.0)
    with pytest.raises(crop_card_art.preprocess_cli.SkipImage):
        crop_card_art.crop_card_art(noise, card_layouts.MAGIC)
    crop = crop_card_art.crop_card_art(noise, card_layouts.MAGIC, use_whole_if_not_found=True)
    assert crop.shape[:2] == (385, 530)


def test_layout_numbers_are_documented_fractions():
    for layout in card_layouts.LAYOUTS.values():
        x0, y0, x1, y1 = layout.art_box
        assert 0 < x0 < x1 < 1 and 0 < y0 < y1 < 1
    # Yu-Gi-Oh! normal art window is square on the 59 x 86 mm card
    x0, y0, x1, y1 = card_layouts.art_pixel_box(card_layouts.YUGIOH, 590)
    assert abs((x1 - x0) - (y1 - y0)) <= 2


def test_cli_crops_folder_and_reruns_identically(tmp_path, run_tool):
    src, out = tmp_path / "cards", tmp_path / "art"
    (src / "sub").mkdir(parents=True)
    cv2.imwrite(str(src / "flat.png"), _scene(card_layouts.MAGIC, "flat"))
    cv2.imwrite(
        str(src / "sub" / "tilted.jpg"),
        _scene(card_layouts.MAGIC, "tilted"),
        [cv2.IMWRITE_JPEG_QUALITY, 92],
    )
    (src / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    (src / "notes.txt").write_text("not an image")
    before = folder_bytes(src)

    result = run_tool(
        "crop_card_art", f"--input_dir={src}", f"--output_dir={out}", "--layout=magic"
    )
    assert result.returncode == 0, result.stderr
    assert sorted(folder_bytes(out)) == ["flat.png", "sub/tilted.png"]
    problem_lines = result.stderr.strip().splitlines()
    assert len(problem_lines) == 1 and problem_lines[0].startswith("skipped broken.png: ")
    for name in ("flat.png", "sub/tilted.png"):
        crop = cv2.imread(str(out / name))
        _assert_is_art(crop, card_layouts.MAGIC, 630)
    first = folder_bytes(out)

    again = run_tool("crop_card_art", f"--input_dir={src}", f"--output_dir={out}", "--layout=magic")
    assert again.returncode == 0
    assert folder_bytes(out) == first
    assert folder_bytes(src) == before  # inputs untouched


def test_cli_custom_box(tmp_path, run_tool):
    src, out = tmp_path / "cards", tmp_path / "art"
    src.mkdir()
    layout = card_layouts.MAGIC
    card = si.draw_card(*card_layouts.card_pixel_size(layout, 630), layout.art_box)
    cv2.imwrite(str(src / "card.png"), card)
    box = ",".join(str(v) for v in layout.art_box)
    result = run_tool(
        "crop_card_art",
        f"--input_dir={src}",
        f"--output_dir={out}",
        "--layout=custom",
        f"--box={box}",
        "--card_mm=63x88",
        "--detect=false",
    )
    assert result.returncode == 0, result.stderr
    _assert_is_art(cv2.imread(str(out / "card.png")), layout, 630)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--layout=custom"], "--layout=custom needs --box"),
        (["--layout=magic", "--box=0.1,0.1,0.9,0.5"], "--box"),
        (["--layout=custom", "--box=0.5,0.1,0.2,0.9"], "x0 < x1"),
        (["--layout=pokemon"], "--layout"),
        (["--card_width=abc"], "card_width"),
    ],
)
def test_cli_bad_flags(tmp_path, run_tool, args, fragment):
    (tmp_path / "in").mkdir()
    result = run_tool(
        "crop_card_art", f"--input_dir={tmp_path / 'in'}", f"--output_dir={tmp_path / 'o'}", *args
    )
    assert_one_line_error(result, fragment)


def test_cli_missing_input_folder(tmp_path, run_tool):
    result = run_tool(
        "crop_card_art", f"--input_dir={tmp_path / 'nope'}", f"--output_dir={tmp_path / 'o'}"
    )
    assert_one_line_error(result, "input folder not found")
    assert not (tmp_path / "o").exists()
