"""PokeAPI spider against a local server: PNG alpha kept, manifest, 404s, hostile names."""

from __future__ import annotations

import json
from pathlib import Path

from crawler_helpers import (
    FixtureServer,
    image_files,
    png_rgba_bytes,
    read_labels,
    read_manifest,
    run_crawl,
)
from PIL import Image


def add_pokemon(
    server: FixtureServer, pid: int, name: str, image_path: str | None, types=()
) -> str:
    """Register ``/api/v2/pokemon/<pid>/`` pointing at ``image_path`` with ``types`` as
    (slot, name) pairs; return its URL."""
    artwork = {"front_default": server.url(image_path) if image_path else None}
    server.add_json(
        f"/api/v2/pokemon/{pid}/",
        {
            "id": pid,
            "name": name,
            "sprites": {"front_default": None, "other": {"official-artwork": artwork}},
            "types": [{"slot": slot, "type": {"name": t, "url": ""}} for slot, t in types],
        },
    )
    return server.url(f"/api/v2/pokemon/{pid}/")


def test_pokeapi_saves_png_with_alpha_and_manifest(server: FixtureServer, tmp_path: Path) -> None:
    sprite = png_rgba_bytes(alpha=0)
    server.add("/sprites/1.png", sprite)
    server.add("/sprites/..%2F..%2Fx.png", png_rgba_bytes(alpha=7))
    server.add("/sprites/3.png", png_rgba_bytes())
    results = [
        {
            "name": "bulbasaur",
            # listed out of order: the primary type is the one in slot 1
            "url": add_pokemon(
                server, 1, "bulbasaur", "/sprites/1.png", [(2, "poison"), (1, "grass")]
            ),
        },
        # hostile name and hostile URL path: must land inside out_dir under a safe name
        {
            "name": "x",
            "url": add_pokemon(
                server, 2, "../../x.png", "/sprites/..%2F..%2Fx.png", [(1, "Water")]
            ),
        },
        {"name": "gone", "url": server.url("/api/v2/pokemon/404/")},  # record 404 -> skipped
        {"name": "noart", "url": add_pokemon(server, 4, "noart", "/sprites/missing.png")},
        {"name": "ivysaur", "url": add_pokemon(server, 3, "ivysaur", "/sprites/3.png")},
    ]
    server.add_json("/api/v2/pokemon", {"count": 5, "next": None, "results": results})

    root = tmp_path / "sandbox" / "a" / "b"
    out_dir = root / "raw"
    run_crawl("pokeapi", server.url("/api/v2"), out_dir, tmp_path / "cache")

    files = image_files(out_dir)
    assert len(files) == 3
    assert (out_dir / "manifest.jsonl").exists()
    manifest = read_manifest(out_dir)
    assert sorted(r["name"] for r in manifest) == ["../../x.png", "bulbasaur", "ivysaur"]
    assert sorted(r["file"] for r in manifest) == [p.name for p in files]
    for record in manifest:
        assert record["dataset"] == "pokemon"
        assert record["url"].startswith(server.url("/sprites/"))
        assert "Nintendo" in record["licence"]

    bulba = next(r for r in manifest if r["name"] == "bulbasaur")
    saved = out_dir / bulba["file"]
    assert saved.read_bytes() == sprite  # byte for byte: no JPEG conversion
    with Image.open(saved) as img:
        assert img.mode == "RGBA"
        assert img.getpixel((0, 0))[3] == 0 and img.getpixel((15, 0))[3] == 255

    # nothing escaped: the only files anywhere under tmp_path/sandbox are in out_dir
    written = [p for p in (tmp_path / "sandbox").rglob("*") if p.is_file()]
    assert all(p.parent == out_dir for p in written), written
    assert not any(p.name == "x.png" for p in tmp_path.rglob("*"))
    hostile = next(r for r in manifest if r["name"] == "../../x.png")
    assert "/" not in hostile["file"] and hostile["file"].endswith(".png")

    # the 404 record and the 404 image were each asked once (404 is not retried)
    assert server.count("/api/v2/pokemon/404/") == 1
    assert server.count("/sprites/missing.png") == 1
    json.dumps(manifest)  # manifest is plain JSON

    # labels.csv beside the images: the primary type, "unknown" where the record has none
    by_name = {r["name"]: r["file"] for r in manifest}
    labels = read_labels(out_dir)
    assert labels == {
        by_name["bulbasaur"]: "grass",
        by_name["../../x.png"]: "water",
        by_name["ivysaur"]: "unknown",
    }
    assert {r["class"] for r in manifest} == {"grass", "water", "unknown"}
    # the converter picks it up (--labels=auto): a labelled set, ready for --conditional
    from gans.core.data.folder_converter import ConvertOptions, convert_folder

    converted = convert_folder(out_dir, tmp_path / "records", "pokemon", ConvertOptions(16, 4))
    assert converted["class_names"] == ["grass", "unknown", "water"]
    assert converted["labels"]["from"] == "file"
    assert converted["count"] + len(converted["duplicates"]) == 3  # 1.png and 3.png are alike
