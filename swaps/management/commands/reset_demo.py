"""`manage.py reset_demo`: put seed_demo's shared demo account back as seed_demo made it (run it nightly)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from accounts.services import user_delete
from templates.management.commands.seed_demo import DEMO_USERNAME


class Command(BaseCommand):
    help = (
        f"Reset the shared demo account ({DEMO_USERNAME}): everything visitors made with it (swaps, results, "
        "albums, share links, photos, own templates, favourites) is deleted with its files, then seed_demo "
        "gives it back its public password, two photos and one finished swap. Run it nightly (cron)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=DEMO_USERNAME).first()
        if user is None:
            raise CommandError("There is no demo account to reset: run `manage.py seed_demo` first.")
        # The account goes with all it owns (files after the commit), as when a person deletes theirs; its
        # sessions end with it, so a visitor logged in as demo logs in again to the fresh one.
        images = user_delete(user=user)
        self.stdout.write(f"reset_demo: {DEMO_USERNAME} cleared ({images} pictures deleted).")
        call_command("seed_demo", allow_demo_user=True, stdout=self.stdout)
