"""Safe local file names for downloaded images.

Names and URLs come from a remote server and are untrusted: ``../../x.png``, absolute paths,
NUL bytes, backslashes or 10 kB names must never let a write escape the output folder. A file
name is therefore *built*, never copied: an ASCII slug of the name (letters, digits, ``-``,
bounded length) plus a hash of the URL (unique, stable across runs so a resumed crawl finds
its files) plus an extension from a fixed allow-list.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp"})
MAX_SLUG_CHARS = 60
HASH_CHARS = 12


def slugify(text: object, max_chars: int = MAX_SLUG_CHARS) -> str:
    """Lower-case ASCII slug of ``text`` (``"Mr. Mime"`` -> ``"mr-mime"``); ``"item"`` if empty."""
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_chars].strip("-") or "item"


def safe_extension(url: str, default: str) -> str:
    """The URL path's extension if it is a known image type, else ``default``."""
    suffix = PurePosixPath(urlsplit(url).path).suffix.lower()
    return suffix if suffix in IMAGE_EXTENSIONS else default


def image_file_name(name: object, url: str, default_ext: str = ".jpg") -> str:
    """``<slug>-<sha1(url)[:12]><ext>``: one flat, safe, deterministic name per image URL."""
    if default_ext not in IMAGE_EXTENSIONS:
        raise ValueError(f"default_ext must be one of {sorted(IMAGE_EXTENSIONS)}")
    digest = hashlib.sha1(url.encode("utf-8", "surrogatepass")).hexdigest()[:HASH_CHARS]
    return f"{slugify(name)}-{digest}{safe_extension(url, default_ext)}"


def safe_join(root: str | Path, file_name: str) -> Path:
    """``root / file_name``, refusing anything that is not a plain name directly inside root."""
    root_path = Path(root).resolve()
    if not file_name or file_name != PurePosixPath(file_name).name or "\\" in file_name:
        raise ValueError(f"not a plain file name: {file_name!r}")
    if "\x00" in file_name or file_name in {".", ".."}:
        raise ValueError(f"not a plain file name: {file_name!r}")
    target = (root_path / file_name).resolve()
    if target.parent != root_path:
        raise ValueError(f"{file_name!r} escapes {root_path}")
    return target
