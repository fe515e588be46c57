"""crop_card_art on hard synthetic photos: detection, art registration, --debug_dir, errors."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import art_register
import card_geometry
import card_layouts
import crop_card_art
import hard_photos as hp
from tool_checks import assert_one_line_error, folder_bytes

LAYOUTS = [card_layouts.YUGIOH, card_layouts.MAGIC]
SIZE = (480, 360)  # small photos keep the tests fast


@pytest.mark.parametrize("seed", [500, 501, 502, 503])
@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda x: x.name)
def test_hard_photo_card_found_and_art_cut(layout, seed):
    photo = hp.hard_photo(seed, layout, size=SIZE)
    crop, location = crop_card_art.locate_and_crop(photo.image, layout, card_width=300)
    assert np.abs(location.corners - photo.card_corners).max() < 3.0
    assert hp.share_inside(location.art_corners(), photo.art_corners) > 0.95
    ceiling = hp.art_correlation(hp.true_art_crop(photo), photo.art)
    corr = hp.art_correlation(crop, photo.art)
    assert corr > 0.7 and corr > ceiling - 0.1, (corr, ceiling)


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda x: x.name)
def test_card_on_table_of_its_border_colour(layout):
    # the outline is invisible; the border's inner edge is found and widened to the card
    seed = next(s for s in range(500, 600) if hp.hard_photo(s, layout, SIZE).same_colour_background)
    photo = hp.hard_photo(seed, layout, size=SIZE)
    corners = card_geometry.find_card_quad(photo.image, 0.1, layout.aspect, layout.border)
    assert corners is not None
    assert np.abs(corners - photo.card_corners).max() < 3.0


def test_second_card_cut_by_the_frame_is_not_taken():
    layout = card_layouts.MAGIC
    photo = hp.hard_photo(502, layout, size=SIZE)
    corners = card_geometry.find_card_quad(photo.image, 0.1, layout.aspect, layout.border)
    assert corners is not None
    height, width = photo.image.shape[:2]
    assert corners.min() > 2 and (corners.max(axis=0) < [width - 3, height - 3]).all()


def _flat_card(shift: tuple[float, float, float, float]) -> tuple[np.ndarray, tuple, tuple]:
    """A straightened hard card at 630 px whose printed art is moved by `shift` (fractions)."""
    layout = card_layouts.MAGIC
    box = tuple(v + d for v, d in zip(layout.art_box, shift, strict=True))
    rng = np.random.default_rng(7)
    card, _, art_rect = hp.draw_hard_card(rng, 630, box, layout.aspect, layout.border)
    return card, art_rect, card_layouts.art_pixel_box(layout, 630)


@pytest.mark.parametrize("shift", [(0.008, 0.006, 0.008, 0.006), (-0.008, -0.006, -0.002, 0.006)])
def test_registration_snaps_to_the_art_frame(shift):
    card, truth, box = _flat_card(shift)
    snapped = art_register.register_art_box(card, box)
    inset = (2, 3, -2, -3)  # INSET of 630 x 880 px, inwards
    for got, true, pull in zip(snapped, truth, inset, strict=True):
        assert abs(got - (true + pull)) <= 1.5
    # the fixed box would have been off by 6-10 px on some side
    assert max(abs(b - t) for b, t in zip(box, truth, strict=True)) >= 6


def test_registration_looks_past_a_frame_line_as_dark_as_the_art():
    # the art's top rows are as dark as its frame line, so only the line's outer edge shows
    # there: the top side steps in by the line width seen on the other sides
    card, truth, box = _flat_card((0.004, 0.004, 0.004, 0.004))
    x0, y0, x1, _ = truth
    card[y0 : y0 + 40, x0:x1] = 25
    snapped = art_register.register_art_box(card, box)
    assert abs(snapped[1] - (y0 + 3)) <= 1.5, (snapped, truth)


def test_registration_keeps_the_box_without_a_frame():
    rng = np.random.default_rng(1)
    plain = np.full((880, 630, 3), 128, np.uint8) + rng.integers(0, 3, (880, 630, 3), np.uint8)
    box = card_layouts.art_pixel_box(card_layouts.MAGIC, 630)
    assert art_register.register_art_box(plain, box) == box


def test_flat_scan_unchanged_by_detection_work():
    # --detect=false: the whole image is the card and the layout box is cut as is, exactly
    # as before registration existed (no snapping even with register=True)
    layout = card_layouts.MAGIC
    card, _, _ = _flat_card((0.01, 0.01, 0.01, 0.01))
    crop = crop_card_art.crop_card_art(card, layout, card_width=630, detect=False)
    h, w = card.shape[:2]
    corners = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float32)
    whole = card_geometry.warp_to_card(card, corners, card_layouts.card_pixel_size(layout, 630))
    x0, y0, x1, y1 = card_layouts.art_pixel_box(layout, 630)
    assert np.array_equal(crop, whole[y0:y1, x0:x1])


def test_cli_debug_dir(tmp_path, run_tool):
    src, out, debug = tmp_path / "photos", tmp_path / "art", tmp_path / "debug"
    (src / "sub").mkdir(parents=True)
    layout = card_layouts.YUGIOH
    photo = hp.hard_photo(500, layout, size=SIZE)
    cv2.imwrite(str(src / "sub" / "card.jpg"), photo.image, [cv2.IMWRITE_JPEG_QUALITY, 95])
    noise = np.random.default_rng(3).integers(0, 256, (200, 200, 3), dtype=np.uint8)
    cv2.imwrite(str(src / "noise.png"), cv2.GaussianBlur(noise, (0, 0), 1.0))
    result = run_tool(
        "crop_card_art",
        f"--input_dir={src}",
        f"--output_dir={out}",
        f"--debug_dir={debug}",
        "--layout=yugioh",
    )
    assert result.returncode == 0, result.stderr
    assert sorted(folder_bytes(out)) == ["sub/card.png"]
    assert result.stderr.strip().startswith("skipped noise.png: no card outline found")
    assert sorted(folder_bytes(debug)) == ["noise.png", "sub/card.png"]
    drawn = cv2.imread(str(debug / "sub" / "card.png"))
    assert drawn.shape == photo.image.shape
    # the quad (green) lies on the true card outline, the art box (magenta) inside the art
    green = (drawn[:, :, 1] > 200) & (drawn[:, :, 0] < 60) & (drawn[:, :, 2] < 60)
    ys, xs = np.nonzero(green)
    outline = photo.card_corners.reshape(-1, 1, 2)
    distance = [
        abs(cv2.pointPolygonTest(outline, (float(x), float(y)), True))
        for x, y in zip(xs[::25], ys[::25], strict=True)
    ]
    assert len(distance) > 20 and np.median(distance) < 2.0
    magenta = (drawn[:, :, 0] > 200) & (drawn[:, :, 1] < 60) & (drawn[:, :, 2] > 200)
    assert magenta.sum() > 200
    crossed = cv2.imread(str(debug / "noise.png"))
    assert ((crossed[:, :, 2] > 200) & (crossed[:, :, 1] < 60)).sum() > 200  # red cross


@pytest.mark.parametrize("same_as", ["input", "output"])
def test_cli_debug_dir_must_not_be_input_or_output(tmp_path, run_tool, same_as):
    (tmp_path / "input").mkdir()
    result = run_tool(
        "crop_card_art",
        f"--input_dir={tmp_path / 'input'}",
        f"--output_dir={tmp_path / 'output'}",
        f"--debug_dir={tmp_path / same_as}",
    )
    assert_one_line_error(result, f"--debug_dir must differ from --{same_as}_dir")
