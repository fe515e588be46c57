"""resize_pad: square outputs by padding or centre-cropping, alpha kept; CLI behaviour."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import square_fit
from tool_checks import assert_one_line_error, folder_bytes

RED = (0, 0, 255)


def _wide(width: int = 200, height: int = 100, channels: int = 3) -> np.ndarray:
    image = np.zeros((height, width, channels), np.uint8)
    image[:, :, 2] = 255  # red
    if channels == 4:
        image[:, :, 3] = 255
    image[:, : width // 10, :3] = (255, 0, 0)  # blue left stripe
    return image


def test_pad_keeps_aspect_and_pads_with_background():
    out = square_fit.fit_square(_wide(), 64, mode="pad", background=(0, 255, 0))
    assert out.shape == (64, 64, 3)
    content = np.nonzero((out != (0, 255, 0)).any(axis=2))
    assert content[0].min() == 16 and content[0].max() == 47  # 64 x 32 band, centred
    assert content[1].min() == 0 and content[1].max() == 63
    assert (out[0, 0] == (0, 255, 0)).all() and (out[32, 40] == RED).all()


def test_crop_fills_and_cuts_centre():
    out = square_fit.fit_square(_wide(), 64, mode="crop")
    assert out.shape == (64, 64, 3)
    assert (out == RED).all(axis=2).mean() > 0.98  # the blue stripe at the far left is cut off


def test_tall_image_and_upscaling():
    tall = np.ascontiguousarray(np.rot90(_wide(50, 20)))
    out = square_fit.fit_square(tall, 100, mode="pad", background=(255, 255, 255))
    content = np.nonzero((out != 255).any(axis=2))
    assert content[1].min() == 30 and content[1].max() == 69  # 40 px wide, centred
    assert content[0].min() == 0 and content[0].max() == 99


def test_alpha_kept_with_transparent_padding():
    out = square_fit.fit_square(_wide(channels=4), 64, mode="pad", keep_alpha=True)
    assert out.shape == (64, 64, 4)
    assert out[0, 0, 3] == 0 and out[32, 40, 3] == 255


def test_alpha_dropped_onto_background():
    image = _wide(channels=4)
    image[:, 100:, 3] = 0  # right half transparent
    out = square_fit.fit_square(image, 64, mode="pad", background=(0, 0, 0), keep_alpha=False)
    assert out.shape == (64, 64, 3)
    assert (out[32, 50] == 0).all() and (out[32, 20] == RED).all()


def test_transparent_background_adds_alpha():
    out = square_fit.fit_square(_wide(), 32, mode="pad", background=None)
    assert out.shape == (32, 32, 4) and out[0, 0, 3] == 0 and out[16, 16, 3] == 255


@pytest.mark.parametrize("mode", ["pad", "crop"])
def test_cli_sizes_and_rerun(tmp_path, run_tool, mode):
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    cv2.imwrite(str(src / "wide.png"), _wide())
    cv2.imwrite(str(src / "tall.webp"), np.rot90(_wide()).copy(), [cv2.IMWRITE_WEBP_QUALITY, 101])
    cv2.imwrite(str(src / "rgba.png"), _wide(channels=4))
    cv2.imwrite(str(src / "gray.bmp"), np.full((30, 70), 128, np.uint8))
    args = [f"--input_dir={src}", f"--output_dir={out}", "--size=48", f"--mode={mode}"]
    result = run_tool("resize_pad", *args)
    assert result.returncode == 0, result.stderr
    outputs = folder_bytes(out)
    assert sorted(outputs) == ["gray.png", "rgba.png", "tall.png", "wide.png"]
    for name in outputs:
        image = cv2.imread(str(out / name), cv2.IMREAD_UNCHANGED)
        assert image.shape[:2] == (48, 48)
        assert image.shape[2] == (4 if name == "rgba.png" else 3)
    assert run_tool("resize_pad", *args).returncode == 0
    assert folder_bytes(out) == outputs


def test_cli_skip_existing_leaves_outputs(tmp_path, run_tool):
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    out.mkdir()
    cv2.imwrite(str(src / "a.png"), _wide())
    (out / "a.png").write_bytes(b"kept as is")
    result = run_tool("resize_pad", f"--input_dir={src}", f"--output_dir={out}", "--skip_existing")
    assert result.returncode == 0 and "kept 1 existing" in result.stdout
    assert (out / "a.png").read_bytes() == b"kept as is"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--mode=stretch"], "--mode"),
        (["--size=-3"], "--size"),
        (["--background=1,2"], "--background"),
        (["--background=transparent", "--nokeep_alpha"], "--keep_alpha"),
    ],
)
def test_cli_bad_flags(tmp_path, run_tool, args, fragment):
    (tmp_path / "in").mkdir()
    result = run_tool(
        "resize_pad", f"--input_dir={tmp_path / 'in'}", f"--output_dir={tmp_path / 'o'}", *args
    )
    assert_one_line_error(result, fragment)


def test_cli_same_input_and_output_folder(tmp_path, run_tool):
    result = run_tool("resize_pad", f"--input_dir={tmp_path}", f"--output_dir={tmp_path}")
    assert_one_line_error(result, "must differ")


def test_cli_missing_input_folder(tmp_path, run_tool):
    result = run_tool(
        "resize_pad", f"--input_dir={tmp_path / 'nope'}", f"--output_dir={tmp_path / 'o'}"
    )
    assert_one_line_error(result, "input folder not found")
