"""`python manage.py verify_result FILE|URL`: is this picture one of ours, untouched? Exit 0 yes, 1 no."""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from swaps.provenance.verify import fetch_picture, task_for_mark, verify_bytes


class Command(BaseCommand):
    help = (
        "Print a result picture's C2PA manifest, whether its signature validates and whose invisible mark it "
        "carries. FILE is a path; a URL (a share link's picture) is downloaded. Exit code 0 only when the "
        "signature is valid, the manifest is this site's and the mark reads back."
    )

    def add_arguments(self, parser):
        parser.add_argument("picture", help="a file path or an http(s) URL")
        parser.add_argument("--quiet", action="store_true", help="print only the verdict lines, not the manifest")

    def handle(self, *args, picture: str, quiet: bool, **options):
        try:
            if picture.startswith(("http://", "https://")):
                data = fetch_picture(picture, max_bytes=settings.UPLOAD_MAX_BYTES)
            else:
                data = Path(picture).read_bytes()
        except (OSError, ValueError) as exc:
            raise CommandError(f"Could not read {picture}: {exc}") from exc
        result = verify_bytes(data)
        if result.manifest is not None and not quiet:
            self.stdout.write(json.dumps(result.manifest, indent=2, ensure_ascii=False))
        if result.manifest is not None:
            signer = (result.manifest.get("signature_info") or {}).get("common_name", "?")
            trust = "trusted signer" if result.state == "Trusted" else "signer not on the trust list"
            verdict = "signature valid" if result.signature_valid else "signature NOT valid"
            self.stdout.write(f"Manifest: {verdict} ({result.state}; signed by {signer}, {trust})")
            self.stdout.write(f"  made by this site: {'yes' if result.made_here else 'no'}")
            self.stdout.write(f"  edited: {result.edited_at or 'unknown'}; made from: {', '.join(result.ingredients)}")
        for problem in result.problems:
            self.stdout.write(f"Problem: {problem}")
        if result.mark is not None and result.mark.public_id:
            task = task_for_mark(result.mark.public_id)
            where = f" (swap #{task.pk}, {task.status})" if task else " (no such task here any more)"
            self.stdout.write(f"Mark: made by this site, task {result.mark.public_id}{where}")
        else:
            self.stdout.write("Mark: no mark found")
        if not result.valid:
            raise CommandError("NOT verified: " + ("; ".join(result.problems) or "no mark found"))
        self.stdout.write("Verified: signed by this site, unchanged, and marked.")
