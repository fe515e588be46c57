"""YGOPRODeck spider: cropped Yu-Gi-Oh! card art -> datasets/yugioh/raw.

API: ``GET {base_url}/cardinfo.php?num=N&offset=K`` returns ``data[]`` cards, each with
``card_images[]`` (``image_url`` = whole card, ``image_url_cropped`` = the art box only, which is
what a GAN should learn), and ``meta.next_page``. Images live on images.ygoprodeck.com.
Alternate artworks of one card are separate ``card_images`` entries and become separate items.
Each card's ``frameType`` is its images' class in ``labels.csv``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlencode

import scrapy
from scrapy.http import Response

from gan_crawler.items import ArtItem
from gan_crawler.spiders.base import ApiImageSpider


def frame_type(card: dict) -> str | None:
    """The card's ``frameType`` (normal, effect, ritual, fusion, synchro, xyz, link, spell,
    trap, token, ``*_pendulum`` ...): its class in ``labels.csv``."""
    frame = card.get("frameType")
    return frame.strip().lower() if isinstance(frame, str) and frame.strip() else None


VARIANTS = {"cropped": "image_url_cropped", "full": "image_url", "small": "image_url_small"}


class YgoProDeckSpider(ApiImageSpider):
    """``scrapy crawl ygoprodeck -a limit=500 -a query="type=Normal Monster"``."""

    name = "ygoprodeck"
    dataset = "yugioh"
    default_base_url = "https://db.ygoprodeck.com/api/v7"
    image_hosts: ClassVar[tuple[str, ...]] = ("images.ygoprodeck.com",)
    default_ext = ".jpg"
    licence = (
        "Yu-Gi-Oh! card images (c) Kazuki Takahashi / Konami; served via YGOPRODeck, which asks "
        "for images to be stored locally, not hotlinked. Research use only, do not redistribute."
    )

    def __init__(
        self,
        *args: Any,
        variant: str = "cropped",
        page_size: str = "100",
        query: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if variant not in VARIANTS:
            raise ValueError(f"variant must be one of {sorted(VARIANTS)}, got {variant!r}")
        self.image_field = VARIANTS[variant]
        self.page_size = max(1, int(page_size))
        self.query = query

    async def start(self) -> AsyncIterator[scrapy.Request]:
        params = f"num={self.page_size}&offset=0"
        if self.query:
            params += "&" + urlencode(parse_qsl(self.query, keep_blank_values=True))
        yield scrapy.Request(f"{self.base_url}/cardinfo.php?{params}", callback=self.parse_page)

    def parse_page(self, response: Response) -> Iterator[ArtItem | scrapy.Request]:
        """One item per card image (until ``limit``), then ``meta.next_page``."""
        data = response.json()
        for card in data.get("data") or []:
            for image in card.get("card_images") or []:
                url = image.get(self.image_field) if isinstance(image, dict) else None
                if not url:
                    continue
                if not self.reserve():
                    return
                yield self.make_item(
                    name=card.get("name", ""),
                    image_url=response.urljoin(url),
                    source_id=image.get("id", card.get("id")),
                    source_page=response.url,
                    label=frame_type(card),
                )
        next_page = (data.get("meta") or {}).get("next_page")
        if next_page and not self.exhausted:
            yield response.follow(next_page, callback=self.parse_page)
