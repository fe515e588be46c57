"""flatten_sprites: alpha and white-background sprites centred with a margin; CLI behaviour."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import sprite_mask
import synthetic_images as si
from tool_checks import assert_one_line_error, folder_bytes

ORANGE_BGR = (0, 128, 255)


def _object_box(image: np.ndarray, background_bgr) -> tuple[int, int, int, int]:
    differs = np.abs(image[:, :, :3].astype(int) - np.array(background_bgr)).max(axis=2) > 40
    ys, xs = np.nonzero(differs)
    return xs.min(), ys.min(), xs.max() + 1, ys.max() + 1


def _assert_centred(image: np.ndarray, size: int, margin: float, background_bgr) -> None:
    assert image.shape[:2] == (size, size)
    x0, y0, x1, y1 = _object_box(image, background_bgr)
    longest = max(x1 - x0, y1 - y0)
    assert abs(longest - size * (1 - 2 * margin)) <= 2
    assert abs((x0 + x1) / 2 - size / 2) <= 1.5 and abs((y0 + y1) / 2 - size / 2) <= 1.5
    corners = image[[0, 0, -1, -1], [0, -1, 0, -1], :3]
    assert (corners == np.array(background_bgr)).all()


def test_alpha_sprite_on_black():
    sprite = si.draw_sprite(120)
    out = sprite_mask.flatten_sprite(sprite, 64, margin=0.1, background=(0, 0, 0))
    _assert_centred(out, 64, 0.1, (0, 0, 0))
    assert out.shape == (64, 64, 3)
    # the random colours hidden under alpha=0 never show
    assert (
        si.colour_fraction(out, (0, 0, 0), 0)
        + si.colour_fraction(out, ORANGE_BGR, 60)
        + (si.colour_fraction(out, (255, 255, 255), 60))
        > 0.93
    )


def test_white_background_sprite_keeps_inner_white():
    sprite = si.composite_on_white(si.draw_sprite(120))
    out = sprite_mask.flatten_sprite(sprite, 96, margin=0.2, background=(0, 0, 0))
    _assert_centred(out, 96, 0.2, (0, 0, 0))
    # the white eye inside the body survives (not connected to the border)
    centre = out[40:56, 40:56]
    assert si.colour_fraction(centre, (255, 255, 255), 10) > 0.3


def test_transparent_output_keeps_alpha():
    out = sprite_mask.flatten_sprite(si.draw_sprite(120), 50, margin=0.0, background=None)
    assert out.shape == (50, 50, 4)
    assert out[0, 0, 3] == 0 and out[25, 25, 3] == 255


def test_empty_sprite_gives_none():
    assert sprite_mask.flatten_sprite(np.zeros((10, 10, 4), np.uint8), 32) is None
    assert sprite_mask.flatten_sprite(np.full((10, 10, 3), 255, np.uint8), 32) is None


def test_cli_flattens_folder_and_reruns_identically(tmp_path, run_tool):
    src, out = tmp_path / "sprites", tmp_path / "flat"
    src.mkdir()
    cv2.imwrite(str(src / "alpha.png"), si.draw_sprite(120))
    cv2.imwrite(
        str(src / "white.jpg"),
        si.composite_on_white(si.draw_sprite(90)),
        [cv2.IMWRITE_JPEG_QUALITY, 95],
    )
    cv2.imwrite(str(src / "empty.png"), np.zeros((8, 8, 4), np.uint8))
    args = [
        f"--input_dir={src}",
        f"--output_dir={out}",
        "--background=30,60,90",
        "--size=80",
        "--margin=0.1",
    ]
    result = run_tool("flatten_sprites", *args)
    assert result.returncode == 0, result.stderr
    assert sorted(folder_bytes(out)) == ["alpha.png", "white.png"]
    assert result.stderr.strip().startswith("skipped empty.png: no object found")
    bgr = (90, 60, 30)  # --background is R,G,B
    for name in ("alpha.png", "white.png"):
        image = cv2.imread(str(out / name), cv2.IMREAD_UNCHANGED)
        _assert_centred(image, 80, 0.1, bgr)
    first = folder_bytes(out)
    assert run_tool("flatten_sprites", *args).returncode == 0
    assert folder_bytes(out) == first


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--background=purple"], "--background"),
        (["--background=1,2,300"], "--background"),
        (["--margin=0.6"], "--margin"),
        (["--size=0"], "--size"),
    ],
)
def test_cli_bad_flags(tmp_path, run_tool, args, fragment):
    (tmp_path / "in").mkdir()
    result = run_tool(
        "flatten_sprites", f"--input_dir={tmp_path / 'in'}", f"--output_dir={tmp_path / 'o'}", *args
    )
    assert_one_line_error(result, fragment)


def test_cli_missing_input_folder(tmp_path, run_tool):
    result = run_tool(
        "flatten_sprites", f"--input_dir={tmp_path / 'nope'}", f"--output_dir={tmp_path / 'o'}"
    )
    assert_one_line_error(result, "input folder not found")
