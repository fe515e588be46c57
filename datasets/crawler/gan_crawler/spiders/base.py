"""What the three API spiders share: arguments, allowed domains, output folder, item limit.

Spider arguments (``-a name=value``):
  base_url  API root, e.g. ``http://127.0.0.1:8000/api/v2`` in tests; its host (never the port)
            joins ``allowed_domains`` next to the spider's image CDN hosts.
  limit     at most this many images (items) are requested; empty = no limit.
  out_dir   output folder; default ``<GAN_DATA_ROOT>/<dataset>/raw`` (``datasets/<name>/raw``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import Crawler

from gan_crawler.items import ArtItem

UNKNOWN_LABEL = "unknown"


def parse_limit(value: object) -> int | None:
    """``None``/``""``/``0`` -> no limit; otherwise a positive int (``ValueError`` if not)."""
    if value in (None, "", "0", 0):
        return None
    limit = int(str(value))
    if limit < 0:
        raise ValueError(f"limit must be >= 0, got {value!r}")
    return limit


class ApiImageSpider(scrapy.Spider):
    """Base class: subclasses set the class constants and implement ``start`` + parsing."""

    dataset: ClassVar[str] = ""
    default_base_url: ClassVar[str] = ""
    image_hosts: ClassVar[tuple[str, ...]] = ()
    default_ext: ClassVar[str] = ".jpg"
    licence: ClassVar[str] = ""

    def __init__(
        self,
        *args: Any,
        base_url: str | None = None,
        limit: str | int | None = None,
        out_dir: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        api_host = urlsplit(self.base_url).hostname
        if not api_host:
            raise ValueError(f"base_url needs a host: {self.base_url!r}")
        self.allowed_domains = sorted({api_host, *self.image_hosts})
        self.limit = parse_limit(limit)
        self.out_dir = out_dir
        self._local_state: dict[str, Any] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ApiImageSpider:
        """Point FILES_STORE at ``out_dir`` (or ``datasets/<dataset>/raw``), as an absolute path."""
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        store = kwargs.get("out_dir") or settings.get("FILES_STORE")
        if not store:
            store = Path(settings.get("GAN_DATA_ROOT")) / cls.dataset / "raw"
        if "://" not in str(store):
            store = str(Path(store).expanduser().resolve())
        settings.set("FILES_STORE", store, priority="cmdline")
        return spider

    @property
    def counters(self) -> dict[str, Any]:
        """Persistent counters: ``self.state`` (saved in JOBDIR) when resumable, else in memory."""
        state = getattr(self, "state", None)
        return state if isinstance(state, dict) else self._local_state

    def reserve(self) -> bool:
        """Count one more image toward ``limit``; False once the limit is reached."""
        used = self.counters.get("reserved", 0)
        if self.limit is not None and used >= self.limit:
            return False
        self.counters["reserved"] = used + 1
        return True

    @property
    def exhausted(self) -> bool:
        """True once ``limit`` images have been reserved."""
        return self.limit is not None and self.counters.get("reserved", 0) >= self.limit

    def make_item(
        self,
        *,
        name: object,
        image_url: str,
        source_id: object,
        source_page: str,
        artist: str | None = None,
        label: str | None = None,
    ) -> ArtItem:
        """An :class:`ArtItem` for one image, stamped with this spider's dataset and licence;
        ``label`` is its class (``UNKNOWN_LABEL`` when the API gives none)."""
        return ArtItem(
            label=label or UNKNOWN_LABEL,
            dataset=self.dataset,
            name=str(name),
            source_id=source_id,
            source_page=source_page,
            artist=artist,
            licence=self.licence,
            file_urls=[image_url],
        )
