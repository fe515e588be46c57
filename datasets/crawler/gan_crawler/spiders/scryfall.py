"""Scryfall spider: Magic: The Gathering art crops -> datasets/magic/raw.

API: ``GET {base_url}/cards/search?q=...&unique=art`` returns ``data[]`` cards and, while
``has_more`` is true, a ``next_page`` URL. Single-faced cards carry ``image_uris``; double-faced
ones carry ``card_faces[].image_uris``. ``art_crop`` is the illustration only (what a GAN wants).
Scryfall asks for 50-100 ms between requests, a descriptive User-Agent and an Accept header.
Images live on cards.scryfall.io. A card's ``color_identity`` is its images' class in
``labels.csv`` (a colour, ``multicolour`` or ``colourless``; both faces of a card share it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar
from urllib.parse import urlencode

import scrapy
from scrapy.http import Response

from gan_crawler.items import ArtItem
from gan_crawler.spiders.base import ApiImageSpider

COLOURS = {"W": "white", "U": "blue", "B": "black", "R": "red", "G": "green"}


def colour_identity(card: dict) -> str | None:
    """The card's ``color_identity`` as a class: one colour's name, ``multicolour`` for
    two or more, ``colourless`` for none (``None`` when the field is missing)."""
    identity = card.get("color_identity")
    if not isinstance(identity, list):
        return None
    colours = sorted({COLOURS.get(str(c).upper(), str(c).lower()) for c in identity})
    if not colours:
        return "colourless"
    return colours[0] if len(colours) == 1 else "multicolour"


VARIANTS = ("art_crop", "normal", "large", "png", "border_crop", "small")


class ScryfallSpider(ApiImageSpider):
    """``scrapy crawl scryfall -a limit=1000 -a q="game:paper" -a variant=art_crop``."""

    name = "scryfall"
    dataset = "magic"
    default_base_url = "https://api.scryfall.com"
    image_hosts: ClassVar[tuple[str, ...]] = ("cards.scryfall.io",)
    default_ext = ".jpg"
    licence = (
        "Magic: The Gathering card art (c) Wizards of the Coast and the credited artist; via "
        "Scryfall under the Wizards Fan Content Policy. Credit the artist; do not redistribute."
    )
    custom_settings: ClassVar[dict[str, Any]] = {
        "DOWNLOAD_DELAY": 0.1,  # Scryfall: 50-100 ms between requests
        "DEFAULT_REQUEST_HEADERS": {"Accept": "application/json;q=0.9,*/*;q=0.8"},
    }

    def __init__(
        self,
        *args: Any,
        q: str = "game:paper",
        variant: str = "art_crop",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if variant not in VARIANTS:
            raise ValueError(f"variant must be one of {list(VARIANTS)}, got {variant!r}")
        self.q = q
        self.variant = variant

    async def start(self) -> AsyncIterator[scrapy.Request]:
        params = urlencode({"q": self.q, "unique": "art", "order": "released"})
        yield scrapy.Request(f"{self.base_url}/cards/search?{params}", callback=self.parse_page)

    def parse_page(self, response: Response) -> Iterator[ArtItem | scrapy.Request]:
        """One item per face with an image (until ``limit``), then ``next_page`` while has_more."""
        data = response.json()
        for card in data.get("data") or []:
            faces = [card] if card.get("image_uris") else card.get("card_faces") or []
            for face in faces:
                url = (face.get("image_uris") or {}).get(self.variant)
                if not url:
                    continue
                if not self.reserve():
                    return
                yield self.make_item(
                    name=face.get("name") or card.get("name", ""),
                    image_url=response.urljoin(url),
                    source_id=card.get("id"),
                    source_page=card.get("scryfall_uri") or response.url,
                    artist=face.get("artist") or card.get("artist"),
                    label=colour_identity(card),
                )
        if data.get("has_more") and data.get("next_page") and not self.exhausted:
            yield response.follow(data["next_page"], callback=self.parse_page)
