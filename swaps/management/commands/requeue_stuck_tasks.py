from django.core.management.base import BaseCommand, CommandError, CommandParser

from jobs import parse_duration
from swaps.services import consents_expire, swaps_requeue_stuck


class Command(BaseCommand):
    help = (
        "Fail swap tasks whose worker is gone (still 'processing') and queue again pending tasks that never "
        "reached the queue; end the swaps whose partner invitation expired unanswered (their unagreed photo "
        "deleted, the holder told). Safe to run from cron."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            default="10m",
            help="Age after which a processing task is failed in any case and a pending one is checked "
            "(default 10m; longer than SWAP_JOB_TIMEOUT).",
        )

    def handle(self, *args, **options) -> None:
        try:
            older_than = parse_duration(options["older_than"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        counts = swaps_requeue_stuck(older_than=older_than)
        expired = consents_expire()
        self.stdout.write(
            f"failed {counts['failed']} abandoned task(s), queued {counts['requeued']} pending task(s) again, "
            f"left {counts['left']} that are still being worked on or waiting; "
            f"{expired['expired']} partner invitation(s) expired unanswered, {expired['ended']} swap(s) ended, "
            f"{expired['photos']} unagreed photo(s) deleted"
        )
