"""Test helpers: a local fixture HTTP server, Pillow-made images, and a crawl runner.

The server (``http.server`` in a thread, 127.0.0.1, free port) serves routes registered by the
test, can inject faults per request (status codes, sleeps past DOWNLOAD_TIMEOUT) and logs every
request with its Host header, so tests can prove what was (not) fetched. Each crawl runs in its
own subprocess because Scrapy's reactor cannot be restarted in one process.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from PIL import Image

REPO_ROOT = Path(__file__).resolve().parents[2]
CRAWLER_DIR = REPO_ROOT / "datasets" / "crawler"
SLEEP_SECONDS = 2.0  # a "sleep" fault; crawls in tests use DOWNLOAD_TIMEOUT=1


def png_rgba_bytes(size: int = 16, alpha: int = 0) -> bytes:
    """A PNG whose left half is transparent (``alpha``) and right half opaque red."""
    img = Image.new("RGBA", (size, size), (255, 0, 0, 255))
    for x in range(size // 2):
        for y in range(size):
            img.putpixel((x, y), (0, 0, 255, alpha))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def jpeg_bytes(size: int = 16, color: tuple[int, int, int] = (0, 128, 0)) -> bytes:
    """A small solid-colour JPEG."""
    buf = io.BytesIO()
    Image.new("RGB", (size, size), color).save(buf, format="JPEG")
    return buf.getvalue()


@dataclass
class Route:
    """What the server answers for one path: faults first (one per request), then the body."""

    body: bytes
    content_type: str = "application/octet-stream"
    status: int = 200
    faults: list[str] = field(default_factory=list)  # "500", "429", "sleep", ...


@dataclass
class Hit:
    """One request the server received."""

    path: str
    host: str
    status: int
    user_agent: str = ""
    accept: str = ""


class FixtureServer:
    """Threaded HTTP server on 127.0.0.1 serving registered routes; unknown paths are 404."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: list[Hit] = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.handle(self)

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.handle_error = lambda *args: None  # clients that timed out hang up on us
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> FixtureServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        """Absolute URL of ``path`` on this server (``host="localhost"`` for an off-site one)."""
        return f"http://{host}:{self.port}{path}"

    def add(self, path: str, body: bytes, content_type: str = "image/png", **kw: Any) -> None:
        self.routes[path] = Route(body, content_type, **kw)

    def add_json(self, path: str, data: object, **kw: Any) -> None:
        self.add(path, json.dumps(data).encode(), "application/json", **kw)

    def count(self, path: str, host: str = "127.0.0.1") -> int:
        """How many requests for ``path`` (query ignored unless given) arrived for ``host``."""
        with self.lock:
            return sum(
                1
                for hit in self.hits
                if hit.host.split(":")[0] == host
                and (hit.path == path or hit.path.split("?")[0] == path)
            )

    def hosts(self) -> set[str]:
        with self.lock:
            return {hit.host.split(":")[0] for hit in self.hits}

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        path = request.path
        route = self.routes.get(path) or self.routes.get(path.split("?")[0])
        fault = None
        with self.lock:
            if route is not None and route.faults:
                fault = route.faults.pop(0)
            if route is None:
                status = 404
            elif fault and fault.isdigit():
                status = int(fault)
            else:
                status = route.status
            headers = request.headers
            self.hits.append(
                Hit(
                    path,
                    headers.get("Host", ""),
                    status,
                    headers.get("User-Agent", ""),
                    headers.get("Accept", ""),
                )
            )
        if fault == "sleep":
            time.sleep(SLEEP_SECONDS)
        body = route.body if route is not None and status == 200 else b"error"
        try:
            request.send_response(status)
            request.send_header("Content-Type", route.content_type if route else "text/plain")
            request.send_header("Content-Length", str(len(body)))
            request.end_headers()
            request.wfile.write(body)
        except OSError:
            pass


FAST_SETTINGS = {
    "AUTOTHROTTLE_ENABLED": "False",
    "DOWNLOAD_DELAY": "0",
    "DOWNLOAD_TIMEOUT": "1",
    "RETRY_TIMES": "2",
    "LOG_LEVEL": "DEBUG",
}


def run_crawl(
    spider: str,
    base_url: str,
    out_dir: Path,
    cache_dir: Path,
    args: dict[str, str] | None = None,
    settings: dict[str, str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """``python -m scrapy crawl <spider>`` in datasets/crawler with fast, local settings."""
    cmd = [sys.executable, "-m", "scrapy", "crawl", spider]
    spider_args = {"base_url": base_url, "out_dir": str(out_dir), **(args or {})}
    for key, value in spider_args.items():
        cmd += ["-a", f"{key}={value}"]
    all_settings = {**FAST_SETTINGS, "HTTPCACHE_DIR": str(cache_dir), **(settings or {})}
    for key, value in all_settings.items():
        cmd += ["-s", f"{key}={value}"]
    proc = subprocess.run(
        cmd, cwd=CRAWLER_DIR, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return proc


def read_manifest(out_dir: Path) -> list[dict[str, Any]]:
    """The JSON-lines manifest written next to the images."""
    path = out_dir / "manifest.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def read_labels(out_dir: Path) -> dict[str, str]:
    """The ``file,class`` rows of the labels.csv written next to the images (header checked,
    no file listed twice)."""
    import csv

    with (out_dir / "labels.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["file", "class"], rows[:1]
    files = [r[0] for r in rows[1:]]
    assert len(files) == len(set(files)), "a file is listed twice"
    return {r[0]: r[1] for r in rows[1:]}


def image_files(folder: Path) -> list[Path]:
    """Image files directly inside ``folder`` (manifest and temp files excluded)."""
    return sorted(
        p
        for p in folder.iterdir()
        if p.suffix in {".png", ".jpg", ".jpeg"} and not p.name.startswith(".")
    )
