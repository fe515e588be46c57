"""Generated inputs for the converter fuzz test: good images mixed with >1000 malformed ones.

Everything is written below one source folder with a fixed seed; files are small (a few
KiB at most, the decompression bombs are ~10 KiB of zlib). Each input is described by a
:class:`Case` saying what the converter must do with it.
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import os
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

# What the converter must do with an input:
#   good    kept, and the stored pixels equal ``expected`` exactly
#   valid   a legitimate (unusual) image: kept, or a duplicate of an earlier identical one
#   dup     listed in "duplicates" with duplicate_of == ``dup_of`` (links to a good image)
#   skip    listed in "skipped" (``reason_has`` in the reason, if given)
#   bad     accounted for exactly once: kept (well-formed), skipped or duplicate
#   ignored hidden entry: silently left out by design (iter_image_files docstring)
KINDS = ("good", "valid", "dup", "skip", "bad", "ignored")

LOCKED_MARK = "locked_"  # files whose name contains this are "unreadable" (see the test)


@dataclasses.dataclass
class Case:
    """One generated input: its path relative to the source folder and the expectation."""

    rel: bytes
    kind: str
    category: str
    expected: np.ndarray | None = None
    dup_of: bytes | None = None
    reason_has: str = ""
    ancestor_ok: bool = False  # may be accounted for by an unlistable parent directory

    @property
    def key(self) -> str:
        return manifest_key(self.rel)


def manifest_key(rel: bytes | str) -> str:
    """The manifest key of a relative path, worked out from its bytes: UTF-8 text with each
    backslash doubled and each undecodable byte as ``\\xNN`` (a 0x5C byte is never part of
    a multi-byte UTF-8 sequence, so doubling it first leaves the rest to decode as before)."""
    return os.fsencode(rel).replace(b"\\", b"\\\\").decode("utf-8", "backslashreplace")


# --------------------------------------------------------------------------- encoders


def encode(img: Image.Image, fmt: str, **params) -> bytes:
    """Bytes of ``img`` saved by Pillow in ``fmt``."""
    buf = io.BytesIO()
    img.save(buf, fmt, **params)
    return buf.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk with a correct CRC."""
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png_raw(
    width: int, height: int, depth: int = 8, colour: int = 0, idat: bytes | None = None
) -> bytes:
    """A PNG whose IHDR claims anything; ``idat`` is the (compressed) pixel data."""
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64) if idat is None else idat
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def png_bomb(width: int, height: int) -> bytes:
    """A real 1-bit PNG of zeros (decodes to width x height pixels), ~KiB compressed."""
    row = b"\x00" * (1 + (width + 7) // 8)
    comp = zlib.compressobj(9)
    idat = b"".join(comp.compress(row) for _ in range(height)) + comp.flush()
    return png_raw(width, height, 1, 0, idat)


def png_with_text_bomb(base: bytes, size: int = 8 << 20) -> bytes:
    """A valid PNG plus a zTXt chunk inflating to ``size`` bytes (text-chunk bomb)."""
    payload = b"Comment\x00\x00" + zlib.compress(b"A" * size, 9)
    return base[:33] + png_chunk(b"zTXt", payload) + base[33:]


def gif_header(screen: tuple[int, int], frame: tuple[int, int]) -> bytes:
    """A GIF with a logical screen and one frame of the given sizes and a tiny LZW stream."""
    head = b"GIF89a" + struct.pack("<HHBBB", *screen, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    desc = b"\x2c" + struct.pack("<HHHHB", 0, 0, *frame, 0)
    return head + desc + b"\x02\x02\x44\x01\x00\x3b"


def bmp_header(width: int, height: int, bpp: int = 24, offset: int = 54) -> bytes:
    """A BMP (BITMAPINFOHEADER) claiming width x height with 64 bytes of pixel data."""
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, bpp, 0, 0, 2835, 2835, 0, 0)
    body = info + b"\x7f" * 64
    return b"BM" + struct.pack("<IHHI", 14 + len(body), 0, 0, offset) + body


def jpeg_with_size(jpeg: bytes, width: int, height: int) -> bytes:
    """A real JPEG whose SOF0/SOF2 frame header is rewritten to claim width x height."""
    data = bytearray(jpeg)
    for marker in (b"\xff\xc0", b"\xff\xc2"):
        i = data.find(marker)
        if i >= 0:
            data[i + 5 : i + 9] = struct.pack(">HH", height, width)
            return bytes(data)
    raise ValueError("no SOF marker")


def tiff_header(width: int, height: int, bps: int = 8, spp: int = 1) -> bytes:
    """A little-endian uncompressed TIFF claiming width x height, 16 bytes of strip data."""
    tags = [
        (256, 4, 1, width),  # ImageWidth
        (257, 4, 1, height),  # ImageLength
        (258, 3, 1, bps),  # BitsPerSample
        (259, 3, 1, 1),  # Compression: none
        (262, 3, 1, 1),  # Photometric: black is zero
        (273, 4, 1, 0),  # StripOffsets (patched below)
        (277, 3, 1, spp),  # SamplesPerPixel
        (278, 4, 1, height),  # RowsPerStrip
        (279, 4, 1, 16),  # StripByteCounts
    ]
    ifd_size = 2 + 12 * len(tags) + 4
    data_offset = 8 + ifd_size
    out = bytearray(b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", len(tags)))
    for tag, typ, count, value in tags:
        value = data_offset if tag == 273 else value
        packed = struct.pack("<H", value) + b"\x00\x00" if typ == 3 else struct.pack("<I", value)
        out += struct.pack("<HHI", tag, typ, count) + packed
    out += struct.pack("<I", 0) + b"\x55" * 16
    return bytes(out)


def webp_vp8x(width: int, height: int) -> bytes:
    """A WebP extended header (VP8X) claiming a width x height canvas, with no frame."""
    chunk = b"VP8X" + struct.pack("<I", 10) + b"\x00\x00\x00\x00"
    chunk += (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


# --------------------------------------------------------------------------- builder


class CorpusBuilder:
    """Writes inputs below ``root`` and records one :class:`Case` per input."""

    def __init__(self, root: Path, seed: int, size: int) -> None:
        self.root = os.fsencode(root)
        self.rng = np.random.default_rng(seed)
        self.size = size
        self.cases: list[Case] = []

    # -- low level

    def path(self, rel: bytes | str) -> bytes:
        rel_b = os.fsencode(rel)
        full = os.path.join(self.root, rel_b)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        return full

    def add(self, rel: bytes | str, data: bytes, kind: str, category: str, **kw) -> Case:
        """Write ``data`` at ``rel`` (bytes names allowed) and record the case."""
        assert kind in KINDS
        fd = os.open(self.path(rel), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
        case = Case(os.fsencode(rel), kind, category, **kw)
        self.cases.append(case)
        return case

    def link(self, rel: bytes | str, target: bytes | str, kind: str, **kw) -> Case:
        """A symlink at ``rel`` pointing to ``target`` (relative or absolute)."""
        os.symlink(os.fsencode(target), self.path(rel))
        case = Case(os.fsencode(rel), kind, "symlink", **kw)
        self.cases.append(case)
        return case

    def noise(self, h: int, w: int, c: int = 3) -> np.ndarray:
        shape = (h, w) if c == 1 else (h, w, c)
        return self.rng.integers(0, 256, shape, dtype=np.uint8)

    def colour(self) -> tuple[int, int, int]:
        return tuple(int(v) for v in self.rng.integers(0, 256, 3))  # type: ignore[return-value]

    # -- generators

    def good(self, rel: bytes | str, fmt: str = "PNG", **params) -> Case:
        """A distinct random image of exactly the target size: stored pixels are known."""
        arr = self.noise(self.size, self.size)
        img = Image.fromarray(arr, "RGB")
        if fmt == "GIF":
            img = img.quantize(256)
        data = encode(img, fmt, **params)
        if fmt in ("JPEG", "GIF"):  # lossy or palette: expect what Pillow decodes
            arr = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
        return self.add(rel, data, "good", f"good-{fmt.lower()}", expected=arr)

    def bases(self) -> dict[str, bytes]:
        """Valid images (not in the good set) that truncation and bit flips start from."""
        rgb = Image.fromarray(self.noise(20, 24), "RGB")
        frames = [Image.fromarray(self.noise(12, 12), "RGB") for _ in range(3)]
        return {
            "png": encode(rgb, "PNG"),
            "png_rgba": encode(Image.fromarray(self.noise(12, 12, 4), "RGBA"), "PNG"),
            "jpg": encode(rgb, "JPEG", quality=90),
            "jpg_prog": encode(rgb, "JPEG", quality=80, progressive=True),
            "gif": encode(rgb.quantize(64), "GIF"),
            "gif_anim": encode(frames[0], "GIF", save_all=True, append_images=frames[1:]),
            "apng": encode(frames[0], "PNG", save_all=True, append_images=frames[1:]),
            "bmp": encode(rgb, "BMP"),
            "tif": encode(rgb, "TIFF"),
            "tif_lzw": encode(rgb, "TIFF", compression="tiff_lzw"),
            "webp": encode(rgb, "WEBP", quality=80),
            "webp_lossless": encode(rgb, "WEBP", lossless=True),
        }


EXT = {
    "png": "png",
    "png_rgba": "png",
    "jpg": "jpg",
    "jpg_prog": "jpeg",
    "gif": "gif",
    "gif_anim": "gif",
    "apng": "png",
    "bmp": "bmp",
    "tif": "tif",
    "tif_lzw": "tiff",
    "webp": "webp",
    "webp_lossless": "webp",
}
IMAGE_EXTS = ["png", "jpg", "jpeg", "gif", "webp", "bmp", "tif", "tiff", "PNG", "JPG", "svg"]


def add_good_images(b: CorpusBuilder) -> None:
    """~50 distinct good images in many places, names and formats."""
    for i in range(20):
        b.good(f"good_{i:02d}.png")
    for i in range(4):
        b.good(f"nested/deeper/still/good_{i}.png")
        b.good(f"album.jpg/good_{i}.bmp", "BMP")  # a directory named like an image
        b.good(f"tiffs/good_{i}.tif", "TIFF")
        b.good(f"webp/good_{i}.webp", "WEBP", lossless=True)
        b.good(f"jpeg/good_{i}.jpg", "JPEG", quality=95)
    for i in range(3):
        b.good(f"gif/good_{i}.gif", "GIF")
        b.good(f"trunc/good_between_bad_{i}.png")  # goods inside the bad folders too
        b.good(f"flip/good_between_bad_{i}.png")
    # unusual but legal names
    for name in (
        "фото_good.png",
        "emoji 😀 good.png",
        "new\nline good.png",
        "tab\tgood.png",
        "back\\slash_good.png",
        " leading space good.png",
        "quote'\"good.png",
        "-rf good.png",
        "%s%n good.png",
        "g" * 251 + ".png",  # 255 bytes: the longest legal name
        "é" * 125 + ".png",  # 254 bytes of UTF-8
    ):
        b.good(name)
    # non-UTF-8 names (bytes)
    b.good(b"good_\xff\xfe.png")
    b.good(b"latin1_caf\xe9.png")
    b.good(b"dir_\xe9\xff/good_in_bad_dir.png")
    b.good(b"\xc3\x28 invalid utf8 seq.png")
    # wrong extensions: the format is detected from content
    b.good("wrongext/png_named.jpg")
    b.good("wrongext/jpeg_named.png", "JPEG", quality=95)
    b.good("wrongext/png_without_extension")
    b.good("wrongext/png_named.txt")
    b.good("wrongext/bmp_named.gif", "BMP")
    b.good("wrongext/webp_named.tiff", "WEBP", lossless=True)


def add_valid_unusual(b: CorpusBuilder) -> None:
    """Legal but unusual images (modes, animation, tiny, CMYK, 16-bit, SVG): must be kept."""
    s = b.size

    def add(name: str, data: bytes, category: str) -> None:
        b.add(f"unusual/{name}", data, "valid", category)

    for i, fmt in enumerate(["PNG", "GIF", "BMP", "JPEG", "TIFF", "WEBP", "PPM", "TGA", "ICO"]):
        img = Image.new("RGB", (1, 1), b.colour())
        add(f"one_px_{i}.{fmt.lower()}", encode(img, fmt), "1x1")
    add("one_px_L.png", encode(Image.new("L", (1, 1), 77), "PNG"), "1x1")
    add("one_px_RGBA.png", encode(Image.new("RGBA", (1, 1), (*b.colour(), 200)), "PNG"), "1x1")
    add("one_px_bit.png", encode(Image.new("1", (1, 1), 1), "PNG"), "1x1")
    add("two_by_three.png", encode(Image.fromarray(b.noise(3, 2)), "PNG"), "1x1")
    for i in range(3):
        cmyk = Image.fromarray(b.noise(s, s, 4), "CMYK")
        add(f"cmyk_{i}.jpg", encode(cmyk, "JPEG", quality=90), "cmyk-jpeg")
    add("cmyk.tif", encode(Image.fromarray(b.noise(s, s, 4), "CMYK"), "TIFF"), "cmyk-tiff")
    for i in range(2):
        arr16 = b.rng.integers(0, 65536, (s, s), dtype=np.uint16)
        add(f"gray16_{i}.png", encode(Image.fromarray(arr16), "PNG"), "16-bit")
        rgb16 = b.rng.integers(0, 65536, (s, s, 3), dtype=np.uint16)
        add(f"rgb16_{i}.png", cv2.imencode(".png", rgb16)[1].tobytes(), "16-bit")
    add(
        "gray16.tif",
        encode(Image.fromarray(b.rng.integers(0, 65536, (s, s), np.uint16)), "TIFF"),
        "16-bit",
    )
    add(
        "int32.tif",
        encode(Image.fromarray(b.rng.integers(-9, 9**9, (s, s), np.int32)), "TIFF"),
        "32-bit",
    )
    add("float01.tif", encode(Image.fromarray(b.rng.random((s, s), np.float32)), "TIFF"), "float")
    wild = (b.rng.random((s, s)) * 1e6 - 5e5).astype(np.float32)
    wild[0, 0], wild[1, 1] = np.nan, np.inf
    add("float_wild.tif", encode(Image.fromarray(wild), "TIFF"), "float")
    for i in range(3):
        pal = Image.fromarray(b.noise(s, s)).convert("P", palette=Image.Palette.ADAPTIVE)
        pal.info["transparency"] = i
        add(f"palette_trns_{i}.png", encode(pal, "PNG", transparency=i), "palette-alpha")
        add(f"palette_trns_{i}.gif", encode(pal, "GIF", transparency=i), "palette-alpha")
    add("la.png", encode(Image.fromarray(b.noise(s, s, 2), "LA"), "PNG"), "la")
    add("bilevel.png", encode(Image.fromarray(b.noise(s, s, 1) > 127), "PNG"), "1-bit")
    add("bilevel.tif", encode(Image.fromarray(b.noise(s, s, 1) > 127), "TIFF"), "1-bit")
    for i, (fmt, ext) in enumerate([("GIF", "gif"), ("PNG", "png"), ("WEBP", "webp")] * 2):
        frames = [Image.fromarray(b.noise(s, s)) for _ in range(3)]
        params = {"lossless": True} if fmt == "WEBP" else {}
        data = encode(frames[0], fmt, save_all=True, append_images=frames[1:], **params)
        add(f"animated_{i}.{ext}", data, "animated")
    frames = [Image.fromarray(b.noise(s, s)) for _ in range(2)]
    add(
        "multipage.tif",
        encode(frames[0], "TIFF", save_all=True, append_images=frames[1:]),
        "multipage",
    )
    for i, orientation in enumerate((3, 6, 8)):
        exif = Image.Exif()
        exif[0x0112] = orientation
        img = Image.fromarray(b.noise(s, 2 * s))
        add(f"exif_rot_{i}.jpg", encode(img, "JPEG", exif=exif.tobytes()), "exif")
    broken_exif = b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xff" + b"\x00" * 8
    add("exif_broken.jpg", encode(Image.fromarray(b.noise(s, s)), "JPEG", exif=broken_exif), "exif")
    add("wide.png", encode(Image.fromarray(b.noise(12, 300)), "PNG"), "non-square")
    add("tall.jpg", encode(Image.fromarray(b.noise(200, 9)), "JPEG"), "non-square")
    add("gray.jpg", encode(Image.fromarray(b.noise(s, s, 1)), "JPEG"), "gray-jpeg")
    for fmt, ext in (("PCX", "pcx"), ("SGI", "sgi"), ("QOI", "qoi"), ("JPEG2000", "jp2")):
        add(f"other_format.{ext}.png", encode(Image.fromarray(b.noise(s, s)), fmt), "other-format")
    add("pgm16.pgm", b"P5\n4 4\n65535\n" + b.noise(4, 8, 1).tobytes(), "16-bit")
    # SVG: rendered by rsvg-convert / cairosvg when available (else skipped with a reason)
    for i in range(2):
        r, g, bl = b.colour()
        svg = (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{20 + i}" height="10">'
            f'<rect width="{7 + i}" height="10" fill="rgb({r},{g},{bl})"/>'
            '<circle cx="10" cy="5" r="3" fill="blue"/></svg>'
        ).encode()
        add(f"vector_{i}.svg", svg, "svg")
    add("svg_named.png", svg.replace(b"blue", b"red"), "svg")
    add("gzipped.svgz", gzip.compress(svg.replace(b"blue", b"green"), mtime=0), "svg")


def add_truncated_and_flipped(b: CorpusBuilder, bases: dict[str, bytes]) -> None:
    """Every base cut at all header offsets and at spread-out points; bit flips and stomps."""
    for name, data in bases.items():
        ext, n = EXT[name], len(data)
        cuts = set(range(1, min(n, 40))) | {int(c) for c in np.linspace(40, n - 1, 14)}
        cuts |= {n - 1, n - 2, n - 12}
        for cut in sorted(c for c in cuts if 0 < c < n):
            b.add(f"trunc/{name}_{cut:06d}.{ext}", data[:cut], "bad", "truncated")
        for j in range(22):
            mutated = bytearray(data)
            pos = int(b.rng.integers(0, min(n, 96) if j % 2 else n))
            mutated[pos] ^= 1 << int(b.rng.integers(0, 8))
            b.add(f"flip/{name}_bit_{j:02d}_{pos}.{ext}", bytes(mutated), "bad", "bit-flip")
        for j in range(6):
            mutated = bytearray(data)
            start = int(b.rng.integers(0, n - 8))
            length = int(b.rng.integers(1, 9))
            mutated[start : start + length] = b.noise(1, length, 1).tobytes()
            b.add(f"flip/{name}_stomp_{j}_{start}.{ext}", bytes(mutated), "bad", "byte-stomp")


MAGICS = [
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff\xe0",
    b"GIF89a",
    b"GIF87a",
    b"BM",
    b"II*\x00",
    b"MM\x00*",
    b"RIFF\x00\x01\x00\x00WEBP",
    b"P6\n",
    b"8BPS",
    b"\x00\x00\x01\x00",  # ICO
    b"qoif",
    b"<svg",
]


def add_random_bytes(b: CorpusBuilder) -> None:
    """Random content with image extensions, with and without a real magic number."""
    for i in range(90):
        data = b.noise(1, int(b.rng.integers(1, 3000)), 1).tobytes()
        ext = IMAGE_EXTS[i % len(IMAGE_EXTS)]
        b.add(f"random/noise_{i:03d}.{ext}", data, "bad", "random-bytes")
    for i in range(65):
        magic = MAGICS[i % len(MAGICS)]
        data = magic + b.noise(1, int(b.rng.integers(0, 600)), 1).tobytes()
        ext = IMAGE_EXTS[i % len(IMAGE_EXTS)]
        b.add(f"random/magic_{i:03d}.{ext}", data, "bad", "random-after-magic")
    for i, ext in enumerate([*IMAGE_EXTS, "svgz", ""]):
        b.add(f"empty/zero_{i}.{ext}".rstrip("."), b"", "skip", "zero-byte", reason_has="empty")


def add_headers_and_bombs(b: CorpusBuilder, jpeg: bytes) -> None:
    """Headers claiming absurd sizes, real decompression bombs, text-chunk bombs."""

    def skip(name: str, data: bytes, reason: str = "") -> None:
        b.add(f"huge/{name}", data, "skip", "huge-dims", reason_has=reason)

    for w, h in (
        (100000, 100000),
        (2**31 - 1, 1),
        (1, 2**31 - 1),
        (65535, 65535),
        (2**31 - 1, 2**31 - 1),
    ):
        skip(f"png_{w}x{h}.png", png_raw(w, h), "decompression bomb")
        skip(f"png16_{w}x{h}.png", png_raw(w, h, 16, 6), "decompression bomb")
    skip("png_0x0.png", png_raw(0, 0))
    skip("png_0x16.png", png_raw(0, 16))
    skip("png_2e32.png", png_raw(2**32 - 1, 2**32 - 1))
    skip("png_9000x9000_nodata.png", png_raw(9000, 9000, 8, 0), "truncated")
    skip("png_bad_depth.png", png_raw(8, 8, 3, 0))
    skip("png_bad_colour.png", png_raw(8, 8, 8, 5))
    for w, h in ((65500, 65500), (60000, 3000), (1, 65500)):
        b.add(f"huge/jpeg_{w}x{h}.jpg", jpeg_with_size(jpeg, w, h), "bad", "huge-dims")
    skip("jpeg_0x0.jpg", jpeg_with_size(jpeg, 0, 0))
    skip("gif_screen_65535.gif", gif_header((65535, 65535), (1, 1)))
    b.add("huge/gif_frame_65535.gif", gif_header((1, 1), (65535, 65535)), "bad", "huge-dims")
    skip("gif_0x0.gif", gif_header((0, 0), (0, 0)))
    for name, args in {
        "bmp_100000": (100000, 100000),
        "bmp_neg": (100000, -100000),
        "bmp_zero": (0, 16),
        "bmp_bpp7": (16, 16, 7),
        "bmp_bad_offset": (16, 16, 24, 2**31),
    }.items():
        skip(f"{name}.bmp", bmp_header(*args))
    skip("tiff_100000.tif", tiff_header(100000, 100000), "decompression bomb")
    skip("tiff_zero.tif", tiff_header(0, 0))
    skip("tiff_bps_99.tif", tiff_header(16, 16, 99))
    skip("webp_vp8x_16M.webp", webp_vp8x(2**24, 2**24))
    skip("webp_vp8x_1x1_noframe.webp", webp_vp8x(1, 1))
    skip("ppm_100000.ppm", b"P6\n100000 100000\n255\n" + b"\x01" * 32, "decompression bomb")
    skip("ppm_neg.ppm", b"P6\n-5 5\n255\n" + b"\x01" * 32)
    skip("pgm_maxval_0.pgm", b"P5\n4 4\n0\n" + b"\x01" * 16)
    psd = b"8BPS\x00\x01" + b"\x00" * 6 + struct.pack(">HIIHH", 3, 30000, 30000, 8, 3)
    skip("psd_30000.psd", psd + b"\x00" * 64, "decompression bomb")
    # real bombs: decode to more pixels than Image.MAX_IMAGE_PIXELS (above and within 2x)
    skip("bomb_10000x10000.png", png_bomb(10000, 10000), "decompression bomb")
    skip("bomb_9500x9500.png", png_bomb(9500, 9500), "decompression bomb")
    # below the limit: a real (black) 6000x6000 image; decoding it is allowed
    b.add("huge/zeros_6000x6000.png", png_bomb(6000, 6000), "valid", "big-but-legal")
    # tiny files, extreme aspect ratio: fit="pad" makes a max(w, h)^2 canvas of these
    # (see test_pad_of_extreme_aspect_ratio_stays_small); "bad" so the fuzz run stays green
    b.add("huge/strip_1x65500.png", encode(Image.new("L", (1, 65500), 90), "PNG"), "bad", "strip")
    b.add("huge/strip_65500x2.png", encode(Image.new("RGB", (65500, 2)), "PNG"), "bad", "strip")
    small = encode(Image.fromarray(b.noise(8, 8)), "PNG")
    b.add("huge/ztxt_bomb.png", png_with_text_bomb(small), "bad", "text-bomb")
    entities = b'<!ENTITY a "aaaaaaaaaaaaaaaa">'
    for prev, cur in zip("abcdefgh", "bcdefghi", strict=True):
        entities += b'<!ENTITY %s "%s">' % (cur.encode(), f"&{prev};".encode() * 10)
    svg_bomb = (
        b'<?xml version="1.0"?><!DOCTYPE svg [' + entities + b"]>"
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text>&i;</text></svg>'
    )
    b.add("huge/billion_laughs.svg", svg_bomb, "bad", "svg-bomb")
    b.add(
        "huge/svg_1e9.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg" width="1000000000" height="1000000000"/>',
        "bad",
        "svg-huge",
    )
    b.add("huge/svgz_zeros.svgz", gzip.compress(b" " * (4 << 20), 9, mtime=0), "skip", "svg-bomb")


def add_wrong_content(b: CorpusBuilder, bases: dict[str, bytes]) -> None:
    """Non-images named like images, and SVG that is not quite SVG."""
    docs = {
        "text.png": b"hello, I am not a picture\n" * 20,
        "html.jpg": b"<!doctype html><html><body><img src=x.png></body></html>",
        "json.gif": b'{"image": "data:image/png;base64,iVBORw0KGgo="}',
        "pdf.png": b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n",
        "zip.webp": b"PK\x03\x04" + b"\x00" * 40,
        "gz.bmp": gzip.compress(b"not an image", mtime=0),
        "elf.tif": b"\x7fELF\x02\x01\x01" + b"\x00" * 57,
        "utf16.png": "not an image either".encode("utf-16"),
        "eps.png": b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n",
        "xml.svg": b'<?xml version="1.0"?><root>no svg here</root>',
        "broken.svg": b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect',
        "empty_svg.svg": b'<svg xmlns="http://www.w3.org/2000/svg"/>',
        "garbage.svgz": b"\x1f\x8b" + b"\x00" * 30,
    }
    for name, data in docs.items():
        kind = "bad" if name.endswith((".svg", ".svgz")) else "skip"
        b.add(f"wrongcontent/{name}", data, kind, "wrong-content")
    # the good bases under misleading names: still valid images
    b.add("wrongcontent/gif_named.jpg", bases["gif"], "valid", "wrong-extension")
    b.add("wrongcontent/webp_named.png", bases["webp"], "valid", "wrong-extension")
    # routed to the SVG renderer by its suffix (see test_raster_named_svg_is_kept)
    b.add("wrongcontent/tif_named.svg", bases["tif"], "bad", "wrong-extension")


def add_links_and_special(b: CorpusBuilder, outside: bytes) -> None:
    """Symlinks (inside, outside, broken, loops, dirs), a hardlink, FIFOs, hidden entries."""
    outside_img = os.path.join(outside, b"outside.png")
    with open(outside_img, "wb") as fh:
        fh.write(encode(Image.fromarray(b.noise(b.size, b.size)), "PNG"))
    os.makedirs(os.path.join(outside, b"outdir"), exist_ok=True)

    def skip(rel: bytes | str, target: bytes | str, reason: str) -> None:
        b.link(b"zz_links/" + os.fsencode(rel), target, "skip", reason_has=reason)

    # names under zz_links/ sort after the good_*.png files they point to
    b.link("zz_links/to_good_rel.png", "../good_03.png", "dup", dup_of=b"good_03.png")
    root_abs = os.path.join(b.root, b"good_04.png")
    b.link("zz_links/to_good_abs.png", root_abs, "dup", dup_of=b"good_04.png")
    b.link("zz_links/chain.png", "to_good_rel.png", "dup", dup_of=b"good_03.png")
    b.link(
        "zz_links/via_outside_and_back.png",
        b"../../" + os.path.basename(b.root) + b"/good_05.png",
        "dup",
        dup_of=b"good_05.png",
    )
    b.link("zz_links/to_truncated.png", "../trunc/png_000010.png", "skip")
    os.link(os.path.join(b.root, b"good_06.png"), b.path("zz_links/hardlink.png"))
    b.cases.append(Case(b"zz_links/hardlink.png", "dup", "hardlink", dup_of=b"good_06.png"))
    skip("outside_file.png", outside_img, "outside")
    skip("outside_rel.png", b"../../" + os.path.basename(outside) + b"/outside.png", "outside")
    skip("outside_dir.png", os.path.join(outside, b"outdir"), "directory")
    skip("to_etc_passwd.png", "/etc/passwd", "outside")
    skip("to_dev_zero.png", "/dev/zero", "non-regular")
    skip("broken.png", "does_not_exist.png", "broken")
    skip("broken_abs.jpg", "/nonexistent/x/y.jpg", "broken")
    skip("loop_a.png", "loop_b.png", "broken")
    skip("loop_b.png", "loop_a.png", "broken")
    skip("self_loop.png", "self_loop.png", "broken")
    skip("to_parent_dir.png", "..", "directory")
    skip("to_sibling_dir.gif", "../nested", "directory")
    skip(b"to_bytes_\xff.png", "../nonexistent_\xe9.png", "broken")
    # FIFOs (reading one would block forever) and a link to one
    os.mkfifo(b.path("special/pipe.png"))
    b.cases.append(Case(b"special/pipe.png", "skip", "fifo", reason_has="not a regular file"))
    skip("to_fifo.png", "../special/pipe.png", "non-regular")
    # directories named like images: empty ones are not inputs at all
    os.makedirs(b.path("dirs/empty_dir.png/"), exist_ok=True)
    os.makedirs(b.path("dirs/a.png/b.jpg/c.gif/"), exist_ok=True)
    b.add("dirs/a.png/b.jpg/c.gif/d.png", b"not an image", "skip", "dir-named-like-image")
    # hidden entries are left out silently by design
    hidden_png = encode(Image.fromarray(b.noise(b.size, b.size)), "PNG")
    b.add(".hidden_good.png", hidden_png, "ignored", "hidden")
    b.add(".git/config.png", b"[core]\n", "ignored", "hidden")
    b.add("special/.DS_Store", b"\x00\x00\x00\x01Bud1", "ignored", "hidden")


def add_names(b: CorpusBuilder, bases: dict[str, bytes]) -> None:
    """Bad content under long, non-UTF-8 and deep paths; 'unreadable' files."""
    b.add("n" * 251 + ".jpg", bases["png"][:50], "skip", "long-name")
    b.add("長" * 83 + ".png", b"x", "skip", "long-name")  # 249 + 4 bytes
    b.add(b"\xff" * 251 + b".gif", b"GIF8", "skip", "non-utf8-name")
    b.add(b"bad_\x80\x81.png", b"\x89PNG\r\n", "skip", "non-utf8-name")
    b.add(b"surrogate_\xed\xa0\x80.png", bases["gif"][:30], "skip", "non-utf8-name")
    b.add(b"dir_\xe9\xff/bad_\xfe.jpg", bases["jpg"][:100], "skip", "non-utf8-name")
    b.add(b"dir_\xe9\xff/ok_\xfe.webp", bases["webp"], "valid", "non-utf8-name")
    # "unreadable": the test makes open() raise PermissionError for these names
    good_png = encode(Image.fromarray(b.noise(b.size, b.size)), "PNG")
    for i in range(4):
        b.add(f"perm/{LOCKED_MARK}{i}.png", good_png[: 40 + i], "skip", "unreadable")
    b.add(f"perm/{LOCKED_MARK}valid.png", good_png, "skip", "unreadable", reason_has="permission")
    # a path longer than PATH_MAX (4096): built with dir_fd, listed as an unreadable dir
    os.makedirs(os.path.join(b.root, b"deep"), exist_ok=True)
    fd = os.open(os.path.join(b.root, b"deep"), os.O_RDONLY)
    parts = [b"deep"]
    try:
        for i in range(18):
            name = b"%02d" % i + b"d" * 240
            os.mkdir(name, dir_fd=fd)
            nfd = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = nfd
            parts.append(name)
        wfd = os.open(b"deep.png", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(wfd, good_png)
        os.close(wfd)
    finally:
        os.close(fd)
    b.cases.append(Case(b"/".join([*parts, b"deep.png"]), "bad", "path-max", ancestor_ok=True))


def build_corpus(root: Path, outside: Path, seed: int, size: int) -> list[Case]:
    """Write every input below ``root`` (``outside`` is a sibling for escaping links)."""
    b = CorpusBuilder(root, seed, size)
    bases = b.bases()
    steps: list[Callable[[], None]] = [
        lambda: add_good_images(b),
        lambda: add_valid_unusual(b),
        lambda: add_truncated_and_flipped(b, bases),
        lambda: add_random_bytes(b),
        lambda: add_headers_and_bombs(b, bases["jpg"]),
        lambda: add_wrong_content(b, bases),
        lambda: add_links_and_special(b, os.fsencode(outside)),
        lambda: add_names(b, bases),
    ]
    for step in steps:
        step()
    return b.cases
