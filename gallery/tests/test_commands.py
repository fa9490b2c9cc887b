"""purge_expired_uploads: old source photos go (files too) unless a waiting swap needs them; results stay."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from gallery.models import Image, ImageType
from swaps.models import FaceSwapTask
from testing import cast as f
from testing.cast import stored_files, user_create

pytestmark = pytest.mark.django_db


def age(image, days):
    Image.objects.filter(pk=image.pk).update(uploaded_at=timezone.now() - timedelta(days=days))


def test_purge_keeps_photos_a_waiting_swap_uses(settings, django_capture_on_commit_callbacks):
    settings.UPLOAD_RETENTION_DAYS = 30
    user = user_create()
    old_unused = f.stored_image(owner=user, name="old.jpg")
    old_pending = f.stored_image(owner=user, name="pending.jpg")
    old_processing = f.stored_image(owner=user, name="processing.jpg")
    old_done = f.stored_image(owner=user, name="done.jpg")
    recent = f.stored_image(owner=user, name="recent.jpg")
    old_result = f.stored_image(owner=user, image_type=ImageType.RESULT, name="result.jpg")
    for image in (old_unused, old_pending, old_processing, old_done, old_result):
        age(image, 40)
    age(recent, 5)
    FaceSwapTask.objects.create(user=user, husband_image=old_pending, status=FaceSwapTask.Status.PENDING)
    FaceSwapTask.objects.create(user=user, wife_image=old_processing, status=FaceSwapTask.Status.PROCESSING)
    done = FaceSwapTask.objects.create(
        user=user, husband_image=old_done, result_image=old_result, status=FaceSwapTask.Status.COMPLETED
    )

    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("purge_expired_uploads", stdout=out)

    assert "Deleted 2 source photo(s) older than 30 day(s) (4 file(s)); kept 2 still used" in out.getvalue()
    remaining = set(Image.objects.values_list("filename", flat=True))
    assert remaining == {"pending.jpg", "processing.jpg", "recent.jpg", "result.jpg"}
    done.refresh_from_db()
    assert done.husband_image is None and done.result_image_id == old_result.pk
    files = set(stored_files(settings))
    for gone in (old_unused, old_done):
        assert gone.file.name not in files and gone.thumbnail_key not in files
    for kept in (old_pending, old_processing, recent, old_result):
        assert kept.file.name in files and kept.thumbnail_key in files


def test_purge_days_option_and_dry_run(settings):
    user = user_create()
    photo = f.stored_image(owner=user)
    age(photo, 3)
    out = StringIO()
    call_command("purge_expired_uploads", "--days", "2", "--dry-run", stdout=out)
    assert "Would delete 1 source photo(s) older than 2 day(s)" in out.getvalue()
    assert Image.objects.filter(pk=photo.pk).exists()
    call_command("purge_expired_uploads", "--days", "7", stdout=out)
    assert Image.objects.filter(pk=photo.pk).exists()
