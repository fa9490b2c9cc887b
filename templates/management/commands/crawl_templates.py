"""`manage.py crawl_templates --source danbooru|pixiv|custom --query "..." [--filters JSON] [--limit N] [--sync]`."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from templates import crawl_services
from templates.models import CrawlTask


class Command(BaseCommand):
    help = (
        "Collect candidate couple pictures from Danbooru, pixiv or custom URLs/a folder into the admin's review "
        "queue (inactive templates). Queued on the crawl queue, or run here with --sync, which prints one line "
        "per candidate and the totals."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--source", required=True, choices=CrawlTask.SourceType.values)
        parser.add_argument(
            "--query", required=True, help="Tags (Danbooru, pixiv), or picture URLs one per line / a folder (custom)."
        )
        parser.add_argument(
            "--filters",
            default="",
            help='JSON, e.g. \'{"min_width": 1200, "extra_tags": ["couple"], "exclude_tags": ["text"]}\'.',
        )
        parser.add_argument("--limit", type=int, help="Stop after this many new templates (default CRAWL_MAX_IMAGES).")
        parser.add_argument("--sync", action="store_true", help="Run here and now instead of on the crawl queue.")

    def handle(
        self, *args: Any, source: str, query: str, filters: str, limit: int | None, sync: bool, **options: Any
    ) -> None:
        try:
            parsed = json.loads(filters) if filters.strip() else {}
        except ValueError as exc:
            raise CommandError(f"--filters is not valid JSON: {exc}") from exc
        try:
            crawl = crawl_services.crawl_create(source_type=source, search_query=query, filters=parsed, limit=limit)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        if not sync:
            if crawl_services.crawl_enqueue(crawl_id=crawl.pk):
                self.stdout.write(f"crawl #{crawl.pk} queued on the crawl queue; follow it in the admin's crawl tasks")
                return
            raise CommandError(f"crawl #{crawl.pk} could not be queued (is Redis up?); run it with --sync")
        crawl = crawl_services.crawl_run(crawl_id=crawl.pk, echo=self.stdout.write)
        if crawl is not None and crawl.status == CrawlTask.Status.FAILED:
            raise CommandError(crawl.error_message or "the crawl failed")
