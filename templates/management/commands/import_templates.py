"""`manage.py import_templates DIR [--category C] [--activate]`: every picture in a folder becomes a template."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError, CommandParser

from gallery.models import Category
from templates import services
from templates.sidecar import SIDECAR_KEYS, SIDECARS, SidecarError, read_sidecar, sidecar_tags, title_from_filename

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Import every picture in DIR as a template (inactive unless --activate). An optional sidecar "
        "DIR/templates.json or DIR/templates.csv gives title, artist, source_url, tags, category per file. "
        "The same picture twice is skipped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path)
        parser.add_argument("--category", choices=Category.values, help="Category for files the sidecar leaves out.")
        parser.add_argument(
            "--activate", action="store_true", help="Activate each template whose husband and wife faces are found."
        )

    def handle(self, *args: Any, directory: Path, category: str | None, activate: bool, **options: Any) -> None:
        if not directory.is_dir():
            raise CommandError(f"{directory} is not a folder.")
        try:
            details = read_sidecar(directory)
        except SidecarError as exc:
            raise CommandError(str(exc)) from exc
        files = sorted(
            p for p in directory.iterdir() if p.is_file() and p.name not in SIDECARS and not p.name.startswith(".")
        )
        for name in sorted(set(details) - {p.name for p in files}):
            self.stderr.write(self.style.WARNING(f"warning  the sidecar names {name}, which is not in {directory}"))
        created = skipped = failed = 0
        for path in files:
            info = details.get(path.name, {})
            unknown = sorted(set(info) - SIDECAR_KEYS)
            if unknown:
                self.stderr.write(
                    self.style.WARNING(f"warning  {path.name}: unknown sidecar keys {', '.join(unknown)}")
                )
            try:
                with path.open("rb") as fp:
                    template = services.template_create(
                        image_file=File(fp, name=path.name),
                        title=str(info.get("title") or title_from_filename(path)),
                        category=info.get("category") or category or Category.CUSTOM,
                        artist=info.get("artist"),
                        source_url=info.get("source_url"),
                        description=info.get("description"),
                        tags=sidecar_tags(info.get("tags")),
                    )
            except services.TemplateDuplicateError as exc:
                skipped += 1
                existing = exc.existing
                self.stdout.write(f"skipped  {path.name}: same picture as template #{existing.pk} “{existing.title}”")
                continue
            except ValidationError as exc:
                failed += 1
                self.stdout.write(self.style.ERROR(f"failed   {path.name}: {' '.join(exc.messages)}"))
                continue
            except Exception as exc:  # one bad file must not stop the batch; the traceback goes to the log
                failed += 1
                logger.exception("import_templates: %s", path)
                self.stdout.write(self.style.ERROR(f"failed   {path.name}: unexpected error: {exc}"))
                continue
            created += 1
            state = self._state(template, activate)
            self.stdout.write(self.style.SUCCESS(f"created  {path.name} → #{template.pk} “{template.title}”: ") + state)
        self.stdout.write(f"{created} created, {skipped} skipped, {failed} failed.")

    def _state(self, template: Any, activate: bool) -> str:
        faces = f"{template.face_count} face{'s' if template.face_count != 1 else ''}"
        problems = template.activation_problems()
        if problems:
            return f"{faces}; inactive: {' '.join(problems)}"
        if activate:
            services.template_activate(template=template)
            return f"{faces}, husband and wife proposed; active"
        return f"{faces}, husband and wife proposed; inactive (activate it in the admin)"
