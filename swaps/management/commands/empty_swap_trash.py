from django.core.management.base import BaseCommand, CommandParser

from swaps.services import TRASH_DAYS, swaps_empty_trash


class Command(BaseCommand):
    help = "Delete for good the swaps people deleted more than --days ago (and their results). Safe from cron."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=TRASH_DAYS, help=f"Days in the trash (default {TRASH_DAYS}).")

    def handle(self, *args, **options) -> None:
        count = swaps_empty_trash(days=options["days"])
        self.stdout.write(f"deleted {count} swap(s) from the trash for good")
