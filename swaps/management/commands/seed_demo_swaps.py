"""`manage.py seed_demo_swaps`: the demo account's two photos and one finished swap (run by seed_demo)."""

from __future__ import annotations

import io
import time
from importlib import resources
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError

from swaps import services
from swaps.models import FaceSwapTask
from templates.models import Template

DEMO_USERNAME = "demo"
# Two people of insightface's sample picture t1.jpg (shipped inside the package), cut out as portraits:
# (file name, crop box). Each crop holds one face of about 110-125 pixels, looking at the camera.
DEMO_PHOTOS = {
    "husband": ("demo-you.jpg", (390, 190, 640, 540)),
    "wife": ("demo-partner.jpg", (10, 180, 230, 490)),
}
# The demo swap goes into this seed_demo template (other people than those in the photos).
DEMO_SWAP_TEMPLATE = "Table for two"


def _portrait(box: tuple[int, int, int, int]) -> bytes:
    from PIL import Image

    source = resources.files("insightface") / "data" / "images" / "t1.jpg"
    with Image.open(str(source)) as picture:
        buffer = io.BytesIO()
        picture.convert("RGB").crop(box).save(buffer, "JPEG", quality=92)
    return buffer.getvalue()


class Command(BaseCommand):
    help = "Give the demo account two photos (from a packaged picture) and one finished swap. Idempotent."

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=DEMO_USERNAME).first()
        if user is None:
            raise CommandError("There is no demo user yet: run `manage.py seed_demo` first.")
        photos = {}
        for role, (name, box) in DEMO_PHOTOS.items():
            upload = SimpleUploadedFile(name, _portrait(box), "image/jpeg")
            # The same bytes again give back the photo stored by an earlier run.
            image, check = services.swap_photo_prepare(user=user, person=services.PersonPhoto(upload=upload), role=role)
            if image is None:
                raise CommandError(f"The demo photo {name} was refused: {check.message}")
            photos[role] = image
        if FaceSwapTask.objects.filter(user=user, status=FaceSwapTask.Status.COMPLETED).exists():
            self.stdout.write("seed_demo_swaps: the demo account already has its photos and a finished swap.")
            return
        template = Template.objects.filter(title=DEMO_SWAP_TEMPLATE, is_active=True).first()
        if template is None:
            raise CommandError(f"The demo template “{DEMO_SWAP_TEMPLATE}” is missing: run `manage.py seed_demo`.")
        task = services.swap_create(
            user=user, template=template, husband_image=photos["husband"], wife_image=photos["wife"]
        )
        # Made here and now; if a running worker claimed it first, wait for that worker instead.
        services.swap_run(task_id=task.pk)
        deadline = time.monotonic() + 120
        task.refresh_from_db()
        while not task.is_finished and time.monotonic() < deadline:
            time.sleep(0.2)
            task.refresh_from_db()
        if task.status != FaceSwapTask.Status.COMPLETED:
            raise CommandError(f"The demo swap did not finish: {task.error_message or task.status}")
        self.stdout.write(f"seed_demo_swaps: the demo account has two photos and a finished swap (“{template.title}”).")
