"""Custom sources: picture URLs, one per line of the search query, or a folder on the server."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

from ..sidecar import SIDECARS, SidecarError, read_sidecar, sidecar_tags, title_from_filename
from .base import Candidate, CrawlFailed, CrawlFilters
from .http import CrawlSession

PICTURE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}


def _folder_allowed(folder: Path) -> bool:
    """Folders only under CRAWL_FOLDER_ROOTS: a crawl task must not read arbitrary files of the server."""
    resolved = folder.resolve()
    return any(resolved.is_relative_to(Path(root).resolve()) for root in settings.CRAWL_FOLDER_ROOTS)


class CustomCrawler:
    source = "custom"
    category = "custom"
    detect_faces = True  # custom pictures are mostly photos: the detector proposes the couple

    def __init__(self, session: CrawlSession) -> None:
        self.session = session

    def search(self, query: str, filters: CrawlFilters) -> Iterator[Candidate]:
        lines = [line.strip() for line in query.splitlines() if line.strip() and not line.strip().startswith("#")]
        if len(lines) == 1 and not lines[0].lower().startswith(("http://", "https://")):
            yield from self._folder(Path(lines[0]))
            return
        for url in lines:
            yield Candidate(
                image_url=url,
                source_id=f"url:{hashlib.sha256(url.encode()).hexdigest()[:32]}",
                page_url=url[:500],
                title=None,
            )

    def _folder(self, folder: Path) -> Iterator[Candidate]:
        if not folder.is_absolute() or not folder.is_dir():
            raise CrawlFailed(f"{folder} is neither a picture URL (http/https) nor a folder on the server.")
        if not _folder_allowed(folder):
            raise CrawlFailed(f"{folder} is not under a folder listed in CRAWL_FOLDER_ROOTS.")
        try:
            details = read_sidecar(folder)
        except SidecarError as exc:
            raise CrawlFailed(str(exc)) from exc
        for path in sorted(folder.iterdir()):
            if not path.is_file() or path.name in SIDECARS or path.name.startswith("."):
                continue
            info = details.get(path.name, {})
            usable = path.suffix.lower() in PICTURE_SUFFIXES
            yield Candidate(
                image_url=path.as_uri(),
                source_id=f"file:{path}",
                page_url=str(info.get("source_url") or "") or None,
                title=str(info.get("title") or title_from_filename(path)),
                artist=str(info.get("artist") or "") or None,
                tags=tuple(sidecar_tags(info.get("tags"))),
                path=path,
                refused=None if usable else f"{path.suffix or 'no'} suffix, not a picture",
            )
