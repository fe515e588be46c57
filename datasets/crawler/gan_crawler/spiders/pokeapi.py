"""PokeAPI spider: one official-artwork PNG (with alpha) per Pokemon -> datasets/pokemon/raw.

API: ``GET {base_url}/pokemon?limit=N&offset=0`` lists ``results[].url`` and a ``next`` page;
each ``/pokemon/{id}/`` record has ``sprites.other["official-artwork"].front_default`` (475 px
PNG) and ``sprites.front_default`` (96 px pixel sprite), hosted on raw.githubusercontent.com,
and ``types[]`` (``slot`` 1 is the primary type: the image's class in ``labels.csv``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar

import scrapy
from scrapy.http import Response

from gan_crawler.items import ArtItem
from gan_crawler.spiders.base import ApiImageSpider

# variant argument -> key path inside the "sprites" object
VARIANTS: dict[str, tuple[str, ...]] = {
    "official-artwork": ("other", "official-artwork", "front_default"),
    "home": ("other", "home", "front_default"),
    "sprite": ("front_default",),
}


def primary_type(data: Any) -> str | None:
    """The type in slot 1 of a ``/pokemon/{id}/`` record (``"grass"`` for Bulbasaur)."""
    types = data.get("types") if isinstance(data, dict) else None
    slots = [t for t in types or [] if isinstance(t, dict)]
    slots.sort(key=lambda t: t.get("slot", 99) if isinstance(t.get("slot"), int) else 99)
    for entry in slots:
        name = dig(entry, ("type", "name"))
        if isinstance(name, str) and name.strip():
            return name.strip().lower()
    return None


def dig(data: Any, path: tuple[str, ...]) -> Any:
    """``data[path[0]][path[1]]...`` or ``None`` when any step is missing."""
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


class PokeApiSpider(ApiImageSpider):
    """``scrapy crawl pokeapi -a limit=151 -a variant=official-artwork``."""

    name = "pokeapi"
    dataset = "pokemon"
    default_base_url = "https://pokeapi.co/api/v2"
    image_hosts: ClassVar[tuple[str, ...]] = ("raw.githubusercontent.com",)
    default_ext = ".png"
    licence = (
        "Pokemon images (c) Nintendo / Creatures Inc. / GAME FREAK inc.; served via PokeAPI "
        "(PokeAPI/sprites). Not a free licence: research / non-commercial use, do not redistribute."
    )

    def __init__(
        self, *args: Any, variant: str = "official-artwork", page_size: str = "100", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if variant not in VARIANTS:
            raise ValueError(f"variant must be one of {sorted(VARIANTS)}, got {variant!r}")
        self.variant = variant
        self.page_size = max(1, int(page_size))

    async def start(self) -> AsyncIterator[scrapy.Request]:
        size = min(self.limit or self.page_size, self.page_size)
        yield scrapy.Request(
            f"{self.base_url}/pokemon?limit={size}&offset=0", callback=self.parse_list
        )

    def parse_list(self, response: Response) -> Iterator[scrapy.Request]:
        """Follow each Pokemon record (until ``limit``), then the ``next`` page."""
        data = response.json()
        for entry in data.get("results") or []:
            url = entry.get("url") if isinstance(entry, dict) else None
            if not url:
                continue
            if not self.reserve():
                return
            yield response.follow(url, callback=self.parse_pokemon)
        if data.get("next") and not self.exhausted:
            yield response.follow(data["next"], callback=self.parse_list)

    def parse_pokemon(self, response: Response) -> Iterator[ArtItem]:
        """One item for the chosen sprite variant; records without that image are skipped."""
        data = response.json()
        image_url = dig(data.get("sprites"), VARIANTS[self.variant])
        if not image_url:
            self.logger.info("No %s image for %s", self.variant, response.url)
            return
        yield self.make_item(
            name=data.get("name", ""),
            image_url=response.urljoin(image_url),
            source_id=data.get("id"),
            source_page=response.url,
            label=primary_type(data),
        )
