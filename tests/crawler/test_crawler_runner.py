"""``python datasets/crawler/crawl.py`` from the repo root: aliases, limit, default out folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from crawler_helpers import REPO_ROOT, FixtureServer, image_files, png_rgba_bytes, read_manifest


def test_runner_from_repo_root_defaults_to_datasets_name_raw(
    server: FixtureServer, tmp_path: Path
) -> None:
    results = []
    for pid in (1, 2):
        server.add(f"/sprites/{pid}.png", png_rgba_bytes())
        server.add_json(
            f"/api/v2/pokemon/{pid}/",
            {"id": pid, "name": f"mon{pid}", "sprites": {"front_default": f"/sprites/{pid}.png"}},
        )
        results.append({"name": f"mon{pid}", "url": server.url(f"/api/v2/pokemon/{pid}/")})
    server.add_json("/api/v2/pokemon", {"count": 2, "next": None, "results": results})

    cmd = [
        sys.executable,
        "datasets/crawler/crawl.py",
        "--spider=pokemon",  # alias of pokeapi
        f"--base_url={server.url('/api/v2')}",
        "--limit=1",
        "--variant=sprite",
        f"--cache_dir={tmp_path / 'cache'}",
        "-s",
        "AUTOTHROTTLE_ENABLED=False",
        "-s",
        "DOWNLOAD_DELAY=0",
    ]
    env = {**os.environ, "GAN_DATA_ROOT": str(tmp_path / "datasets")}
    proc = subprocess.run(
        cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "1 images saved" in proc.stderr

    out_dir = tmp_path / "datasets" / "pokemon" / "raw"
    assert len(image_files(out_dir)) == 1
    assert [r["name"] for r in read_manifest(out_dir)] == ["mon1"]
    assert server.count("/api/v2/pokemon?limit=1&offset=0") == 1
    assert server.count("/api/v2/pokemon/2/") == 0
    assert any((tmp_path / "cache").iterdir())  # API responses went to the HTTP cache
