"""Scrapy settings: polite by default (robots.txt, AutoThrottle, named User-Agent, HTTP cache).

Everything here can be overridden per run with ``-s NAME=VALUE``; tests do so to run fast
against a local server. Output folders and API base URLs are spider arguments (see README.md).
"""

import os
from pathlib import Path

BOT_NAME = "gan_crawler"
SPIDER_MODULES = ["gan_crawler.spiders"]
NEWSPIDER_MODULE = "gan_crawler.spiders"

# Where datasets/<name>/raw/ lives when no out_dir / FILES_STORE is given: the repo's datasets/.
GAN_DATA_ROOT = os.environ.get("GAN_DATA_ROOT", str(Path(__file__).resolve().parents[2]))

# Identify ourselves; APIs such as Scryfall ask for a descriptive User-Agent.
USER_AGENT = os.environ.get(
    "GAN_CRAWLER_USER_AGENT",
    "gans-suite-crawler/0.1 (GAN training suite; research image sets; polite Scrapy bot)",
)

# Politeness.
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.25  # the floor AutoThrottle never goes below
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 32 * 1024 * 1024  # no card image is near this; a hostile stream is cut off

# Transient failures are retried (429 = "slow down"), then skipped.
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]

# Cache API responses so a re-run or a resumed crawl does not ask the API again. Failed
# responses are not cached: a cached 500/429 would turn every retry into a cache hit.
HTTPCACHE_ENABLED = True
HTTPCACHE_DIR = os.environ.get(
    "GAN_CRAWLER_CACHE_DIR", str(Path(__file__).resolve().parents[1] / ".scrapy" / "httpcache")
)
HTTPCACHE_EXPIRATION_SECS = 7 * 24 * 3600
HTTPCACHE_IGNORE_HTTP_CODES = RETRY_HTTP_CODES

# Images are stored byte for byte (FilesPipeline: PNG alpha kept), then listed in the manifest
# and, with their class, in labels.csv.
ITEM_PIPELINES = {
    "gan_crawler.pipelines.ArtFilesPipeline": 100,
    "gan_crawler.pipelines.ManifestPipeline": 300,
    "gan_crawler.pipelines.LabelsPipeline": 310,
}
FILES_EXPIRES = 365  # days a saved file counts as up to date (a resumed crawl skips it)

FEED_EXPORT_ENCODING = "utf-8"
# No control ports: a batch crawl needs neither the telnet console nor remote control.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
LOG_LEVEL = os.environ.get("GAN_CRAWLER_LOG_LEVEL", "INFO")
