"""An interrupted crawl resumed with the same JOBDIR fetches nothing twice and loses nothing."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from crawler_helpers import (
    CRAWLER_DIR,
    FixtureServer,
    image_files,
    png_rgba_bytes,
    read_labels,
    read_manifest,
    run_crawl,
)

COUNT = 12
# no HTTP cache: a refetch must show up in the server's log, not be hidden by the cache
NO_CACHE = {"HTTPCACHE_ENABLED": "False", "CONCURRENT_REQUESTS": "1"}


def add_pokedex(server: FixtureServer, count: int) -> None:
    """``count`` Pokemon records, each with its own PNG, listed on one page."""
    results = []
    for pid in range(1, count + 1):
        server.add(f"/sprites/{pid}.png", png_rgba_bytes(alpha=pid))
        artwork = {"front_default": f"/sprites/{pid}.png"}
        server.add_json(
            f"/api/v2/pokemon/{pid}/",
            {"id": pid, "name": f"mon{pid}", "sprites": {"other": {"official-artwork": artwork}}},
        )
        results.append({"name": f"mon{pid}", "url": server.url(f"/api/v2/pokemon/{pid}/")})
    server.add_json("/api/v2/pokemon", {"count": count, "next": None, "results": results})


def assert_complete_and_fetched_once(server: FixtureServer, out_dir: Path, count: int) -> None:
    assert len(image_files(out_dir)) == count
    manifest = read_manifest(out_dir)
    assert len(manifest) == count
    assert len({r["file"] for r in manifest}) == count
    for pid in range(1, count + 1):
        assert server.count(f"/sprites/{pid}.png") == 1, pid
        assert server.count(f"/api/v2/pokemon/{pid}/") == 1, pid
    assert server.count("/api/v2/pokemon") == 1  # the list page is not fetched again either
    assert sorted(read_labels(out_dir)) == sorted(r["file"] for r in manifest)  # once each


def test_jobdir_resume_after_closespider(server: FixtureServer, tmp_path: Path) -> None:
    add_pokedex(server, COUNT)
    out_dir = tmp_path / "pokemon" / "raw"
    settings = {**NO_CACHE, "JOBDIR": str(tmp_path / "job")}
    first = run_crawl(
        "pokeapi",
        server.url("/api/v2"),
        out_dir,
        tmp_path / "cache",
        settings={**settings, "CLOSESPIDER_ITEMCOUNT": "3"},
    )
    assert "closespider_itemcount" in first.stderr
    assert 3 <= len(image_files(out_dir)) < COUNT

    run_crawl("pokeapi", server.url("/api/v2"), out_dir, tmp_path / "cache", settings=settings)
    assert_complete_and_fetched_once(server, out_dir, COUNT)


def test_jobdir_resume_after_ctrl_c(server: FixtureServer, tmp_path: Path) -> None:
    add_pokedex(server, COUNT)
    out_dir = tmp_path / "pokemon" / "raw"
    settings = {**NO_CACHE, "JOBDIR": str(tmp_path / "job"), "DOWNLOAD_DELAY": "0.15"}
    cmd = [sys.executable, "-m", "scrapy", "crawl", "pokeapi"]
    cmd += ["-a", f"base_url={server.url('/api/v2')}", "-a", f"out_dir={out_dir}"]
    for key, value in {"AUTOTHROTTLE_ENABLED": "False", **settings}.items():
        cmd += ["-s", f"{key}={value}"]

    proc = subprocess.Popen(cmd, cwd=CRAWLER_DIR, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not (out_dir.exists() and image_files(out_dir)) and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)  # one Ctrl-C: graceful stop, queue saved in JOBDIR
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr[-4000:]
    assert "'finish_reason': 'shutdown'" in stderr
    assert 1 <= len(image_files(out_dir)) < COUNT

    run_crawl("pokeapi", server.url("/api/v2"), out_dir, tmp_path / "cache", settings=settings)
    assert_complete_and_fetched_once(server, out_dir, COUNT)
