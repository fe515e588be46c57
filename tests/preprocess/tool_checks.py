"""Assertions shared by the tool tests: byte-identical folders, one-line errors."""

from __future__ import annotations

import subprocess
from pathlib import Path


def folder_bytes(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (relative posix path -> content), to compare runs."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def assert_one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    """A failed run: non-zero exit, one stderr line containing every fragment, no traceback."""
    assert result.returncode != 0, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
