"""`manage.py fail_stuck_crawls [--older-than 2h]`: the crawl queue's requeue_stuck_tasks."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jobs import parse_duration
from templates.crawl_services import crawls_fail_stuck


class Command(BaseCommand):
    help = (
        "Fail crawls whose worker is gone (still 'processing'), so they can be run again without duplicates, "
        "and queue again pending crawls that never reached the queue. Safe to run from cron; crawl workers "
        "also run it when they start."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            help="Fail processing crawls started longer ago than this in any case (default "
            "CRAWL_JOB_TIMEOUT plus a minute), e.g. 90m.",
        )

    def handle(self, *args: Any, older_than: str | None, **options: Any) -> None:
        try:
            duration = parse_duration(older_than) if older_than else None
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        counts = crawls_fail_stuck(older_than=duration)
        self.stdout.write(
            f"failed {counts['failed']} abandoned crawl(s), queued {counts['requeued']} pending crawl(s) again, "
            f"left {counts['left']} that are still running or waiting"
        )
