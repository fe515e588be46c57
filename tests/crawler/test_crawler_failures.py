"""A crawl that reaches nothing ends with one line saying what failed and exits 1; Scrapy's
log goes to a file unless ``--verbose`` (issue #14, case 8)."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
from crawler_helpers import REPO_ROOT, FixtureServer


def _crawl(base_url: str, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    cmd = [
        sys.executable,
        "datasets/crawler/crawl.py",
        "--spider=scryfall",
        f"--out_dir={tmp_path / 'out'}",
        "--limit=5",
        f"--base_url={base_url}",
        f"--cache_dir={tmp_path / 'cache'}",
        "-s",
        "RETRY_TIMES=0",
        "-s",
        "DOWNLOAD_DELAY=0",
        "-s",
        "AUTOTHROTTLE_ENABLED=False",
        "-s",
        "ROBOTSTXT_OBEY=False",
        *extra,
    ]
    return subprocess.run(
        cmd, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False
    )


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("dns", "DNS lookup failed"),
        ("refused", "connection refused"),
        ("404", "every response was an error: HTTP 404"),
    ],
)
def test_a_crawl_that_saves_nothing_says_why_and_exits_1(
    server: FixtureServer, tmp_path: Path, where: str, expected: str
) -> None:
    base = {
        "dns": "http://no-such-host.invalid/api",
        "refused": f"http://127.0.0.1:{_closed_port()}/api",
        "404": server.url("/api"),
    }[where]
    proc = _crawl(base, tmp_path)
    assert proc.returncode == 1, proc.stderr[-3000:]
    lines = proc.stderr.strip().splitlines()
    assert len(lines) <= 4, proc.stderr[-3000:]  # no Scrapy log wall, no traceback
    assert "Traceback" not in proc.stderr
    assert lines[-1].startswith("crawl.py: error: nothing was saved: "), lines[-1]
    assert expected in lines[-1], lines[-1]
    log = tmp_path / "logs" / "scryfall.log"
    assert str(log) in lines[-1] and "Spider opened" in log.read_text()


def test_verbose_keeps_scrapys_log_on_the_terminal(tmp_path: Path) -> None:
    proc = _crawl(f"http://127.0.0.1:{_closed_port()}/api", tmp_path, "--verbose")
    assert proc.returncode == 1
    assert "Spider opened" in proc.stderr
    assert not (tmp_path / "logs").exists()
