"""Danbooru: its public JSON API, `/posts.json?tags=...&limit=...&page=...`, page after page."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from django.conf import settings

from .base import Candidate, CrawlFailed, CrawlFilters, CrawlRefused
from .http import CrawlSession
from .jsonitems import MalformedItem

logger = logging.getLogger(__name__)

PER_PAGE = 100
MAX_PAGES = 1000  # Danbooru's own limit for numbered pages
PICTURE_EXTENSIONS = {"jpg", "jpeg", "png", "webp"}
TITLE_CHARACTERS = 2


def _words(value: Any) -> list[str]:
    return value.split() if isinstance(value, str) else []


def _pretty(tag: str) -> str:
    # "hatsune_miku_(append)" -> "hatsune miku (append)"
    return tag.replace("_", " ").strip()


def _title(post: dict, characters: list[str], copyrights: list[str]) -> str:
    names = " & ".join(_pretty(tag) for tag in characters[:TITLE_CHARACTERS])
    if len(characters) > TITLE_CHARACTERS:
        names += " and others"
    work = _pretty(copyrights[0]) if copyrights else ""
    if names and work:
        return f"{names} ({work})"[:255]
    return (names or work or f"Danbooru #{post.get('id')}")[:255]


class DanbooruCrawler:
    source = "danbooru"
    category = "acg"
    detect_faces = False  # drawn art: the photo face detector finds nothing useful there

    def __init__(self, session: CrawlSession) -> None:
        self.session = session
        self.base_url = settings.DANBOORU_URL.rstrip("/")
        login, key = settings.DANBOORU_LOGIN, settings.DANBOORU_API_KEY
        self.auth = (login, key) if login and key else None

    def search(self, query: str, filters: CrawlFilters) -> Iterator[Candidate]:
        ratings = filters.ratings or tuple(settings.CRAWL_RATINGS)
        tags = [*query.split(), *filters.extra_tags, *(f"-{tag}" for tag in filters.exclude_tags)]
        if len(ratings) == 1:
            # Asking for the one rating wanted saves pages of pictures we would only filter out.
            tags.append(f"rating:{ratings[0]}")
        for page in range(1, MAX_PAGES + 1):
            params = {"tags": " ".join(tags), "limit": PER_PAGE, "page": page}
            try:
                _, posts = self.session.fetch_json(
                    f"{self.base_url}/posts.json",
                    what="The Danbooru search",
                    array_items=True,
                    params=params,
                    auth=self.auth,
                )
            except CrawlRefused as exc:
                raise CrawlFailed(str(exc)) from exc
            if not isinstance(posts, list):
                raise CrawlFailed("The Danbooru search did not answer with a list of posts.")
            if not posts:
                return
            for number, post in enumerate(posts, 1):
                yield self.candidate_or_refusal(post, page=page, number=number)

    def candidate_or_refusal(self, post: Any, *, page: int, number: int) -> Candidate:
        """The post's candidate; one that cannot be read is refused alone, with the reason."""
        where = f"{self.base_url}/posts.json?page={page} (post {number})"
        if isinstance(post, MalformedItem):
            return Candidate(image_url="", source_id=f"danbooru:?{page}.{number}", page_url=where, refused=post.reason)
        post_id = post.get("id") if isinstance(post, dict) else None
        if isinstance(post_id, bool) or not isinstance(post_id, int | str) or not str(post_id).isdigit():
            reason = "the post has no id" if isinstance(post, dict) else "the post is not a JSON object"
            return Candidate(image_url="", source_id=f"danbooru:?{page}.{number}", page_url=where, refused=reason)
        try:
            return self.candidate(post)
        except (TypeError, ValueError, AttributeError, KeyError) as exc:
            logger.info("Danbooru post %s could not be read: %r", post_id, exc)
            return Candidate(
                image_url="",
                source_id=f"danbooru:{post_id}",
                page_url=f"{self.base_url}/posts/{post_id}",
                refused=f"the post could not be read ({type(exc).__name__})",
            )

    def candidate(self, post: dict) -> Candidate:
        characters = _words(post.get("tag_string_character"))
        copyrights = _words(post.get("tag_string_copyright"))
        general = _words(post.get("tag_string_general"))
        artists = _words(post.get("tag_string_artist"))
        file_url = post.get("file_url") or ""
        refused = None
        if not isinstance(file_url, str):
            refused, file_url = "the post's file URL is not a text", ""
        ext = str(post.get("file_ext") or file_url.rsplit(".", 1)[-1]).lower()
        if refused:
            pass
        elif not file_url:
            refused = "the post has no file URL (deleted, or restricted to logged-in accounts)"
        elif ext not in PICTURE_EXTENSIONS:
            refused = f"{ext} files are not still pictures we can use"
        width, height = post.get("image_width"), post.get("image_height")
        return Candidate(
            image_url=file_url,
            source_id=f"danbooru:{post['id']}",
            page_url=f"{self.base_url}/posts/{post['id']}",
            title=_title(post, characters, copyrights),
            artist=", ".join(_pretty(artist) for artist in artists)[:255] or None,
            tags=tuple(dict.fromkeys([*characters, *copyrights, *general])),
            rating=post.get("rating") if isinstance(post.get("rating"), str) else None,
            width=width if isinstance(width, int) else None,
            height=height if isinstance(height, int) else None,
            md5=post["md5"].lower() if isinstance(post.get("md5"), str) and post["md5"] else None,
            refused=refused,
        )
