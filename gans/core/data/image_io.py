"""Robust loading of arbitrary image files into fixed-size uint8 arrays.

Used by the TFRecord writer: every file either becomes an array of shape
``(image_size, image_size, channels)`` or raises :class:`ImageSkipped` with a short,
human-readable reason, so a dataset build can report bad files instead of crashing.

Raster formats are decoded with Pillow (decompression-bomb protection left on);
SVG is rendered with ``rsvg-convert`` (librsvg2-bin) if on PATH, else with ``cairosvg``
if importable, else skipped.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import os
import shutil
import stat
import subprocess
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image, ImageCms, ImageFile, ImageOps, UnidentifiedImageError

__all__ = [
    "IMAGE_EXTENSIONS",
    "ImageSkipped",
    "content_hash",
    "iter_image_files",
    "load_image",
    "svg_renderer",
]

IMAGE_EXTENSIONS: frozenset[str] = frozenset(
    {".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".svg", ".tif", ".tiff"}
)

SVG_NOT_AVAILABLE = "svg renderer not available: apt-get install librsvg2-bin"

# Pillow plugins that shell out to external programs (EPS runs Ghostscript) are never used.
_DENIED_FORMATS = frozenset({"EPS"})
_HIGH_BIT_MODES = frozenset({"I;16", "I;16B", "I;16L", "I;16N", "I", "F"})
_SVG_TIMEOUT_S = 60.0
_MAX_REASON_DETAIL = 120

PathArg = str | bytes | os.PathLike[str] | os.PathLike[bytes]


class ImageSkipped(Exception):
    """A file cannot become a training image; ``.reason`` is a short human-readable string."""

    reason: str

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _as_path(path: PathArg) -> Path:
    """Path from str/bytes/PathLike; undecodable bytes survive via surrogateescape."""
    return Path(os.fsdecode(os.fspath(path)))


def _detail(exc: BaseException) -> str:
    """Short one-line description of an exception for a skip reason."""
    msg = " ".join(str(exc).split()) or type(exc).__name__
    if len(msg) > _MAX_REASON_DETAIL:
        msg = msg[: _MAX_REASON_DETAIL - 3] + "..."
    return msg


# --------------------------------------------------------------------------- listing


def iter_image_files(
    folder: PathArg,
    recursive: bool = True,
    on_skip: Callable[[Path, str], None] | None = None,
) -> Iterator[Path]:
    """Yield every regular file under ``folder`` (images or not, so non-images can be reported).

    Order is deterministic: depth-first, entries of each directory sorted by name, a
    subdirectory's files listed at the subdirectory's place in that order.
    Hidden files and directories (name starting with ".") are skipped silently.
    Symlinks: a symlink to a regular file is yielded (as the link path) only if its
    target resolves inside ``folder``; symlinked directories are never followed (no
    cycles, no double listing). Entries that are left out for any other reason
    (symlink leaving the folder, broken symlink, symlinked directory, FIFO/socket/device,
    unreadable directory or entry) are passed to ``on_skip(path, reason)`` if given;
    nothing is raised for them. A link and its target may both be yielded: use
    :func:`content_hash` for duplicate detection.

    Raises FileNotFoundError / NotADirectoryError only if ``folder`` itself is missing or
    not a directory.
    """
    root = _as_path(folder)
    if not root.is_dir():
        if root.exists():
            raise NotADirectoryError(f"not a directory: {root}")
        raise FileNotFoundError(f"no such directory: {root}")
    root_real = os.path.realpath(root)

    def skip(path: Path, reason: str) -> None:
        if on_skip is not None:
            on_skip(path, reason)

    def listing(directory: Path) -> Iterator[os.DirEntry[str]]:
        try:
            with os.scandir(directory) as it:
                return iter(sorted(it, key=lambda e: e.name))
        except OSError as exc:
            skip(directory, f"unreadable directory: {_os_error_reason(exc)}")
            return iter(())

    # Explicit stack of per-directory iterators: sorted depth-first without recursion limits.
    stack = [(root, listing(root))]
    while stack:
        directory, entries = stack[-1]
        entry = next(entries, None)
        if entry is None:
            stack.pop()
            continue
        if entry.name.startswith("."):
            continue
        path = directory / entry.name
        try:
            if entry.is_symlink():
                reason = _symlink_skip_reason(path, root_real)
                if reason is None:
                    yield path
                else:
                    skip(path, reason)
            elif entry.is_dir(follow_symlinks=False):
                if recursive:
                    stack.append((path, listing(path)))
            elif entry.is_file(follow_symlinks=False):
                yield path
            else:
                skip(path, "not a regular file")
        except OSError as exc:
            skip(path, f"unreadable entry: {_os_error_reason(exc)}")


def _symlink_skip_reason(link: Path, root_real: str) -> str | None:
    """None if the symlink points to a regular file inside root, else why it is skipped."""
    target = os.path.realpath(link)
    try:
        st = os.stat(target)
    except OSError:
        return "broken symlink"
    if stat.S_ISDIR(st.st_mode):
        return "symlinked directory not followed"
    if not stat.S_ISREG(st.st_mode):
        return "symlink to a non-regular file"
    if os.path.commonpath([root_real, target]) != root_real:
        return "symlink points outside folder"
    return None


# --------------------------------------------------------------------------- hashing


def content_hash(array: np.ndarray) -> str:
    """sha256 hex digest of an array's shape, dtype and bytes, for exact-duplicate detection."""
    arr = np.ascontiguousarray(array)
    h = hashlib.sha256()
    h.update(repr((tuple(arr.shape), arr.dtype.str)).encode())
    h.update(arr.tobytes())
    return h.hexdigest()


