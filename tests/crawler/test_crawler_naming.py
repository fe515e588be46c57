"""Unit tests: safe file names, image sniffing, spider arguments and polite defaults."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from crawler_helpers import jpeg_bytes, png_rgba_bytes
from gan_crawler import settings
from gan_crawler.imagetype import sniff_image_type
from gan_crawler.naming import image_file_name, safe_join, slugify
from gan_crawler.pipelines import ArtFilesPipeline
from gan_crawler.spiders.base import parse_limit
from gan_crawler.spiders.pokeapi import PokeApiSpider
from gan_crawler.spiders.scryfall import ScryfallSpider
from gan_crawler.spiders.ygoprodeck import YgoProDeckSpider
from scrapy.pipelines.files import FilesPipeline
from scrapy.pipelines.images import ImagesPipeline

SAFE = re.compile(r"^[a-z0-9-]{1,60}-[0-9a-f]{12}\.(png|jpg|jpeg|gif|webp)$")
HOSTILE = [
    "../../x.png",
    "/etc/passwd",
    "..",
    ".",
    "",
    "a\x00b.png",
    "..\\..\\windows\\x.png",
    "A" * 5000,
    "C:\\x.png",
    "Flabébé ♀ //",
    "~/.ssh/id_rsa",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_become_safe_flat_names(name: str, tmp_path: Path) -> None:
    url = f"http://h/img/{name}"
    file_name = image_file_name(name, url, ".png")
    assert SAFE.match(file_name), file_name
    assert safe_join(tmp_path, file_name).parent == tmp_path.resolve()


def test_names_are_stable_and_distinct() -> None:
    a = image_file_name("Mr. Mime", "http://h/122.png")
    assert a == image_file_name("Mr. Mime", "http://h/122.png")
    assert a.startswith("mr-mime-") and a.endswith(".png")
    assert a != image_file_name("Mr. Mime", "http://h/122-galar.png")
    assert image_file_name("x", "http://h/a.exe", ".jpg").endswith(".jpg")
    assert slugify("Flabébé") == "flabebe"


@pytest.mark.parametrize("bad", ["../x.png", "/abs.png", "a/b.png", "..", "a\\b.png", "a\x00"])
def test_safe_join_refuses_paths(bad: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        safe_join(tmp_path, bad)


def test_sniff_image_type() -> None:
    assert sniff_image_type(png_rgba_bytes()) == "png"
    assert sniff_image_type(jpeg_bytes()) == "jpeg"
    assert sniff_image_type(b"<html>") is None


@pytest.mark.parametrize(
    ("spider_cls", "hosts"),
    [
        (PokeApiSpider, {"pokeapi.co", "raw.githubusercontent.com"}),
        (YgoProDeckSpider, {"db.ygoprodeck.com", "images.ygoprodeck.com"}),
        (ScryfallSpider, {"api.scryfall.com", "cards.scryfall.io"}),
    ],
)
def test_allowed_domains_name_api_and_cdn_hosts(spider_cls: type, hosts: set[str]) -> None:
    assert set(spider_cls().allowed_domains) == hosts
    local = spider_cls(base_url="http://127.0.0.1:8123/api")
    assert "127.0.0.1" in local.allowed_domains
    assert not any(":" in d for d in local.allowed_domains)  # hosts, never ports
    assert spider_cls.start is not None and spider_cls.licence


def test_spider_arguments_are_checked() -> None:
    assert parse_limit("") is None and parse_limit("0") is None and parse_limit("7") == 7
    with pytest.raises(ValueError):
        parse_limit("-1")
    with pytest.raises(ValueError):
        PokeApiSpider(variant="nope")
    with pytest.raises(ValueError):
        ScryfallSpider(base_url="not a url")


def test_polite_defaults() -> None:
    assert settings.ROBOTSTXT_OBEY is True
    assert settings.AUTOTHROTTLE_ENABLED is True
    assert settings.HTTPCACHE_ENABLED is True
    assert 429 in settings.RETRY_HTTP_CODES and 500 in settings.RETRY_HTTP_CODES
    assert 429 in settings.HTTPCACHE_IGNORE_HTTP_CODES  # a cached 429 would defeat retries
    assert "gans-suite" in settings.USER_AGENT
    # FilesPipeline keeps bytes (and PNG alpha); ImagesPipeline would re-encode to JPEG
    assert issubclass(ArtFilesPipeline, FilesPipeline)
    assert not issubclass(ArtFilesPipeline, ImagesPipeline)
    assert "gan_crawler.pipelines.ArtFilesPipeline" in settings.ITEM_PIPELINES
    assert ScryfallSpider.custom_settings["DOWNLOAD_DELAY"] >= 0.05
