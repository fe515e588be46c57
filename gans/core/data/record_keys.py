"""Record keys: the text that names one source file inside a conversion.

A key is the file's path relative to the source folder, ``/``-separated on every platform
(so a label file written on Linux matches on Windows), as valid UTF-8 text that names
exactly one file. Names that are not UTF-8 (``os.fsdecode`` turns each undecodable byte
into a lone surrogate) are escaped so that two files never share a key:

* an undecodable byte ``0xNN`` becomes ``\\xNN``;
* any other lone surrogate (Windows allows unpaired UTF-16) becomes ``\\uNNNN``;
* a literal backslash becomes ``\\\\``, so the escapes above cannot be faked by a name
  that spells them out.

Every other name, the common case, is its own key.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePath

_UNDECODABLE_BYTES = range(0xDC80, 0xDD00)  # os.fsdecode's surrogateescape range


def escape_name(text: str) -> str:
    """``text`` with backslashes and lone surrogates escaped (see the module docstring)."""
    if "\\" not in text and _is_utf8(text):
        return text
    out = []
    for char in text:
        code = ord(char)
        if char == "\\":
            out.append("\\\\")
        elif code in _UNDECODABLE_BYTES:
            out.append(f"\\x{code - 0xDC00:02x}")
        elif 0xD800 <= code < 0xE000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out)


def record_key(path: os.PathLike | str, root: os.PathLike | str) -> str:
    """The key of ``path``: relative to ``root`` when inside it, ``/``-separated, escaped.
    Pure paths (e.g. ``PureWindowsPath``) keep their flavour, so any platform's keys can be
    worked out anywhere."""
    path = path if isinstance(path, PurePath) else Path(path)
    try:
        rel = path.relative_to(root)
    except ValueError:
        rel = path
    return escape_name(rel.as_posix())


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