# --------------------------------------------------------------------------- loading


def load_image(
    path: PathArg,
    image_size: int,
    channels: int,
    fit: Literal["crop", "pad"] | str = "crop",
    background: tuple[int, int, int] = (255, 255, 255),
) -> np.ndarray:
    """Decode one file to a uint8 array of shape (image_size, image_size, channels).

    Formats: anything Pillow decodes (PNG, JPEG, GIF/WebP/APNG/TIFF first frame, BMP, ...)
    except EPS, plus SVG (rendered at the target size, aspect kept, transparent background).
    The format is detected from content, not from the extension.

    Modes: 1-bit, L, LA, P (transparency -> alpha), RGB, RGBA, CMYK (ICC profile used
    when present, else Pillow's conversion), 16-bit ``I;16*`` (scaled by 65535 -> 255),
    ``I``/``F`` (scaled by the type range if values fit 0..65535 / 0..1, else by the
    image's own min..max). Never clipped. EXIF orientation is applied (a broken EXIF
    block is ignored, not fatal).

    channels: 1 -> luminance, 3 -> RGB (alpha composited onto ``background`` first);
    4 -> RGBA (no alpha -> 255). With channels=4 fully transparent pixels get
    ``background`` as colour, so invisible pixels are deterministic.

    fit: "crop" centre-crops to a square; "pad" pads to a square with ``background``
    (alpha 0 when channels=4). The square is then resized with Lanczos (antialiased when
    downscaling; large JPEGs are first DCT-downscaled via ``draft``). Tiny images
    (1x1, 2x3, ...) are upscaled, not rejected.

    Raises ImageSkipped(reason) for anything that is not a usable image (missing,
    unreadable, empty, corrupt, truncated, decompression bomb, unsupported, ...);
    ValueError only for invalid arguments.
    """
    _check_args(image_size, channels, fit, background)
    p = _as_path(path)
    try:
        st = os.stat(p)
    except OSError as exc:
        raise ImageSkipped(_os_error_reason(exc)) from None
    if not stat.S_ISREG(st.st_mode):
        raise ImageSkipped(
            "not a regular file (directory)" if stat.S_ISDIR(st.st_mode) else "not a regular file"
        )
    if st.st_size == 0:
        raise ImageSkipped("empty file")

    try:
        if p.suffix.lower() in (".svg", ".svgz") and not _has_image_magic(p):
            img = _render_svg(p, image_size, fit)
        else:
            img = _open_raster(p, image_size)
            if img is None:  # Pillow did not recognise it; maybe an SVG without .svg suffix
                if not _looks_like_svg(p):
                    raise ImageSkipped(
                        "corrupt image header" if _has_image_magic(p) else "not an image"
                    )
                img = _render_svg(p, image_size, fit)
        return _to_array(img, image_size, channels, fit, background)
    except ImageSkipped:
        raise
    except MemoryError:
        raise ImageSkipped("out of memory while decoding") from None
    except Exception as exc:  # any decoder/conversion failure is a bad file, never a crash
        raise ImageSkipped(_exception_reason(exc)) from None


