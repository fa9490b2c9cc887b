"""pixiv, through pixivpy3's AppPixivAPI (search by tag, refresh-token login).

pixivpy3 rather than gallery-dl: it is a library whose calls return the app API's JSON as it is, its
`requests` session can be replaced by ours (so timeouts, retries, the polite delay, the User-Agent and the
address guard apply to pixiv too) and its API host can be pointed at a local server of recorded
responses in tests. gallery-dl is a command-line program driven by a global config, with its own HTTP
layer and pixiv's hosts written into it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.conf import settings

from .base import Candidate, CrawlFailed, CrawlFilters
from .http import CrawlSession

NO_TOKEN = "pixiv needs a refresh token (PIXIV_REFRESH_TOKEN)"
DEFAULT_API = "https://app-api.pixiv.net"
# pixiv's image host answers 403 without the app's Referer.
REFERER = {"Referer": "https://app-api.pixiv.net/"}
MAX_PAGES = 100


def _rating(illust: dict) -> str:
    """pixiv's age flags in Danbooru's letters, so one rating rule covers both sources."""
    if (illust.get("x_restrict") or 0) > 0:
        return "e"
    sanity = illust.get("sanity_level") or 0
    return "q" if sanity >= 6 else "s" if sanity >= 4 else "g"


def _tags(illust: dict) -> tuple[str, ...]:
    names: list[str] = []
    for tag in illust.get("tags") or []:
        for key in ("name", "translated_name"):
            if isinstance(tag, dict) and tag.get(key):
                names.append("_".join(str(tag[key]).split()))
    return tuple(dict.fromkeys(names))


def _original_url(illust: dict) -> str:
    single = (illust.get("meta_single_page") or {}).get("original_image_url")
    if single:
        return single
    pages = illust.get("meta_pages") or []
    return ((pages[0].get("image_urls") or {}).get("original") or "") if pages else ""


class PixivCrawler:
    source = "pixiv"
    category = "acg"
    detect_faces = False

    def __init__(self, session: CrawlSession) -> None:
        if not settings.PIXIV_REFRESH_TOKEN:
            raise CrawlFailed(NO_TOKEN)
        self.session = session

    def _api(self) -> Any:
        from pixivpy3 import AppPixivAPI, PixivError

        api = AppPixivAPI()
        api.requests = self.session
        if settings.PIXIV_API_URL.rstrip("/") != DEFAULT_API:
            api.set_api_proxy(settings.PIXIV_API_URL.rstrip("/"))
        try:
            api.auth(refresh_token=settings.PIXIV_REFRESH_TOKEN)
        except PixivError as exc:
            raise CrawlFailed(f"pixiv refused the refresh token (PIXIV_REFRESH_TOKEN): {_first_line(exc)}") from exc
        return api

    def search(self, query: str, filters: CrawlFilters) -> Iterator[Candidate]:
        from pixivpy3 import PixivError

        api = self._api()
        words = " ".join([query.strip(), *filters.extra_tags])
        params: dict[str, Any] | None = {"word": words, "search_target": "partial_match_for_tags", "sort": "date_desc"}
        for _ in range(MAX_PAGES):
            if not params:
                return
            try:
                result = api.search_illust(**params)
            except PixivError as exc:
                raise CrawlFailed(f"The pixiv search failed: {_first_line(exc)}") from exc
            if result.get("error"):
                error = result["error"]
                message = error.get("user_message") or error.get("message") if isinstance(error, dict) else error
                raise CrawlFailed(f"The pixiv search failed: {message}")
            for illust in result.get("illusts") or []:
                yield self.candidate(illust)
            params = api.parse_qs(result.get("next_url"))

    def candidate(self, illust: dict) -> Candidate:
        refused = None
        if illust.get("type") == "ugoira":
            refused = "an animation (ugoira), not a still picture"
        url = _original_url(illust)
        if not url and not refused:
            refused = "pixiv gave no original picture URL"
        user = illust.get("user") or {}
        return Candidate(
            image_url=url,
            source_id=f"pixiv:{illust.get('id')}",
            page_url=f"https://www.pixiv.net/artworks/{illust.get('id')}",
            title=(illust.get("title") or f"pixiv #{illust.get('id')}")[:255],
            artist=(user.get("name") or None),
            tags=_tags(illust),
            rating=_rating(illust),
            width=illust.get("width"),
            height=illust.get("height"),
            headers=dict(REFERER),
            refused=refused,
        )


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
