from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from gallery.services import image_purge_expired


class Command(BaseCommand):
    help = (
        "Delete people's source photos older than N days (default UPLOAD_RETENTION_DAYS) that no pending or "
        "processing swap uses, files included. Swap results are kept. Safe to run daily from cron."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help=f"age in days (default: UPLOAD_RETENTION_DAYS, now {settings.UPLOAD_RETENTION_DAYS})",
        )
        parser.add_argument("--dry-run", action="store_true", help="only count what would be deleted")

    def handle(self, *args, days=None, dry_run=False, **options):
        if days is not None and days < 0:
            raise CommandError("--days must be 0 or more.")
        days = settings.UPLOAD_RETENTION_DAYS if days is None else days
        result = image_purge_expired(days=days, dry_run=dry_run)
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(
            f"{verb} {result.deleted} source photo(s) older than {days} day(s) ({result.files} file(s)); "
            f"kept {result.kept_in_use} still used by a pending or processing swap."
        )
