"""Template crawlers: one module per source behind one small interface (see `base.Crawler`).

`get_crawler(source, session=...)` gives the crawler for a CrawlTask's source_type; every request goes
through the `http.CrawlSession` it is given.
"""

from __future__ import annotations

from .base import Candidate, Crawler, CrawlFailed, CrawlFilters, CrawlRefused
from .custom import CustomCrawler
from .danbooru import DanbooruCrawler
from .http import CrawlSession
from .pixiv import PixivCrawler

__all__ = ["Candidate", "CrawlFailed", "CrawlFilters", "CrawlRefused", "CrawlSession", "Crawler", "get_crawler"]


def get_crawler(source: str, *, session: CrawlSession) -> Crawler:
    """The crawler for a source type; CrawlFailed for an unknown one or one that cannot start (no token)."""
    crawlers: dict[str, type] = {"danbooru": DanbooruCrawler, "pixiv": PixivCrawler, "custom": CustomCrawler}
    if source not in crawlers:
        raise CrawlFailed(f"Unknown source {source!r}; use danbooru, pixiv or custom.")
    return crawlers[source](session)
