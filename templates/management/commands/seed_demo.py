"""`manage.py seed_demo`: demo templates and a demo user for a local run; running it again adds nothing."""

from __future__ import annotations

import io
from importlib import resources
from pathlib import Path
from typing import Any

from allauth.account.models import EmailAddress
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from PIL import Image

from gallery.models import Category
from templates import services
from templates.models import Template

# Stated in README.md; for local runs only.
DEMO_USERNAME = "demo"
DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "couple-demo-2024"

SOURCE_URL = "https://github.com/deepinsight/insightface/tree/master/python-package/insightface/data/images"
ARTIST = "insightface"

# No picture shipped in the installed packages is 1000 px on its short side and shows a couple (t1.jpg is
# the largest; scikit-image's pictures with a face are 512 px), so the demo templates are crops at the
# picture's own resolution, and the site shows templates and results at their own size, never stretched.
# Crops of insightface's t1.jpg (1280x886, six people around a poker table), each a man and a woman
# facing the camera (the woman behind the man in the middle of the picture is turned about 55 degrees,
# too far for a convincing swap: she stays in the first crop without a role).
# roles: the role of each face from left to right in the crop (None: the face stays as it is).
DEMO_TEMPLATES = [
    {
        "title": "Across the table",
        "crop": (20, 170, 660, 650),
        "roles": ("wife", None, "husband"),
        "description": "She studies her cards; he grins across the table as if he already knows her hand.",
        "tags": ["poker night", "sitcom", "90s", "playful"],
    },
    {
        "title": "Winning hand",
        "crop": (690, 230, 1280, 700),
        "roles": ("husband", "wife"),
        "description": "Laughing across the poker table, chips in hand and cards held close.",
        "tags": ["poker night", "sitcom", "laughing"],
    },
    {
        "title": "Table for two",
        "crop": (875, 20, 1280, 520),
        "roles": ("husband", "wife"),
        "description": "He stands behind her chair and watches the game while she smiles at her cards.",
        "tags": ["poker night", "sitcom", "90s", "sweet"],
    },
]


def demo_source_picture() -> Path:
    """insightface's own sample picture t1.jpg, found through the installed package."""
    try:
        source = resources.files("insightface") / "data" / "images" / "t1.jpg"
    except ModuleNotFoundError as exc:
        raise CommandError("The insightface package is not installed; its t1.jpg is the demo's source.") from exc
    if not source.is_file():
        raise CommandError(f"insightface's sample picture is missing: {source}")
    return Path(str(source))


def _crop_jpeg(source: Path, box: tuple[int, int, int, int]) -> bytes:
    with Image.open(source) as picture:
        buffer = io.BytesIO()
        picture.convert("RGB").crop(box).save(buffer, "JPEG", quality=92)
    return buffer.getvalue()


class Command(BaseCommand):
    help = (
        "Create demo content for a local run: couple templates cropped from insightface's sample picture "
        f"(roles set, active) and a demo user ({DEMO_USERNAME} / {DEMO_PASSWORD}). Idempotent."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--allow-demo-user",
            action="store_true",
            help="Create the demo user even with DEBUG=False (its password is public: never on a real site).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # The demo password is printed here and in the README: on a public site it is anyone's account.
        allow_user = settings.DEBUG or options["allow_demo_user"]
        created_user = self._demo_user() if allow_user else False
        source = demo_source_picture()
        created = 0
        for spec in DEMO_TEMPLATES:
            if Template.objects.filter(title=spec["title"]).exists():
                continue
            if self._demo_template(source, spec):
                created += 1
        templates_note = f"seed_demo: {created} demo template{'s' if created != 1 else ''} created"
        if not allow_user:
            self.stderr.write(
                f"{templates_note}; the demo user was NOT created: DEBUG is False and its password is public. "
                "Pass --allow-demo-user to create it anyway (never on a site others can reach)."
            )
            return
        user_note = "the demo user created" if created_user else "the demo user already there"
        self.stdout.write(f"{templates_note}, {user_note} (log in as {DEMO_USERNAME} / {DEMO_PASSWORD}).")
        # The demo account's photos and finished swap are the swaps app's to make (this app imports none
        # of it): by command name, when that app is installed.
        if apps.is_installed("swaps"):
            call_command("seed_demo_swaps", stdout=self.stdout)

    def _demo_user(self) -> bool:
        User = get_user_model()
        if User.objects.filter(username=DEMO_USERNAME).exists():
            return False
        with transaction.atomic():
            user = User.objects.create_user(username=DEMO_USERNAME, email=DEMO_EMAIL, password=DEMO_PASSWORD)
            EmailAddress.objects.create(user=user, email=DEMO_EMAIL, primary=True, verified=True)
        return True

    def _demo_template(self, source: Path, spec: dict[str, Any]) -> bool:
        upload = SimpleUploadedFile(
            f"demo-{spec['crop'][0]}-{spec['crop'][1]}.jpg", _crop_jpeg(source, spec["crop"]), "image/jpeg"
        )
        try:
            template = services.template_create(
                image_file=upload,
                title=spec["title"],
                category=Category.TV,
                artist=ARTIST,
                source_url=SOURCE_URL,
                description=spec["description"],
                tags=spec["tags"],
            )
        except services.TemplateDuplicateError:
            return False  # the same crop is already a template under another title
        faces = template.face_positions
        if len(faces) != len(spec["roles"]):
            raise CommandError(
                f"Demo template “{spec['title']}”: expected {len(spec['roles'])} faces in the crop, "
                f"the detector found {len(faces)}."
            )
        # The detector proposes the husband on the left; these crops know who is who.
        by_x = sorted(range(len(faces)), key=lambda i: faces[i]["box"][0] + faces[i]["box"][2])
        roles: list[str | None] = [None] * len(faces)
        for index, role in zip(by_x, spec["roles"], strict=True):
            roles[index] = role
        services.template_set_roles(template=template, roles=roles)
        services.template_activate(template=template)
        return True
