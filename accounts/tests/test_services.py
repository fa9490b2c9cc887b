"""user_delete: an account goes with all its photos, swaps, results and files; other people's stay."""

import pytest

from accounts.models import User
from accounts.services import user_delete
from gallery.models import Image, ImageType
from swaps.models import FaceSwapTask
from testing import cast as f
from testing.cast import stored_files, user_create

pytestmark = pytest.mark.django_db


def make_history(user):
    husband = f.stored_image(owner=user, name="husband.jpg")
    wife = f.stored_image(owner=user, name="wife.jpg")
    result = f.stored_image(owner=user, image_type=ImageType.RESULT, name="result.jpg")
    FaceSwapTask.objects.create(
        user=user, husband_image=husband, wife_image=wife, result_image=result, status=FaceSwapTask.Status.COMPLETED
    )
    FaceSwapTask.objects.create(user=user, husband_image=husband, wife_image=wife)
    return [husband, wife, result]


def test_account_deletion_leaves_none_of_the_users_files(settings, django_capture_on_commit_callbacks):
    alice, bob = user_create(), user_create()
    alice_images = make_history(alice)
    bob_images = make_history(bob)
    template = f.stored_image(owner=None, image_type=ImageType.TEMPLATE)
    alice_keys = {key for image in alice_images for key in (image.file.name, image.thumbnail_key)}
    assert alice_keys <= set(stored_files(settings))

    with django_capture_on_commit_callbacks(execute=True):
        deleted = user_delete(user=alice)

    assert deleted == 3
    assert not User.objects.filter(username=alice.username).exists()
    assert not Image.objects.filter(pk__in=[image.pk for image in alice_images]).exists()
    assert not FaceSwapTask.objects.filter(user_id=alice.pk).exists()
    remaining = set(stored_files(settings))
    assert not (alice_keys & remaining), "none of Alice's pictures or thumbnails are left"
    bob_keys = {key for image in bob_images for key in (image.file.name, image.thumbnail_key)}
    assert remaining == bob_keys | {template.file.name, template.thumbnail_key}
    assert FaceSwapTask.objects.filter(user=bob).count() == 2


def test_files_stay_when_the_deletion_does_not_commit(settings):
    alice = user_create()
    make_history(alice)
    before = stored_files(settings)
    # Inside the test's transaction nothing commits, so the files must still be there.
    user_delete(user=alice)
    assert stored_files(settings) == before