def _check_args(image_size: int, channels: int, fit: str, background: tuple[int, int, int]) -> None:
    """Reject programming errors early with ValueError (these are not bad files)."""
    if not isinstance(image_size, int | np.integer) or image_size < 1:
        raise ValueError(f"image_size must be a positive int, got {image_size!r}")
    if channels not in (1, 3, 4):
        raise ValueError(f"channels must be 1, 3 or 4, got {channels!r}")
    if fit not in ("crop", "pad"):
        raise ValueError(f"fit must be 'crop' or 'pad', got {fit!r}")
    if len(background) != 3 or not all(
        isinstance(c, int | np.integer) and 0 <= c <= 255 for c in background
    ):
        raise ValueError(f"background must be 3 ints in 0..255, got {background!r}")


def _os_error_reason(exc: OSError) -> str:
    """Map an OSError from stat/open/read to a short reason."""
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, FileNotFoundError):
        return "file not found"
    if isinstance(exc, IsADirectoryError):
        return "not a regular file (directory)"
    return f"read error: {exc.strerror or _detail(exc)}"


def _exception_reason(exc: Exception) -> str:
    """Map a decoding exception to a short reason."""
    if isinstance(exc, Image.DecompressionBombError | Image.DecompressionBombWarning):
        return f"decompression bomb: {_detail(exc)}"
    if isinstance(exc, UnidentifiedImageError):
        return "not an image"
    if isinstance(exc, OSError) and exc.errno is not None:
        return _os_error_reason(exc)  # before the message test: paths may say "truncated"
    msg = str(exc).lower()
    if "truncated" in msg or isinstance(exc, EOFError):
        return "truncated image"
    return f"corrupt image: {_detail(exc)}"


def _open_raster(p: Path, image_size: int) -> Image.Image | None:
    """Open and fully decode the first frame with Pillow; None if the format is unrecognised."""
    Image.init()
    formats = [f for f in Image.ID if f not in _DENIED_FORMATS]
    with open(p, "rb") as fh, warnings.catch_warnings():
        # DecompressionBombWarning (limit < pixels <= 2*limit) is treated as an error too.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img = Image.open(fh, formats=formats)
        except UnidentifiedImageError:
            return None
        width, height = img.size
        # Explicit check as well: warnings filters are process-global and racy across threads.
        limit = Image.MAX_IMAGE_PIXELS
        if limit is not None and width * height > limit:
            raise ImageSkipped(
                f"decompression bomb: {width}x{height} = {width * height} pixels "
                f"exceeds limit of {limit} pixels"
            )
        if width < 1 or height < 1:
            raise ImageSkipped("zero-size image")
        if isinstance(img, ImageFile.ImageFile) and img.format in ("JPEG", "MPO"):
            # DCT-domain downscale of big JPEGs: both sides stay >= 2x the target.
            img.draft(None, (2 * image_size, 2 * image_size))
        img.load()
        # Corrupt EXIF: keep the stored orientation rather than drop the image.
        with contextlib.suppress(Exception):
            if img.getexif().get(0x0112, 1) != 1:  # avoid a copy when nothing to rotate
                img = ImageOps.exif_transpose(img)
        if img.size[0] * img.size[1] == 0:
            raise ImageSkipped("zero-size image")
        return img


_IMAGE_MAGIC = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",
    b"GIF87a",
    b"GIF89a",
    b"BM",
    b"II*\x00",
    b"MM\x00*",
)


