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
    parser.add_argument(
        "--verbose", action="store_true", help="Scrapy's log on the terminal, not in a file"
    )
    parser.add_argument("--log_file", help="Scrapy's log (default <cache dir>/../logs/SPIDER.log)")
    return parser.parse_args(argv)


_EXCEPTIONS = {
    "DNSLookupError": "DNS lookup failed (no network, or a wrong host in --base_url)",
    "CannotResolveHostError": "DNS lookup failed (no network, or a wrong host in --base_url)",
    "ConnectionRefusedError": "connection refused (is the server up? is the port right?)",
    "DownloadConnectionRefusedError": "connection refused (is the server up? the port right?)",
    "DownloadTimeoutError": "requests timed out",
    "TCPTimedOutError": "the connection timed out",
    "TimeoutError": "requests timed out",
    "ConnectError": "could not connect",
    "ConnectionLost": "the connection was lost",
    "ResponseNeverReceived": "no response (connection dropped)",
}


def failure_summary(stats: dict) -> str:
    """What went wrong in a crawl, from Scrapy's stats: network errors by kind, and HTTP
    error statuses (an empty string when nothing did)."""
    parts = []
    for key, count in sorted(stats.items()):
        if key.startswith("downloader/exception_type_count/"):
            name = key.rsplit(".", 1)[-1].rsplit("/", 1)[-1]
            parts.append(f"{_EXCEPTIONS.get(name, name)} ×{count}")
    statuses = {
        int(key.rsplit("/", 1)[-1]): count
        for key, count in stats.items()
        if key.startswith("downloader/response_status_count/")
    }
    bad = {code: n for code, n in sorted(statuses.items()) if code >= 400}
    if bad:
        listed = ", ".join(f"HTTP {code} ×{n}" for code, n in bad.items())
        every = "every response was an error: " if len(bad) == len(statuses) else ""
        parts.append(every + listed)
    return "; ".join(parts)


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
    spider_name = ALIASES.get(args.spider, args.spider)
    log_file = None
    if not args.verbose:
        log_file = Path(
            args.log_file or Path(settings["HTTPCACHE_DIR"]).parent / "logs" / f"{spider_name}.log"
        )
        log_file.parent.mkdir(parents=True, exist_ok=True)
        settings.set("LOG_FILE", str(log_file), priority="cmdline")
        settings.set("LOG_FILE_APPEND", False, priority="cmdline")

    spider_args = _pairs(args.arg, "--arg")
    for key in ("out_dir", "base_url", "variant"):
        if getattr(args, key):
            spider_args[key] = getattr(args, key)
    if args.limit:
        spider_args["limit"] = str(args.limit)

    from scrapy import signals

    process = CrawlerProcess(settings)
    try:
        crawler = process.create_crawler(spider_name)
    except KeyError:
        print(f"crawl.py: no spider {args.spider!r}; use {', '.join(ALIASES)}", file=sys.stderr)
        return 2
    counts = {"saved": 0, "skipped": 0}

    def progress(kind: str):
        def on_item(*_args, **_kwargs) -> None:
            counts[kind] += 1
            if (counts["saved"] + counts["skipped"]) % 10 == 0:
                print(
                    f"crawl.py: {counts['saved']} saved, {counts['skipped']} skipped so far",
                    file=sys.stderr,
                    flush=True,
                )

        return on_item

    saved_cb, skipped_cb = progress("saved"), progress("skipped")  # kept alive (weak refs)
    crawler.signals.connect(saved_cb, signal=signals.item_scraped)
    crawler.signals.connect(skipped_cb, signal=signals.item_dropped)
    if log_file:
        print(f"crawl.py: crawling {spider_name}; Scrapy's log: {log_file}", file=sys.stderr)
    process.crawl(crawler, **spider_args)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    saved = stats.get("item_scraped_count", 0)
    failed = failure_summary(stats)
    print(
        f"crawl.py: {saved} images saved, "
        f"{stats.get('item_dropped_count', 0)} skipped, "
        f"finish reason {stats.get('finish_reason')!r}"
        + (f"; failures: {failed}" if failed else ""),
        file=sys.stderr,
    )
    if saved == 0:
        where = f" (details: {log_file})" if log_file else ""
        print(
            f"crawl.py: error: nothing was saved: {failed or 'the API listed no images'}{where}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
