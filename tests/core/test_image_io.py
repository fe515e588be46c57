"""Tests for gans.core.data.image_io: every fixture is generated in tmp_path (offline)."""

from __future__ import annotations

import io
import os
import struct
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, features

from gans.core.data import image_io
from gans.core.data.image_io import (
    IMAGE_EXTENSIONS,
    SVG_NOT_AVAILABLE,
    ImageSkipped,
    content_hash,
    iter_image_files,
    load_image,
    svg_renderer,
)

RED, GREEN, BLUE = (255, 0, 0), (0, 255, 0), (0, 0, 255)
BG = (10, 128, 240)  # unusual background so compositing is visible


def luminance(rgb: tuple[int, int, int]) -> int:
    """Pillow's L conversion of one RGB colour."""
    return int(Image.new("RGB", (1, 1), rgb).convert("L").getpixel((0, 0)))


def halves(size: tuple[int, int], left: tuple, right: tuple, mode: str = "RGB") -> Image.Image:
    """Image whose left half is ``left`` and right half is ``right``."""
    w, h = size
    img = Image.new(mode, size, right)
    img.paste(Image.new(mode, (w // 2, h), left), (0, 0))
    return img


def close(actual, expected, tol: int = 0) -> bool:
    """Element-wise |actual - expected| <= tol."""
    a = np.asarray(actual, dtype=int)
    return bool(np.all(np.abs(a - np.asarray(expected, dtype=int)) <= tol))


def skip_reason(path, **kwargs) -> str:
    """Reason string of the ImageSkipped raised by load_image."""
    kwargs.setdefault("image_size", 8)
    kwargs.setdefault("channels", 3)
    with pytest.raises(ImageSkipped) as info:
        load_image(path, **kwargs)
    assert isinstance(info.value.reason, str) and info.value.reason
    assert str(info.value) == info.value.reason
    return info.value.reason


def png_with_header(width: int, height: int) -> bytes:
    """A minimal PNG whose IHDR claims width x height (1-bit gray), with almost no data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00"))
        + chunk(b"IEND", b"")
    )


# --------------------------------------------------------------------------- API basics


def test_image_extensions():
    assert {".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".svg", ".tif", ".tiff"} <= (
        IMAGE_EXTENSIONS
    )
    assert all(e == e.lower() and e.startswith(".") for e in IMAGE_EXTENSIONS)


def test_image_skipped_has_reason():
    err = ImageSkipped("empty file")
    assert err.reason == "empty file" and str(err) == "empty file"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"image_size": 0, "channels": 3},
        {"image_size": 8, "channels": 2},
        {"image_size": 8, "channels": 3, "fit": "stretch"},
        {"image_size": 8, "channels": 3, "background": (0, 0, 300)},
    ],
)
def test_invalid_arguments_raise_value_error(tmp_path, kwargs):
    path = tmp_path / "a.png"
    Image.new("RGB", (4, 4)).save(path)
    with pytest.raises(ValueError):
        load_image(path, **kwargs)


def test_content_hash():
    a = np.arange(12, dtype=np.uint8).reshape(3, 4)
    assert content_hash(a) == content_hash(a.copy())
    assert content_hash(a) != content_hash(a.reshape(4, 3))  # same bytes, other shape
    b = a.copy()
    b[0, 0] = 99
    assert content_hash(a) != content_hash(b)
    assert content_hash(np.asfortranarray(a)) == content_hash(a)
    assert len(content_hash(a)) == 64


# --------------------------------------------------------------------------- formats

FORMATS = [
    ("png", "PNG", 0),
    ("jpg", "JPEG", 12),
    ("gif", "GIF", 0),
    ("webp", "WEBP", 12),
    ("bmp", "BMP", 0),
    ("tiff", "TIFF", 0),
]


@pytest.mark.parametrize(("ext", "fmt", "tol"), FORMATS)
@pytest.mark.parametrize("channels", [1, 3, 4])
def test_each_format(tmp_path, ext, fmt, tol, channels):
    if fmt == "WEBP" and not features.check("webp"):
        pytest.skip("Pillow built without WebP")
    path = tmp_path / f"img.{ext}"
    halves((64, 64), RED, BLUE).save(path, fmt)
    out = load_image(path, image_size=16, channels=channels)
    assert out.shape == (16, 16, channels) and out.dtype == np.uint8
    # Away from the red/blue edge the colours survive (Lanczos ringing stays near the edge).
    left, right = out[8, 2], out[8, 13]
    if channels == 1:
        assert close(left, [luminance(RED)], tol) and close(right, [luminance(BLUE)], tol)
    else:
        assert close(left[:3], RED, tol + 2) and close(right[:3], BLUE, tol + 2)
    if channels == 4:
        assert (out[..., 3] == 255).all()


def test_format_detected_from_content_not_extension(tmp_path):
    path = tmp_path / "really_a_png.jpg"
    Image.new("RGB", (5, 5), GREEN).save(path, "PNG")
    assert close(load_image(path, 4, 3), GREEN)


def test_large_jpeg_downscaled(tmp_path):
    path = tmp_path / "big.jpg"
    halves((1600, 1200), RED, BLUE).save(path, quality=95)
    out = load_image(path, 32, 3)
    assert out.shape == (32, 32, 3)
    assert close(out[16, 3], RED, 12) and close(out[16, 28], BLUE, 12)


# --------------------------------------------------------------------------- modes


def test_mode_L(tmp_path):
    path = tmp_path / "l.png"
    Image.new("L", (6, 6), 77).save(path)
    assert close(load_image(path, 4, 1), 77)
    out3 = load_image(path, 4, 3)
    assert out3.shape == (4, 4, 3) and close(out3, 77)
    out4 = load_image(path, 4, 4)
    assert close(out4[..., :3], 77) and (out4[..., 3] == 255).all()


def test_mode_LA_composited(tmp_path):
    img = Image.new("LA", (8, 8), (200, 255))
    img.paste((0, 0), (0, 0, 4, 4))  # transparent top-left quadrant
    path = tmp_path / "la.png"
    img.save(path)
    out3 = load_image(path, 8, 3, background=BG)
    assert close(out3[0, 0], BG) and close(out3[7, 7], (200, 200, 200))
    out1 = load_image(path, 8, 1, background=BG)
    assert close(out1[0, 0], [luminance(BG)]) and close(out1[7, 7], [200])
    out4 = load_image(path, 8, 4, background=BG)
    assert out4[0, 0, 3] == 0 and out4[7, 7, 3] == 255 and close(out4[7, 7, :3], 200)


def test_mode_P_with_transparency(tmp_path):
    img = Image.new("P", (8, 8), 1)
    img.putpalette([0, 0, 0, *RED, *GREEN] + [0] * (256 * 3 - 9))
    img.paste(0, (0, 0, 4, 4))
    img.paste(2, (4, 4, 8, 8))
    path = tmp_path / "p.png"
    img.save(path, transparency=0)
    out = load_image(path, 8, 3, background=BG)
    assert close(out[0, 0], BG) and close(out[0, 7], RED) and close(out[7, 7], GREEN)
    out4 = load_image(path, 8, 4, background=BG)
    assert out4[0, 0, 3] == 0 and close(out4[0, 7], (*RED, 255))
    out1 = load_image(path, 8, 1, background=BG)
    assert close(out1[0, 0], [luminance(BG)]) and close(out1[0, 7], [luminance(RED)])


def test_mode_P_without_transparency(tmp_path):
    path = tmp_path / "p.bmp"
    halves((8, 8), RED, GREEN).convert("P", palette=Image.Palette.ADAPTIVE).save(path)
    out = load_image(path, 8, 3)
    assert close(out[4, 0], RED) and close(out[4, 7], GREEN)


def test_mode_RGB_and_RGBA(tmp_path):
    img = Image.new("RGBA", (8, 8), (*GREEN, 255))
    img.paste((255, 255, 255, 0), (0, 0, 4, 4))
    img.paste((*RED, 128), (4, 0, 8, 4))  # half-transparent red
    path = tmp_path / "rgba.png"
    img.save(path)
    out3 = load_image(path, 8, 3, background=(0, 0, 0))
    assert close(out3[0, 0], (0, 0, 0)) and close(out3[7, 7], GREEN)
    assert close(out3[0, 7], (128, 0, 0), 1)
    out4 = load_image(path, 8, 4, background=BG)
    assert out4[0, 0, 3] == 0 and close(out4[0, 0, :3], BG)  # invisible pixels get background
    assert close(out4[0, 7], (*RED, 128), 1) and close(out4[7, 7], (*GREEN, 255))
    rgb_path = tmp_path / "rgb.png"
    img.convert("RGB").save(rgb_path)
    assert (load_image(rgb_path, 8, 4)[..., 3] == 255).all()


def test_mode_CMYK_jpeg(tmp_path):
    img = Image.new("CMYK", (16, 16), (0, 0, 0, 0))  # white
    img.paste((0, 255, 255, 0), (0, 0, 8, 16))  # red on the left
    path = tmp_path / "cmyk.jpg"
    img.save(path, quality=95)
    with Image.open(path) as check:
        assert check.mode == "CMYK"
    out = load_image(path, 16, 3)
    assert close(out[8, 2], RED, 12) and close(out[8, 13], (255, 255, 255), 12)


def test_mode_I16_png_keeps_contrast(tmp_path):
    ramp = np.linspace(0, 65535, 64).astype(np.uint16)
    img = Image.fromarray(np.tile(ramp, (64, 1)))
    assert img.mode == "I;16"
    path = tmp_path / "i16.png"
    img.save(path)
    out = load_image(path, 64, 1)[..., 0]
    assert out.shape == (64, 64)
    row = out[32].astype(int)
    assert row[0] <= 1 and row[-1] >= 254  # full range used, not clipped to 255 early
    assert np.all(np.diff(row) >= 0) and len(np.unique(row)) > 50  # monotonic, many levels
    # Plain Pillow conversion would clip almost everything to 255:
    assert (np.asarray(img.convert("L")) == 255).mean() > 0.9


def test_mode_I16_big_endian_tiff(tmp_path):
    a = np.full((8, 8), 32896, dtype=">u2")  # 32896 = 128 * 257
    path = tmp_path / "i16b.tif"
    Image.fromarray(a.astype(np.uint16)).save(path)
    assert close(load_image(path, 8, 1), 128)


def test_mode_I32_and_F_scaled_by_range(tmp_path):
    big = np.zeros((8, 8), dtype=np.int32)
    big[:, 4:] = 1_000_000  # outside 0..65535 -> scaled by the image's own range
    path = tmp_path / "i32.tif"
    Image.fromarray(big, "I").save(path)
    out = load_image(path, 8, 1)[..., 0]
    assert close(out[:, 0], 0) and close(out[:, 7], 255)

    f = np.zeros((8, 8), dtype=np.float32)
    f[:, 4:] = 0.5  # inside 0..1 -> scaled by 255
    path = tmp_path / "f.tif"
    Image.fromarray(f, "F").save(path)
    out = load_image(path, 8, 1)[..., 0]
    assert close(out[:, 0], 0) and close(out[:, 7], 128, 1)


def test_mode_1bit(tmp_path):
    img = halves((8, 8), 0, 1, mode="1")
    path = tmp_path / "bits.png"
    img.save(path)
    out = load_image(path, 8, 1)[..., 0]
    assert close(out[:, 0], 0) and close(out[:, 7], 255)
    assert load_image(path, 8, 3).shape == (8, 8, 3)


# --------------------------------------------------------------------------- geometry


def test_exif_orientation_applied(tmp_path):
    # Stored 40x20 (landscape): left half red, right half blue. Orientation 6 = rotate 90 CW
    # to display, so the displayed image is portrait with red on top and blue at the bottom.
    img = halves((40, 20), RED, BLUE)
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "rot.jpg"
    img.save(path, exif=exif, quality=95)
    for fit in ("crop", "pad"):
        out = load_image(path, 16, 3, fit=fit)
        assert close(out[4, 8], RED, 15) and close(out[12, 8], BLUE, 15), fit
    # Without the EXIF tag the halves stay side by side.
    plain = tmp_path / "plain.jpg"
    img.save(plain, quality=95)
    out = load_image(plain, 16, 3)
    assert close(out[8, 2], RED, 15) and close(out[8, 13], BLUE, 15)


def test_non_square_crop_vs_pad(tmp_path):
    img = Image.new("RGB", (30, 10), GREEN)
    img.paste(Image.new("RGB", (10, 10), RED), (0, 0))
    img.paste(Image.new("RGB", (10, 10), BLUE), (20, 0))
    path = tmp_path / "wide.png"
    img.save(path)

    crop = load_image(path, 10, 3, fit="crop")
    assert close(crop, GREEN)  # centre third only

    pad = load_image(path, 30, 3, fit="pad", background=BG)
    assert pad.shape == (30, 30, 3)
    assert close(pad[:10], BG) and close(pad[20:], BG)
    assert close(pad[15, 5], RED) and close(pad[15, 15], GREEN) and close(pad[15, 25], BLUE)

    pad4 = load_image(path, 15, 4, fit="pad", background=BG)
    assert pad4.shape == (15, 15, 4)
    assert (pad4[0, :, 3] == 0).all() and (pad4[-1, :, 3] == 0).all()
    assert close(pad4[0, :, :3], BG)
    assert (pad4[7, :, 3] >= 250).all()  # opaque band (Lanczos may ring by a few levels)

    pad1 = load_image(path, 30, 1, fit="pad", background=BG)
    assert close(pad1[0], luminance(BG))

    tall = tmp_path / "tall.png"
    img.rotate(90, expand=True).save(tall)
    assert close(load_image(tall, 10, 3, fit="crop"), GREEN)
    tall_pad = load_image(tall, 30, 3, fit="pad", background=BG)
    assert close(tall_pad[:, :10], BG) and close(tall_pad[:, 20:], BG)


@pytest.mark.parametrize("size", [(1, 1), (2, 3), (3, 2)])
def test_tiny_images_upscaled(tmp_path, size):
    path = tmp_path / "tiny.png"
    Image.new("RGB", size, RED).save(path)
    for fit in ("crop", "pad"):
        out = load_image(path, 16, 3, fit=fit, background=RED)
        assert out.shape == (16, 16, 3) and close(out, RED)


def test_downscale_and_exact_size(tmp_path):
    path = tmp_path / "noise.png"
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (100, 100, 3), dtype=np.uint8)).save(path)
    out = load_image(path, 10, 3)
    assert out.shape == (10, 10, 3)
    assert 90 < out.mean() < 165 and out.std() < 40  # averaged, not nearest-neighbour sampled
    same = load_image(path, 100, 3)
    assert np.array_equal(same, np.asarray(Image.open(path)))


def test_animated_gif_first_frame(tmp_path):
    frames = [Image.new("RGB", (8, 8), c) for c in (RED, BLUE, GREEN)]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=50, loop=0)
    with Image.open(path) as check:
        assert check.n_frames == 3
    assert close(load_image(path, 8, 3), RED)


def test_animated_webp_first_frame(tmp_path):
    if not features.check("webp"):
        pytest.skip("Pillow built without WebP")
    frames = [Image.new("RGB", (8, 8), c) for c in (RED, BLUE)]
    path = tmp_path / "anim.webp"
    frames[0].save(path, save_all=True, append_images=frames[1:], lossless=True)
    assert close(load_image(path, 8, 3), RED, 2)


# --------------------------------------------------------------------------- bad files


def noise_bytes(fmt: str) -> bytes:
    """Encoded random-noise image (big enough that truncation hits pixel data)."""
    rng = np.random.default_rng(1)
    img = Image.fromarray(rng.integers(0, 256, (128, 128, 3), dtype=np.uint8))
    buf = io.BytesIO()
    img.save(buf, fmt)
    return buf.getvalue()


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_truncated(tmp_path, fmt):
    data = noise_bytes(fmt)
    path = tmp_path / f"cut.{fmt.lower()}"
    path.write_bytes(data[: len(data) // 2])
    assert skip_reason(path) == "truncated image"


def test_header_truncated_png(tmp_path):
    path = tmp_path / "head.png"
    path.write_bytes(noise_bytes("PNG")[:30])  # signature + part of IHDR
    assert skip_reason(path) == "corrupt image header"


def test_lab_tiff_converted(tmp_path):
    path = tmp_path / "lab.tif"
    Image.new("LAB", (8, 8), (128, 128, 128)).save(path)  # L*~50, neutral a*/b*
    out = load_image(path, 8, 3)
    assert close(out, 119, 3)  # mid grey, not the raw bytes (128, 128, 128) reinterpreted


def test_random_bytes(tmp_path):
    path = tmp_path / "noise.jpg"
    path.write_bytes(np.random.default_rng(2).integers(0, 256, 5000, dtype=np.uint8).tobytes())
    assert skip_reason(path) == "not an image"


def test_zero_byte_file(tmp_path):
    path = tmp_path / "empty.png"
    path.touch()
    assert skip_reason(path) == "empty file"


def test_text_file_with_png_extension(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("this is not an image\n" * 10)
    assert skip_reason(path) == "not an image"


def test_corrupt_png_data(tmp_path):
    data = bytearray(noise_bytes("PNG"))
    data[200:400] = b"\x00" * 200  # damage the zlib stream, keep the length
    path = tmp_path / "bad.png"
    path.write_bytes(bytes(data))
    reason = skip_reason(path)
    assert reason.startswith(("corrupt image", "truncated image")), reason


def test_missing_file_and_directory(tmp_path):
    assert skip_reason(tmp_path / "nope.png") == "file not found"
    assert skip_reason(tmp_path).startswith("not a regular file")


def test_fifo_does_not_hang(tmp_path):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    path = tmp_path / "pipe.png"
    os.mkfifo(path)
    assert skip_reason(path) == "not a regular file"


@pytest.mark.parametrize(("width", "height"), [(100_000, 100_000), (10_000, 10_000)])
def test_decompression_bomb(tmp_path, width, height):
    # 1e10 px > 2*limit -> DecompressionBombError; 1e8 px in (limit, 2*limit] -> the warning,
    # which must be an error as well.
    limit = Image.MAX_IMAGE_PIXELS
    assert limit is not None and width * height > limit
    path = tmp_path / "bomb.png"
    path.write_bytes(png_with_header(width, height))
    filters_before = list(warnings.filters)
    reason = skip_reason(path)
    assert reason.startswith("decompression bomb: "), reason
    assert limit == Image.MAX_IMAGE_PIXELS  # protection untouched
    assert list(warnings.filters) == filters_before


def test_unreadable_file(tmp_path):
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        pytest.skip("running as root: file permissions do not block reads")
    path = tmp_path / "secret.png"
    Image.new("RGB", (4, 4)).save(path)
    path.chmod(0)
    try:
        assert skip_reason(path) == "permission denied"
    finally:
        path.chmod(0o644)


def test_permission_error_mapped(tmp_path, monkeypatch):
    """Same mapping, simulated, so it is also checked when the tests run as root."""
    path = tmp_path / "secret.png"
    Image.new("RGB", (4, 4)).save(path)

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(image_io, "open", denied, raising=False)
    assert skip_reason(path) == "permission denied"


def test_unexpected_decoder_exception_mapped(tmp_path, monkeypatch):
    path = tmp_path / "ok.png"
    Image.new("RGB", (4, 4)).save(path)

    def boom(img):
        raise struct.error("unpack requires a buffer of 4 bytes")

    monkeypatch.setattr(image_io, "_normalize_mode", boom)
    assert skip_reason(path).startswith("corrupt image: unpack requires")


def test_non_utf8_filename(tmp_path):
    name = b"caf\xe9_\xff.png"  # not valid UTF-8
    raw = os.path.join(os.fsencode(tmp_path), name)
    try:
        with open(raw, "wb") as fh:
            Image.new("RGB", (4, 4), BLUE).save(fh, "PNG")
    except OSError as exc:
        pytest.skip(f"filesystem rejects non-UTF-8 names: {exc}")
    assert close(load_image(raw, 4, 3), BLUE)  # bytes path
    as_path = Path(os.fsdecode(raw))
    assert close(load_image(as_path, 4, 3), BLUE)  # Path with surrogate escapes
    assert as_path in list(iter_image_files(tmp_path))


# --------------------------------------------------------------------------- SVG

SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="50">'
    b'<rect x="0" y="0" width="50" height="50" fill="#ff0000"/></svg>'
)


def available_renderers() -> list[str]:
    """Renderers usable on this machine (the tests run the SVG cases once per renderer)."""
    found = []
    if image_io.shutil.which("rsvg-convert"):
        found.append("rsvg-convert")
    try:
        import cairosvg  # noqa: F401

        found.append("cairosvg")
    except Exception:
        pass
    return found


@pytest.fixture(params=["rsvg-convert", "cairosvg"])
def renderer(request, monkeypatch):
    """Force one SVG renderer; skip if it is not installed here."""
    if request.param not in available_renderers():
        pytest.skip(f"{request.param} not available: {SVG_NOT_AVAILABLE}")
    monkeypatch.setattr(image_io, "svg_renderer", lambda: request.param)
    return request.param


def test_svg_crop_and_pad(tmp_path, renderer):
    path = tmp_path / "drawing.svg"
    path.write_bytes(SVG)
    # crop: centre 50x50 of 100x50 -> left half red, right half transparent -> background
    out = load_image(path, 20, 3, fit="crop", background=BG)
    assert out.shape == (20, 20, 3)
    assert close(out[10, 2], RED, 2) and close(out[10, 17], BG, 2)
    # pad, RGBA: rows above/below are transparent padding, the rect is opaque red
    out4 = load_image(path, 20, 4, fit="pad")
    assert out4.shape == (20, 20, 4)
    assert out4[1, 10, 3] == 0 and out4[18, 10, 3] == 0
    assert close(out4[10, 2], (*RED, 255), 2) and out4[10, 17, 3] == 0


def test_svg_rendered_at_target_size(tmp_path, renderer):
    path = tmp_path / "tall.svg"
    path.write_bytes(
        b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 40">'
        b'<rect width="10" height="40" fill="#0000ff"/></svg>'
    )
    for fit in ("crop", "pad"):
        out = load_image(path, 32, 4, fit=fit)
        assert out.shape == (32, 32, 4)
        assert close(out[16, 16], (*BLUE, 255), 2)


def test_svg_content_without_svg_suffix(tmp_path, renderer):
    path = tmp_path / "drawing.png"
    path.write_bytes(b'<?xml version="1.0"?>\n' + SVG)
    assert load_image(path, 8, 3).shape == (8, 8, 3)


def test_broken_svg(tmp_path, renderer):
    path = tmp_path / "broken.svg"
    path.write_bytes(b"<svg xmlns='http://www.w3.org/2000/svg' width='10' <<<")
    reason = skip_reason(path)
    assert reason.startswith("svg render failed"), reason


def test_svg_without_renderer(tmp_path, monkeypatch):
    path = tmp_path / "drawing.svg"
    path.write_bytes(SVG)
    monkeypatch.setattr(image_io, "svg_renderer", lambda: None)
    assert skip_reason(path) == SVG_NOT_AVAILABLE


def test_svg_renderer_preference(monkeypatch):
    assert svg_renderer() in (None, "rsvg-convert", "cairosvg")
    monkeypatch.setattr(image_io.shutil, "which", lambda name: "/usr/bin/" + name)
    assert svg_renderer() == "rsvg-convert"


# --------------------------------------------------------------------------- listing


def make_tree(root: Path) -> None:
    """A small folder tree with hidden entries, non-images and nested directories."""
    (root / "b").mkdir()
    (root / "a").mkdir()
    (root / "a" / "deep").mkdir()
    (root / ".hidden_dir").mkdir()
    for rel in ["z.png", "m.txt", "a/1.jpg", "a/deep/2.gif", "b/3.png", ".hidden.png"]:
        (root / rel).write_bytes(b"x")
    (root / ".hidden_dir" / "4.png").write_bytes(b"x")


def test_iter_image_files_sorted_recursive(tmp_path):
    make_tree(tmp_path)
    got = [p.relative_to(tmp_path).as_posix() for p in iter_image_files(tmp_path)]
    assert got == ["a/1.jpg", "a/deep/2.gif", "b/3.png", "m.txt", "z.png"]
    flat = [p.name for p in iter_image_files(str(tmp_path), recursive=False)]
    assert flat == ["m.txt", "z.png"]
    assert [p.name for p in iter_image_files(os.fsencode(tmp_path), recursive=False)] == flat


def test_iter_image_files_symlinks(tmp_path):
    root = tmp_path / "data"
    outside = tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "real.png").write_bytes(b"x")
    (outside / "other.png").write_bytes(b"x")
    (root / "sub").mkdir()
    try:
        (root / "link_in.png").symlink_to(root / "real.png")
        (root / "link_out.png").symlink_to(outside / "other.png")
        (root / "broken.png").symlink_to(root / "missing.png")
        (root / "dirlink").symlink_to(root / "sub", target_is_directory=True)
        (root / "sub" / "loop").symlink_to(root, target_is_directory=True)
    except OSError as exc:
        pytest.skip(f"symlinks not supported: {exc}")
    skipped: list[tuple[str, str]] = []
    got = [p.name for p in iter_image_files(root, on_skip=lambda p, r: skipped.append((p.name, r)))]
    assert got == ["link_in.png", "real.png"]
    assert dict(skipped) == {
        "broken.png": "broken symlink",
        "dirlink": "symlinked directory not followed",
        "link_out.png": "symlink points outside folder",
        "loop": "symlinked directory not followed",
    }


def test_iter_image_files_reports_special_and_unreadable(tmp_path):
    (tmp_path / "ok.png").write_bytes(b"x")
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "pipe")
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "inside.png").write_bytes(b"x")
    locked.chmod(0)
    skipped: dict[str, str] = {}
    try:
        got = [
            p.name
            for p in iter_image_files(tmp_path, on_skip=lambda p, r: skipped.update({p.name: r}))
        ]
    finally:
        locked.chmod(0o755)
    if hasattr(os, "mkfifo"):
        assert skipped["pipe"] == "not a regular file"
    if os.geteuid() != 0:
        assert got == ["ok.png"]
        assert skipped["locked"] == "unreadable directory: permission denied"
    else:  # root reads through chmod 000
        assert got == ["inside.png", "ok.png"]


def test_iter_image_files_bad_root(tmp_path):
    with pytest.raises(FileNotFoundError):
        list(iter_image_files(tmp_path / "missing"))
    (tmp_path / "f.png").write_bytes(b"x")
    with pytest.raises(NotADirectoryError):
        list(iter_image_files(tmp_path / "f.png"))


def test_listing_then_loading_never_raises_other_exceptions(tmp_path):
    """End to end: every listed file either loads or raises ImageSkipped."""
    Image.new("RGB", (9, 5), RED).save(tmp_path / "good.png")
    (tmp_path / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    (tmp_path / "empty.jpg").touch()
    (tmp_path / "readme.md").write_text("hello")
    (tmp_path / "bomb.png").write_bytes(png_with_header(50_000, 50_000))
    loaded, reasons = [], {}
    for path in iter_image_files(tmp_path):
        try:
            loaded.append((path.name, load_image(path, 8, 3)))
        except ImageSkipped as exc:
            reasons[path.name] = exc.reason
    assert [name for name, _ in loaded] == ["good.png"]
    assert set(reasons) == {"bad.png", "empty.jpg", "readme.md", "bomb.png"}
