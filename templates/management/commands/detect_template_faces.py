"""`manage.py detect_template_faces [--all | ID...]`: detect faces again and propose roles."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from templates import services
from templates.models import Template


class Command(BaseCommand):
    help = (
        "Detect the faces in templates' pictures again (faces marked by hand are kept) and propose the "
        "husband and wife. An active template left without both roles is archived."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("ids", nargs="*", type=int, metavar="ID", help="Template ids.")
        parser.add_argument("--all", action="store_true", help="Every template.")

    def handle(self, *args: Any, ids: list[int], all: bool, **options: Any) -> None:
        if all == bool(ids):
            raise CommandError("Give template ids, or --all (not both).")
        templates = Template.objects.select_related("image").order_by("pk")
        if not all:
            templates = templates.filter(pk__in=ids)
            missing = sorted(set(ids) - set(templates.values_list("pk", flat=True)))
            if missing:
                raise CommandError(f"No template with id {', '.join(map(str, missing))}.")
        count = 0
        for template in templates.iterator(chunk_size=100):
            was_active = template.is_active
            services.template_detect_faces(template=template)
            count += 1
            faces = f"{template.face_count} face{'s' if template.face_count != 1 else ''}"
            problems = template.activation_problems()
            if not problems:
                self.stdout.write(f"#{template.pk} “{template.title}”: {faces}, husband and wife set")
            else:
                archived = "; archived" if was_active and not template.is_active else ""
                self.stdout.write(
                    self.style.WARNING(f"#{template.pk} “{template.title}”: {faces}{archived}: {' '.join(problems)}")
                )
        self.stdout.write(f"{count} template{'s' if count != 1 else ''} done.")
