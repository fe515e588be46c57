"""YGOPRODeck spider: cropped art, pagination, retries (500/429/timeout), 404s, off-site links."""

from __future__ import annotations

import time
from pathlib import Path

from crawler_helpers import (
    FixtureServer,
    image_files,
    jpeg_bytes,
    read_labels,
    read_manifest,
    run_crawl,
)


def card(server: FixtureServer, cid: int, name: str, cropped: str, frame: str = "effect") -> dict:
    """A cardinfo.php card whose cropped art is at ``cropped`` (a path or a full URL)."""
    url = cropped if "://" in cropped else server.url(cropped)
    return {
        "id": cid,
        "name": name,
        "frameType": frame,
        "card_images": [
            {
                "id": cid,
                "image_url": server.url(f"/images/cards/{cid}.jpg"),
                "image_url_cropped": url,
            }
        ],
    }


def test_ygoprodeck_retries_skips_and_stays_on_site(server: FixtureServer, tmp_path: Path) -> None:
    ok = {
        "/images/cards_cropped/1.jpg": [],
        "/images/cards_cropped/2.jpg": ["500"],  # retried, then served
        "/images/cards_cropped/3.jpg": ["429"],  # "slow down": retried, then served
        "/images/cards_cropped/4.jpg": ["sleep"],  # past DOWNLOAD_TIMEOUT once, then served
        "/images/cards_cropped/7.jpg": [],  # on page 2
    }
    for path, faults in ok.items():
        server.add(path, jpeg_bytes(), "image/jpeg", faults=list(faults))
    server.add("/images/cards_cropped/5.jpg", jpeg_bytes(), "image/jpeg", faults=["500"] * 9)
    server.add("/images/cards_cropped/6.jpg", jpeg_bytes(), "image/jpeg", faults=["sleep"] * 9)
    server.add("/images/cards_cropped/html.jpg", b"<html>not an image</html>", "image/jpeg")
    server.add("/images/cards_cropped/offsite.jpg", jpeg_bytes(), "image/jpeg")

    page1 = [
        card(server, 1, "Dark Magician", "/images/cards_cropped/1.jpg", "normal"),
        card(server, 2, "Blue-Eyes White Dragon", "/images/cards_cropped/2.jpg", "normal"),
        card(server, 3, "Kuriboh", "/images/cards_cropped/3.jpg", "effect"),
        card(server, 4, "Slow Card", "/images/cards_cropped/4.jpg", "spell"),
        card(server, 5, "Always 500", "/images/cards_cropped/5.jpg"),
        card(server, 6, "Always Slow", "/images/cards_cropped/6.jpg"),
        card(server, 8, "Missing", "/images/cards_cropped/404.jpg"),
        card(server, 9, "Html Page", "/images/cards_cropped/html.jpg"),
        # same server, other host name: off-site for a spider allowed only 127.0.0.1
        card(server, 10, "Localhost", server.url("/images/cards_cropped/offsite.jpg", "localhost")),
        card(server, 11, "Elsewhere", "http://images.example.invalid/x.jpg"),
    ]
    next_page = "/api/v7/cardinfo.php?num=10&offset=10"
    server.add_json(
        "/api/v7/cardinfo.php",
        {"data": page1, "meta": {"next_page": server.url(next_page)}},
    )
    server.add_json(
        next_page,
        {
            "data": [card(server, 7, "Page Two", "/images/cards_cropped/7.jpg", "trap")],
            # an off-site next page must not be followed
            "meta": {"next_page": server.url("/api/v7/cardinfo.php?offset=20", "localhost")},
        },
    )

    out_dir = tmp_path / "yugioh" / "raw"
    started = time.monotonic()
    proc = run_crawl("ygoprodeck", server.url("/api/v7"), out_dir, tmp_path / "cache")
    assert time.monotonic() - started < 45  # timeouts are retried/skipped, never hang

    manifest = read_manifest(out_dir)
    names = sorted(r["name"] for r in manifest)
    assert names == sorted(
        ["Dark Magician", "Blue-Eyes White Dragon", "Kuriboh", "Slow Card", "Page Two"]
    )
    assert len(image_files(out_dir)) == 5
    assert all(r["url"].split("/")[-2] == "cards_cropped" for r in manifest)
    assert all(Path(r["file"]).suffix == ".jpg" for r in manifest)

    # retried then served: first try failed, second succeeded
    for path in ("/images/cards_cropped/2.jpg", "/images/cards_cropped/3.jpg"):
        assert server.count(path) == 2
    # a timeout is counted by the client: on a loaded machine an attempt can time out before
    # the server has read it, so the attempts are read from scrapy's retry log, not the server
    slow, always_slow = (
        server.url("/images/cards_cropped/4.jpg"),
        server.url("/images/cards_cropped/6.jpg"),
    )
    assert f"Retrying <GET {slow}> (failed 1 times)" in proc.stderr
    assert server.count("/images/cards_cropped/4.jpg") >= 2
    # RETRY_TIMES=2: 3 attempts, then skipped
    assert server.count("/images/cards_cropped/5.jpg") == 3
    assert f"Gave up retrying <GET {always_slow}> (failed 3 times)" in proc.stderr
    assert 1 <= server.count("/images/cards_cropped/6.jpg") <= 3
    assert server.count("/images/cards_cropped/404.jpg") == 1  # 404 is not retried
    # off-site image and page were never requested
    assert server.hosts() == {"127.0.0.1"}
    assert server.count("/images/cards_cropped/offsite.jpg", "localhost") == 0
    assert "Filtered offsite request to 'localhost'" in proc.stderr
    assert "Filtered offsite request to 'images.example.invalid'" in proc.stderr
    # a 200 response that is not an image is not saved
    assert server.count("/images/cards_cropped/html.jpg") == 1
    # labels.csv: each saved image's frame type, and nothing for what was not saved
    frames = {r["name"]: read_labels(out_dir)[r["file"]] for r in manifest}
    assert frames == {
        "Dark Magician": "normal",
        "Blue-Eyes White Dragon": "normal",
        "Kuriboh": "effect",
        "Slow Card": "spell",
        "Page Two": "trap",
    }
    assert len(read_labels(out_dir)) == 5
