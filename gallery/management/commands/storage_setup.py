"""`manage.py storage_setup`: prepare the S3 bucket (create it if missing, public read of templates only)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from gallery.models import Image
from gallery.storage import uses_object_store


class Command(BaseCommand):
    help = "Create the S3 bucket if missing and let anyone read template pictures (and nothing else)."

    def handle(self, *args: Any, **options: Any) -> None:
        storage = Image._meta.get_field("file").storage
        if not uses_object_store(storage):
            self.stdout.write("Local storage: nothing to set up.")
            return
        try:
            done = storage.setup_bucket()
        except Exception as exc:
            raise CommandError(f"Could not set up bucket {storage.bucket_name!r}: {exc}") from exc
        for line in done:
            self.stdout.write(line)
