"""Item pipelines: save each image byte for byte, then record it in the manifest.

``ArtFilesPipeline`` is a FilesPipeline, not an ImagesPipeline: ImagesPipeline re-encodes every
image as JPEG and drops the alpha channel that Pokemon sprites need. Files are stored flat in
the output folder under names built by :mod:`gan_crawler.naming`, written atomically (temp file
+ rename) so an interrupted crawl never leaves a half file that a resumed crawl would trust.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import os
from io import BytesIO
from pathlib import Path
from typing import Any, ClassVar

from itemadapter import ItemAdapter
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.http import Response
from scrapy.http.request import NO_CALLBACK
from scrapy.pipelines.files import FilesPipeline, FSFilesStore
from scrapy.pipelines.media import FileException, MediaPipeline
from scrapy.utils.defer import ensure_awaitable

from gan_crawler.imagetype import sniff_image_type
from gan_crawler.naming import image_file_name, safe_join

logger = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.jsonl"
LABELS_NAME = "labels.csv"  # file,class: what the GAN converter reads (--labels=auto)


class AtomicFSFilesStore(FSFilesStore):
    """Local store that refuses unsafe names and writes via a temp file + ``os.replace``."""

    def persist_file(
        self,
        path: str | os.PathLike[str],
        buf: BytesIO,
        info: MediaPipeline.SpiderInfo,
        meta: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        target = safe_join(self.basedir, str(path))
        tmp = target.with_name(f".{target.name}.part")
        tmp.write_bytes(buf.getvalue())
        os.replace(tmp, target)


class ArtFilesPipeline(FilesPipeline):
    """Save ``file_urls`` unchanged (PNG alpha kept) as ``<FILES_STORE>/<slug>-<hash><ext>``."""

    STORE_SCHEMES: ClassVar[dict[str, type]] = {
        **FilesPipeline.STORE_SCHEMES,
        "file": AtomicFSFilesStore,
    }

    def get_media_requests(self, item: Any, info: MediaPipeline.SpiderInfo) -> list[Request]:
        """Image requests bypass the HTTP cache: the saved file already is the cache."""
        urls = ItemAdapter(item).get("file_urls") or []
        return [Request(url, callback=NO_CALLBACK, meta={"dont_cache": True}) for url in urls]

    def file_path(
        self,
        request: Request,
        response: Response | None = None,
        info: MediaPipeline.SpiderInfo | None = None,
        *,
        item: Any = None,
    ) -> str:
        """A flat, sanitised name from the item's name and the URL's hash (never the URL path)."""
        name = ItemAdapter(item).get("name", "") if item is not None else ""
        spider = info.spider if info is not None else None
        default_ext = getattr(spider, "default_ext", ".jpg")
        return image_file_name(name, request.url, default_ext)

    async def file_downloaded(
        self,
        response: Response,
        request: Request,
        info: MediaPipeline.SpiderInfo,
        *,
        item: Any = None,
    ) -> str:
        """Refuse bodies that are not images (HTML error pages served with status 200)."""
        if sniff_image_type(response.body) is None:
            raise FileException("not-an-image")
        path = self.file_path(request, response=response, info=info, item=item)
        await ensure_awaitable(self.store.persist_file(path, BytesIO(response.body), info))
        return hashlib.md5(response.body).hexdigest()

    def item_completed(self, results: list[Any], item: Any, info: MediaPipeline.SpiderInfo) -> Any:
        """Keep the item only if at least one image was saved; otherwise drop it with a reason."""
        adapter = ItemAdapter(item)
        adapter["files"] = [result for ok, result in results if ok]
        if not adapter["files"]:
            raise DropItem(f"no image saved for {adapter.get('name')!r} {adapter.get('file_urls')}")
        return item


class ManifestPipeline:
    """Append one JSON line per saved image to ``<FILES_STORE>/manifest.jsonl``.

    Lines already present (a re-run or a resumed crawl) are not written twice. Each line is
    flushed at once so an interrupted crawl keeps a manifest matching the files on disk.
    """

    def __init__(self, store: str) -> None:
        self.path = Path(store) / MANIFEST_NAME
        self.seen: set[str] = set()
        self._fh: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ManifestPipeline:
        return cls(crawler.settings["FILES_STORE"])

    def open_spider(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                try:
                    self.seen.add(json.loads(line)["file"])
                except (ValueError, KeyError, TypeError):
                    logger.warning("Ignoring a malformed manifest line in %s", self.path)
        self._fh = self.path.open("a", encoding="utf-8")

    def close_spider(self) -> None:
        if self._fh is not None:
            self._fh.close()

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        for saved in adapter.get("files") or []:
            if saved["path"] in self.seen:
                continue
            self.seen.add(saved["path"])
            record = {
                "file": saved["path"],
                "url": saved["url"],
                "name": adapter.get("name"),
                "id": adapter.get("source_id"),
                "dataset": adapter.get("dataset"),
                "source_page": adapter.get("source_page"),
                "artist": adapter.get("artist"),
                "licence": adapter.get("licence"),
                "class": adapter.get("label"),
                "md5": saved["checksum"],
            }
            self._fh.write(json.dumps(record, ensure_ascii=False) + "\n")
            self._fh.flush()
        return item


class LabelsPipeline:
    """Append ``file,class`` to ``<FILES_STORE>/labels.csv`` for each saved image.

    The class is the item's ``label`` (PokeAPI primary type, YGOPRODeck frame type,
    Scryfall colour identity); the GAN converter reads the file beside the images
    (``--labels=auto``) for conditional training. Files already listed are not written
    again (a re-run or a resumed crawl); each row is flushed at once.
    """

    def __init__(self, store: str) -> None:
        self.path = Path(store) / LABELS_NAME
        self.seen: set[str] = set()
        self._fh: Any = None
        self._writer: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LabelsPipeline:
        return cls(crawler.settings["FILES_STORE"])

    def open_spider(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        new = not self.path.exists() or self.path.stat().st_size == 0
        if not new:
            with self.path.open(encoding="utf-8", newline="") as fh:
                self.seen = {row[0] for row in csv.reader(fh) if row}
        self._fh = self.path.open("a", encoding="utf-8", newline="")
        self._writer = csv.writer(self._fh, lineterminator="\n")
        if new:
            self._writer.writerow(["file", "class"])

    def close_spider(self) -> None:
        if self._fh is not None:
            self._fh.close()

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        for saved in adapter.get("files") or []:
            if saved["path"] in self.seen:
                continue
            self.seen.add(saved["path"])
            self._writer.writerow([saved["path"], adapter.get("label") or "unknown"])
            self._fh.flush()
        return item
