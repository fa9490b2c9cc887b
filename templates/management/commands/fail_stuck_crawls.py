"""`manage.py fail_stuck_crawls [--older-than 2h]`: the crawl queue's requeue_stuck_tasks."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from templates.crawl_services import crawls_fail_stuck

UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


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
        duration = None
        if older_than:
            match = re.fullmatch(r"(\d+)([smhd])", older_than.strip())
            if not match:
                raise CommandError(f"--older-than takes a number and a unit (s, m, h, d), e.g. 90m; not {older_than!r}")
            duration = timedelta(**{UNITS[match.group(2)]: int(match.group(1))})
        counts = crawls_fail_stuck(older_than=duration)
        self.stdout.write(
            f"failed {counts['failed']} abandoned crawl(s), queued {counts['requeued']} pending crawl(s) again, "
            f"left {counts['left']} that are still running or waiting"
        )
