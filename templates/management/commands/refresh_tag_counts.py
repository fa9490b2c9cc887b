"""Recount every tag chip's templates (after a bulk load straight into the tables, which sends no signals)."""

from django.core.management.base import BaseCommand

from templates.tag_counts import tag_counts_refresh


class Command(BaseCommand):
    help = "Recount how many active templates carry each tag (the gallery's tag chips)."

    def handle(self, *args, **options):
        tag_counts_refresh()
        self.stdout.write("Tag counts recounted.")
