"""Make the preprocess/ tool modules importable and offer a helper that runs a tool."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
PREPROCESS_DIR = REPO_ROOT / "preprocess"
if str(PREPROCESS_DIR) not in sys.path:
    sys.path.insert(0, str(PREPROCESS_DIR))

RunTool = Callable[..., subprocess.CompletedProcess]


@pytest.fixture
def run_tool() -> RunTool:
    """Run `python preprocess/<tool>.py *args` from the repo root, as users do."""

    def _run(tool: str, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, str(PREPROCESS_DIR / f"{tool}.py"), *map(str, args)],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    return _run
