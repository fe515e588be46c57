"""Run one crawler from anywhere (e.g. the repo root), without ``cd`` into the Scrapy project.

    python datasets/crawler/crawl.py --spider=pokeapi --out_dir=datasets/pokemon/raw --limit=100
    python datasets/crawler/crawl.py --spider=ygoprodeck --limit=500 \
        --jobdir=datasets/crawler/jobs/ygo
    python datasets/crawler/crawl.py --spider=scryfall --arg q="set:neo" -s DOWNLOAD_DELAY=0.2

One crawl per process: Scrapy's Twisted reactor cannot be restarted.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ALIASES = {"pokemon": "pokeapi", "yugioh": "ygoprodeck", "magic": "scryfall"}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line arguments; ``-s``/``--arg`` take ``KEY=VALUE`` and may repeat."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--spider",
        required=True,
        help="pokeapi | ygoprodeck | scryfall (or pokemon | yugioh | magic)",
    )
    parser.add_argument("--out_dir", help="image folder (default datasets/<name>/raw)")
    parser.add_argument("--limit", type=int, default=0, help="max images, 0 = all")
    parser.add_argument("--base_url", help="API root (tests point it at a local server)")
    parser.add_argument("--variant", help="image variant, see README.md per spider")
    parser.add_argument("--jobdir", help="JOBDIR: makes the crawl pausable/resumable")
    parser.add_argument("--cache_dir", help="HTTP cache folder (HTTPCACHE_DIR)")
    parser.add_argument("--arg", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE")
    return parser.parse_args(argv)


def _pairs(values: list[str], what: str) -> dict[str, str]:
    pairs = {}
    for value in values:
        key, sep, val = value.partition("=")
        if not sep:
            raise SystemExit(f"crawl.py: {what} needs KEY=VALUE, got {value!r}")
        pairs[key] = val
    return pairs


def main(argv: list[str] | None = None) -> int:
    """Build settings from the project plus overrides and run the chosen spider to the end."""
    args = parse_args(argv)
    # Imported here: Scrapy must see the settings module and project path first.
    sys.path.insert(0, str(HERE))
    os.environ["SCRAPY_SETTINGS_MODULE"] = "gan_crawler.settings"
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    for name, value in _pairs(args.set, "-s").items():
        settings.set(name, value, priority="cmdline")
    if args.jobdir:
        settings.set("JOBDIR", str(Path(args.jobdir).resolve()), priority="cmdline")
    if args.cache_dir:
        settings.set("HTTPCACHE_DIR", str(Path(args.cache_dir).resolve()), priority="cmdline")

    spider_args = _pairs(args.arg, "--arg")
    for key in ("out_dir", "base_url", "variant"):
        if getattr(args, key):
            spider_args[key] = getattr(args, key)
    if args.limit:
        spider_args["limit"] = str(args.limit)

    process = CrawlerProcess(settings)
    crawler = process.create_crawler(ALIASES.get(args.spider, args.spider))
    process.crawl(crawler, **spider_args)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    print(
        f"crawl.py: {stats.get('item_scraped_count', 0)} images saved, "
        f"{stats.get('item_dropped_count', 0)} skipped, "
        f"finish reason {stats.get('finish_reason')!r}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
