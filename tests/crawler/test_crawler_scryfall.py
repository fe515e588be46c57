"""Scryfall spider: has_more/next_page paging, double-faced cards, artist credit, robots.txt."""

from __future__ import annotations

from pathlib import Path

from crawler_helpers import (
    FixtureServer,
    image_files,
    jpeg_bytes,
    read_labels,
    read_manifest,
    run_crawl,
)


def single(
    server: FixtureServer, cid: str, name: str, art: str, artist: str, identity=("R",)
) -> dict:
    return {
        "id": cid,
        "name": name,
        "artist": artist,
        "color_identity": list(identity),
        "image_uris": {"art_crop": server.url(art), "normal": server.url(f"/normal/{cid}.jpg")},
    }


def test_scryfall_pages_faces_artist_and_robots(server: FixtureServer, tmp_path: Path) -> None:
    server.add("/robots.txt", b"User-agent: *\nDisallow: /private/\n", "text/plain")
    for path in ("/art/a.jpg?1562", "/art/b.jpg", "/art/front.jpg", "/art/back.jpg", "/art/c.jpg"):
        server.add(path, jpeg_bytes(), "image/jpeg")
    server.add("/private/secret.jpg", jpeg_bytes(), "image/jpeg")
    server.add("/art/over-limit.jpg", jpeg_bytes(), "image/jpeg")

    dfc = {
        "id": "dfc",
        "name": "Delver of Secrets // Insectile Aberration",
        "color_identity": ["U", "B"],
        "card_faces": [
            {
                "name": "Delver of Secrets",
                "artist": "Matt Stewart",
                "image_uris": {"art_crop": server.url("/art/front.jpg")},
            },
            {
                "name": "Insectile Aberration",
                "artist": "Matt Stewart",
                "image_uris": {"art_crop": server.url("/art/back.jpg")},
            },
        ],
    }
    page2 = "/cards/search?page=2"
    server.add_json(
        "/cards/search",
        {
            "object": "list",
            "has_more": True,
            "next_page": server.url(page2),
            "data": [
                single(server, "a", "Lightning Bolt", "/art/a.jpg?1562", "Christopher Rush"),
                single(server, "s", "Secret", "/private/secret.jpg", "Nobody"),
                dfc,
            ],
        },
    )
    server.add_json(
        page2,
        {
            "object": "list",
            "has_more": False,
            "data": [
                single(server, "b", "Counterspell", "/art/b.jpg", "Mark Poole", identity=()),
                single(server, "c", "Over Limit", "/art/over-limit.jpg", "Nobody"),
            ],
        },
    )

    out_dir = tmp_path / "magic" / "raw"
    run_crawl(
        "scryfall", server.url(""), out_dir, tmp_path / "cache", args={"limit": "5", "q": "t:x"}
    )

    manifest = read_manifest(out_dir)
    by_name = {r["name"]: r for r in manifest}
    assert sorted(by_name) == [
        "Counterspell",
        "Delver of Secrets",
        "Insectile Aberration",
        "Lightning Bolt",
    ]
    assert len(image_files(out_dir)) == 4
    assert by_name["Lightning Bolt"]["artist"] == "Christopher Rush"
    assert by_name["Insectile Aberration"]["artist"] == "Matt Stewart"
    assert "Wizards" in by_name["Counterspell"]["licence"]
    # robots.txt was read and its Disallow obeyed
    assert server.count("/robots.txt") == 1
    assert server.count("/private/secret.jpg") == 0
    # limit=5 counts the disallowed one too: the 6th image is never requested
    assert server.count("/art/over-limit.jpg") == 0
    assert server.count("/cards/search") == 2
    # Scryfall asks for a descriptive User-Agent and an Accept header on API calls
    assert all("gans-suite" in hit.user_agent for hit in server.hits)
    api_hits = [hit for hit in server.hits if hit.path.startswith("/cards/search")]
    assert all(hit.accept.startswith("application/json") for hit in api_hits)
    # labels.csv: colour identity; both faces of a card share the card's
    colours = {name: read_labels(out_dir)[r["file"]] for name, r in by_name.items()}
    assert colours == {
        "Lightning Bolt": "red",
        "Counterspell": "colourless",
        "Delver of Secrets": "multicolour",
        "Insectile Aberration": "multicolour",
    }
