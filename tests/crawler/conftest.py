"""Fixtures for the crawler tests: a fresh local fixture server per test."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
from crawler_helpers import CRAWLER_DIR, FixtureServer

# Unit tests import the Scrapy project package directly.
if str(CRAWLER_DIR) not in sys.path:
    sys.path.insert(0, str(CRAWLER_DIR))


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with FixtureServer() as srv:
        yield srv
