import re
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError, CommandParser

from swaps.services import swaps_requeue_stuck

UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_duration(text: str) -> timedelta:
    match = re.fullmatch(r"(\d+)([smhd])", text.strip())
    if not match:
        raise CommandError(f"--older-than takes a number and a unit (s, m, h or d), e.g. 10m; not {text!r}.")
    return timedelta(**{UNITS[match.group(2)]: int(match.group(1))})


class Command(BaseCommand):
    help = (
        "Fail swap tasks whose worker is gone (still 'processing') and queue again pending tasks that never "
        "reached the queue. Safe to run from cron."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            default="10m",
            help="Age after which a processing task is failed in any case and a pending one is checked "
            "(default 10m; longer than SWAP_JOB_TIMEOUT).",
        )

    def handle(self, *args, **options) -> None:
        counts = swaps_requeue_stuck(older_than=parse_duration(options["older_than"]))
        self.stdout.write(
            f"failed {counts['failed']} abandoned task(s), queued {counts['requeued']} pending task(s) again, "
            f"left {counts['left']} that are still being worked on or waiting"
        )