def _has_image_magic(p: Path) -> bool:
    """True if the file starts like a PNG/JPEG/GIF/BMP/TIFF/WebP (then it is damaged, not alien)."""
    try:
        with open(p, "rb") as fh:
            head = fh.read(16)
    except Exception:
        return False
    return head.startswith(_IMAGE_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")


def _looks_like_svg(p: Path) -> bool:
    """Cheap content sniff for SVG (plain or gzipped) in files with another suffix."""
    try:
        with open(p, "rb") as fh:
            head = fh.read(4096)
        if head[:2] == b"\x1f\x8b":
            with gzip.open(p, "rb") as gz:
                head = gz.read(4096)
    except Exception:
        return False
    return b"<svg" in head.lower()


# --------------------------------------------------------------------------- SVG


def svg_renderer() -> str | None:
    """Name of the SVG renderer that load_image will use: "rsvg-convert", "cairosvg" or None."""
    if shutil.which("rsvg-convert"):
        return "rsvg-convert"
    try:
        import cairosvg  # noqa: F401
    except Exception:  # ImportError, or OSError when libcairo is missing
        return None
    return "cairosvg"


def _render_svg(p: Path, image_size: int, fit: str) -> Image.Image:
    """Render an SVG so that the side relevant to ``fit`` equals image_size (aspect kept).

    crop needs the short side = image_size, pad the long side; a first render at
    width=image_size reveals the aspect ratio, a second one at height=image_size is done
    only when needed.
    """
    renderer = svg_renderer()
    if renderer is None:
        raise ImageSkipped(SVG_NOT_AVAILABLE)
    img = _render_svg_once(p, renderer, width=image_size)
    w, h = img.size
    if (fit == "crop" and w > h) or (fit == "pad" and h > w):
        img = _render_svg_once(p, renderer, height=image_size)
    return img


def _render_svg_once(
    p: Path, renderer: str, width: int | None = None, height: int | None = None
) -> Image.Image:
    """One render of an SVG to an RGBA Pillow image, exactly one of width/height given."""
    if renderer == "rsvg-convert":
        cmd: list[str | bytes] = ["rsvg-convert", "--format", "png"]
        if width is not None:
            cmd += ["--width", str(width)]
        if height is not None:
            cmd += ["--height", str(height)]
        cmd.append(os.fsencode(os.path.abspath(p)))
        try:
            proc = subprocess.run(
                cmd,
                capture_output=True,
                timeout=_SVG_TIMEOUT_S,
                stdin=subprocess.DEVNULL,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise ImageSkipped("svg render timed out") from None
        if proc.returncode != 0 or not proc.stdout:
            err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            msg = err[-1] if err else f"exit status {proc.returncode}"
            msg = msg.replace(f" {os.path.abspath(p)}", "")  # the path is known to the caller
            raise ImageSkipped(f"svg render failed: {_detail(Exception(msg))}")
        png = proc.stdout
    else:
        import cairosvg

        data = p.read_bytes()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        try:
            png = cairosvg.svg2png(bytestring=data, output_width=width, output_height=height)
        except Exception as exc:
            raise ImageSkipped(f"svg render failed: {_detail(exc)}") from None
    img = Image.open(io.BytesIO(png))
    img.load()
    return img


# --------------------------------------------------------------------------- conversion


def _to_array(
    img: Image.Image, image_size: int, channels: int, fit: str, background: tuple[int, int, int]
) -> np.ndarray:
    """Normalise mode, fit to a square, resize and convert to the requested channels."""
    img = _normalize_mode(img)  # -> "L", "RGB" or "RGBA"
    w, h = img.size
    if fit == "crop" and w != h:
        s = min(w, h)
        left, top = (w - s) // 2, (h - s) // 2
        img = img.crop((left, top, left + s, top + s))
    img = _convert_channels(img, channels, background)
    if fit == "pad" and w != h:
        # Scale the long side to the target first, then pad: the canvas never exceeds
        # image_size² (a 1x65500 strip would otherwise ask for a 65500² canvas).
        scale = image_size / max(w, h)
        if scale < 1:
            w, h = max(1, round(w * scale)), max(1, round(h * scale))
            img = img.resize((w, h), Image.Resampling.LANCZOS, reducing_gap=3.0)
        s = max(w, h)
        canvas = Image.new(img.mode, (s, s), _fill_value(img.mode, background))
        canvas.paste(img, ((s - w) // 2, (s - h) // 2))
        img = canvas
    if img.size != (image_size, image_size):
        img = img.resize((image_size, image_size), Image.Resampling.LANCZOS, reducing_gap=3.0)
    arr = np.array(img, dtype=np.uint8)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if channels == 4:
        arr[arr[:, :, 3] == 0, :3] = background
    if arr.shape != (image_size, image_size, channels):  # defensive: never hand out a wrong shape
        raise ImageSkipped(f"internal conversion error: got shape {arr.shape}")
    return arr


def _normalize_mode(img: Image.Image) -> Image.Image:
    """Bring any Pillow mode to "L", "RGB" or "RGBA" without clipping or losing alpha."""
    mode = img.mode
    if mode in _HIGH_BIT_MODES:
        return _high_bit_to_l(img)
    if mode == "1":
        return img.convert("L")
    if mode == "CMYK":
        return _cmyk_to_rgb(img)
    if mode == "LAB":
        return _lab_to_rgb(img)
    if mode == "RGBA" or (mode in ("L", "RGB") and "transparency" not in img.info):
        return img
    try:
        return img.convert("RGBA" if img.has_transparency_data else "RGB")
    except (ValueError, OSError) as exc:
        raise ImageSkipped(f"unsupported image mode: {mode} ({_detail(exc)})") from None


def _high_bit_to_l(img: Image.Image) -> Image.Image:
    """Scale 16-bit / 32-bit int / float images to 8-bit by range (Pillow's convert would clip)."""
    a = np.asarray(img)
    if a.ndim != 2:
        raise ImageSkipped(f"unsupported image mode: {img.mode}")
    a = a.astype(np.float64)
    if img.mode.startswith("I;16"):
        lo, hi = 0.0, 65535.0
    else:
        finite = a[np.isfinite(a)]
        amin = float(finite.min()) if finite.size else 0.0
        amax = float(finite.max()) if finite.size else 0.0
        if img.mode == "F" and amin >= 0.0 and amax <= 1.0:
            lo, hi = 0.0, 1.0
        elif img.mode != "F" and amin >= 0.0 and amax <= 65535.0:
            lo, hi = 0.0, 65535.0
        else:
            lo, hi = amin, amax
    a = np.nan_to_num(a, nan=lo, posinf=hi, neginf=lo)
    scaled = (a - lo) * (255.0 / (hi - lo)) if hi > lo else np.zeros_like(a)
    return Image.fromarray(np.clip(np.rint(scaled), 0, 255).astype(np.uint8), "L")


def _cmyk_to_rgb(img: Image.Image) -> Image.Image:
    """CMYK -> RGB through the embedded ICC profile when there is one, else Pillow's formula."""
    icc = img.info.get("icc_profile")
    if icc:
        try:
            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            dst = ImageCms.createProfile("sRGB")
            out = ImageCms.profileToProfile(img, src, dst, outputMode="RGB")
            if out is not None:
                return out
        except Exception:
            pass  # broken or mismatched profile: fall back to the plain conversion
    return img.convert("RGB")


def _lab_to_rgb(img: Image.Image) -> Image.Image:
    """CIELab -> sRGB with littlecms (Pillow's plain convert would copy the bytes as RGB)."""
    try:
        transform = ImageCms.buildTransform(
            ImageCms.createProfile("LAB"), ImageCms.createProfile("sRGB"), "LAB", "RGB"
        )
        out = ImageCms.applyTransform(img, transform)
    except Exception as exc:
        raise ImageSkipped(f"unsupported image mode: LAB ({_detail(exc)})") from None
    if out is None:
        raise ImageSkipped("unsupported image mode: LAB")
    return out


def _convert_channels(
    img: Image.Image, channels: int, background: tuple[int, int, int]
) -> Image.Image:
    """L/RGB/RGBA -> the requested channel layout, compositing alpha onto background for 1/3."""
    if channels == 4:
        return img if img.mode == "RGBA" else img.convert("RGBA")
    if img.mode == "RGBA":
        base = Image.new("RGBA", img.size, (*background, 255))
        img = Image.alpha_composite(base, img).convert("RGB")
    target = "L" if channels == 1 else "RGB"
    return img if img.mode == target else img.convert(target)


def _fill_value(mode: str, background: tuple[int, int, int]) -> int | tuple[int, ...]:
    """Padding colour in the given mode (luminance for L, alpha 0 for RGBA)."""
    if mode == "L":
        return int(Image.new("RGB", (1, 1), background).convert("L").getpixel((0, 0)))  # type: ignore[arg-type]
    if mode == "RGBA":
        return (*background, 0)
    return tuple(background)
