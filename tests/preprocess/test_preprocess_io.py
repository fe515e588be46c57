"""Shared reading/writing/listing helpers and the common CLI conventions."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

import preprocess_cli
import preprocess_io
from tool_checks import assert_one_line_error


def test_read_normalises_formats(tmp_path):
    cv2.imwrite(str(tmp_path / "gray.png"), np.full((5, 7), 9, np.uint8))
    cv2.imwrite(str(tmp_path / "deep.png"), np.full((5, 7, 3), 65535, np.uint16))
    Image.new("LA", (7, 5), (100, 50)).save(tmp_path / "la.png")
    palette = Image.new("P", (7, 5), 1)
    palette.putpalette([255, 0, 0, 0, 255, 0] + [0] * 762)
    palette.paste(0, (4, 0, 7, 5))  # right part uses the transparent index
    palette.save(tmp_path / "pal.gif", transparency=0)
    Image.new("RGBA", (7, 5), (10, 20, 30, 40)).save(tmp_path / "a.webp", lossless=True)
    Image.new("RGB", (7, 5), (10, 20, 30)).save(tmp_path / "b.bmp")

    assert preprocess_io.read_image(tmp_path / "gray.png").shape == (5, 7, 3)
    deep = preprocess_io.read_image(tmp_path / "deep.png")
    assert deep.dtype == np.uint8 and deep.max() == 255
    assert preprocess_io.read_image(tmp_path / "la.png")[0, 0].tolist() == [100, 100, 100, 50]
    gif = preprocess_io.read_image(tmp_path / "pal.gif")
    assert gif.shape == (5, 7, 4) and gif[0, 0].tolist() == [0, 255, 0, 255]  # BGRA green
    assert gif[0, 6, 3] == 0
    assert preprocess_io.read_image(tmp_path / "a.webp")[0, 0].tolist() == [30, 20, 10, 40]
    assert preprocess_io.read_image(tmp_path / "b.bmp")[0, 0].tolist() == [30, 20, 10]


@pytest.mark.parametrize("content", [b"", b"hello", b"\x89PNG\r\n\x1a\n\x00\x00"])
def test_read_rejects_non_images(tmp_path, content):
    path = tmp_path / "bad.png"
    path.write_bytes(content)
    with pytest.raises(preprocess_io.ImageReadError):
        preprocess_io.read_image(path)


def test_output_names_avoid_collisions():
    names = preprocess_io.png_output_names([Path("a.jpg"), Path("a.png"), Path("d/b.webp")])
    assert names == {
        Path("a.jpg"): Path("a_jpg.png"),
        Path("a.png"): Path("a_png.png"),
        Path("d/b.webp"): Path("d/b.png"),
    }


def test_listing_skips_nested_output_and_hidden(tmp_path):
    for rel in ("x.png", "sub/y.JPG", "out/z.png", ".hidden.png", "n.txt"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"")
    listed = preprocess_io.list_images(tmp_path, exclude=tmp_path / "out")
    assert listed == [Path("sub/y.JPG"), Path("x.png")]
    assert preprocess_io.count_non_images(tmp_path, exclude=tmp_path / "out") == 1


def test_write_png_is_atomic_and_stable(tmp_path):
    image = np.arange(48, dtype=np.uint8).reshape(4, 4, 3)
    path = tmp_path / "deep" / "o.png"
    preprocess_io.write_png(path, image)
    stamp = path.stat().st_mtime_ns
    preprocess_io.write_png(path, image)
    assert path.stat().st_mtime_ns == stamp  # same bytes: untouched
    assert (cv2.imread(str(path)) == image).all()
    assert [p.name for p in path.parent.iterdir()] == ["o.png"]  # no temporary left over


@pytest.mark.parametrize(
    ("text", "rgb"),
    [
        ("255,255,255", (255, 255, 255)),
        ("black", (0, 0, 0)),
        ("#FF8000", (255, 128, 0)),
        (" 1, 2,3", (1, 2, 3)),
    ],
)
def test_parse_colour(text, rgb):
    assert preprocess_cli.parse_colour(text) == rgb


@pytest.mark.parametrize("text", ["", "1,2", "1,2,256", "-1,0,0", "#12345", "pink", "transparent"])
def test_parse_colour_rejects(text):
    with pytest.raises(ValueError):
        preprocess_cli.parse_colour(text)


@pytest.mark.parametrize("tool", ["crop_card_art", "flatten_sprites", "resize_pad", "dedupe"])
def test_every_tool_needs_folders_and_rejects_unknown_flags(tmp_path, run_tool, tool):
    assert_one_line_error(run_tool(tool, f"--output_dir={tmp_path}"), "--input_dir")
    assert_one_line_error(
        run_tool(tool, f"--input_dir={tmp_path}", f"--output_dir={tmp_path / 'o'}", "--colour=red"),
        "colour",
    )
    help_run = run_tool(tool, "--helpshort")
    assert "--input_dir" in help_run.stdout  # absl exits 1 after help; the text is what counts


def test_process_folder_gives_the_output_name(tmp_path, capsys):
    src, out = tmp_path / "in", tmp_path / "out"
    (src / "sub").mkdir(parents=True)
    cv2.imwrite(str(src / "a.jpg"), np.full((4, 4, 3), 50, np.uint8))
    cv2.imwrite(str(src / "a.png"), np.full((4, 4, 3), 60, np.uint8))
    cv2.imwrite(str(src / "sub" / "b.bmp"), np.full((4, 4, 3), 70, np.uint8))
    seen = []

    def transform(image: np.ndarray, name: Path) -> np.ndarray:
        seen.append(name.as_posix())
        if name.name == "b.png":
            raise preprocess_cli.SkipImage("not this one")
        return image

    summary = preprocess_cli.process_folder(src, out, transform, with_name=True)
    # the names the outputs get (collisions resolved), relative to the output folder
    assert sorted(seen) == ["a_jpg.png", "a_png.png", "sub/b.png"]
    assert summary.written == 2 and summary.problems == [("sub/b.bmp", "not this one")]
    assert sorted(p.name for p in out.rglob("*.png")) == ["a_jpg.png", "a_png.png"]
    assert "skipped sub/b.bmp: not this one" in capsys.readouterr().err
