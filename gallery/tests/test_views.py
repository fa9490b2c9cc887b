"""My photos and the media views: owners see their photos, nobody else does, bad uploads are explained."""

import io

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image as PILImage

from gallery.models import Image, ImageType
from swaps.models import FaceSwapTask
from testing import cast as f
from testing.cast import BAD_INPUTS, stored_files, user_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice():
    return user_create(username="alice")


@pytest.fixture
def bob():
    return user_create(username="bob")


@pytest.fixture
def alice_photo(alice):
    return f.stored_image(owner=alice, name="alice-beach.jpg", size=(800, 600))


def private_urls(image):
    return {
        "page": image.get_absolute_url(),
        "file": image.get_file_url(),
        "download": image.get_file_url(download=True),
        "thumbnail": image.get_thumbnail_url(),
        "delete": reverse("gallery:image_delete", args=[image.pk]),
    }


# --- Privacy -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["page", "file", "download", "thumbnail", "delete"])
def test_another_user_gets_404_for_my_photo(which, client, alice_photo, bob):
    client.force_login(bob)
    response = client.get(private_urls(alice_photo)[which])
    assert response.status_code == 404
    assert b"We could not find that page" in response.content


def test_another_user_cannot_delete_my_photo(client, alice_photo, bob, settings):
    client.force_login(bob)
    response = client.post(reverse("gallery:image_delete", args=[alice_photo.pk]))
    assert response.status_code == 404
    assert Image.objects.filter(pk=alice_photo.pk).exists()
    assert alice_photo.file.name in stored_files(settings)


def test_another_user_gets_404_for_my_swap_result(client, alice, bob):
    result = f.stored_image(owner=alice, image_type=ImageType.RESULT, name="result.jpg")
    client.force_login(bob)
    assert client.get(result.get_file_url()).status_code == 404
    assert client.get(result.get_thumbnail_url()).status_code == 404


def test_a_missing_photo_looks_the_same_as_someone_elses(client, alice_photo, bob):
    client.force_login(bob)
    missing = client.get(reverse("gallery:image_file", args=[alice_photo.pk + 1000]))
    other = client.get(alice_photo.get_file_url())
    assert missing.status_code == other.status_code == 404


@pytest.mark.parametrize("which", ["page", "file", "download", "thumbnail", "delete"])
def test_anonymous_visitors_are_sent_to_log_in(which, client, alice_photo):
    url = private_urls(alice_photo)[which]
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert "next=" in response["Location"]


def test_anonymous_cannot_probe_which_photo_ids_exist(client, alice_photo):
    existing = client.get(alice_photo.get_file_url())
    missing = client.get(reverse("gallery:image_file", args=[alice_photo.pk + 1000]))
    assert existing.status_code == missing.status_code == 302


def test_owner_gets_the_stored_file_with_private_cache_headers(client, alice, alice_photo):
    client.force_login(alice)
    response = client.get(alice_photo.get_file_url())
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    with default_storage.open(alice_photo.file.name, "rb") as fh:
        assert body == fh.read()
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"].startswith("private")
    assert "Cookie" in response["Vary"]
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_owner_gets_the_thumbnail(client, alice, alice_photo):
    client.force_login(alice)
    response = client.get(alice_photo.get_thumbnail_url())
    assert response.status_code == 200
    thumb = PILImage.open(io.BytesIO(b"".join(response.streaming_content)))
    assert thumb.format == "JPEG" and max(thumb.size) == 480


def test_download_parameter_serves_an_attachment(client, alice, alice_photo):
    client.force_login(alice)
    response = client.get(alice_photo.get_download_url())
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="alice-beach.jpg"'


def test_unchanged_photo_answers_not_modified(client, alice, alice_photo):
    client.force_login(alice)
    etag = client.get(alice_photo.get_file_url())["ETag"]
    response = client.get(alice_photo.get_file_url(), headers={"If-None-Match": etag})
    assert response.status_code == 304


def test_staff_can_see_a_users_photo(client, alice_photo):
    client.force_login(user_create(username="helpdesk", is_staff=True))
    assert client.get(alice_photo.get_file_url()).status_code == 200


def test_template_images_are_public(client):
    template = f.stored_image(owner=None, image_type=ImageType.TEMPLATE, name="t.jpg")
    for url in (template.get_file_url(), template.get_thumbnail_url()):
        response = client.get(url)
        assert response.status_code == 200
        assert response["Cache-Control"].startswith("public")


# --- My photos ---------------------------------------------------------------------------------------


def test_my_photos_needs_login(client):
    response = client.get(reverse("gallery:photo_list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def test_upload_and_see_my_thumbnails_and_not_others(client, alice, bob):
    f.stored_image(owner=bob, name="bobs-secret.jpg")
    client.force_login(alice)
    response = client.post(
        reverse("gallery:photo_list"),
        {"photos": [f.jpeg_upload("me.jpg", size=(300, 400)), f.jpeg_upload("you.jpg", colour=(9, 9, 9))]},
        follow=True,
    )
    assert response.status_code == 200
    assert "Added 2 photos." in response.text
    mine = Image.objects.filter(owner=alice)
    assert sorted(mine.values_list("filename", flat=True)) == ["me.jpg", "you.jpg"]
    for image in mine:
        assert image.get_thumbnail_url() in response.text
    assert "bobs-secret.jpg" not in response.text


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_upload_shows_its_message_on_the_page_and_stores_nothing(case, client, alice, settings):
    make_file, _, words = BAD_INPUTS[case]
    client.force_login(alice)
    upload = make_file()
    response = client.post(reverse("gallery:photo_list"), {"photos": [upload]})
    assert response.status_code == 200
    assert f"{upload.name}:" in response.text
    assert words in response.text.replace("&#x27;", "'")
    assert Image.objects.count() == 0
    assert stored_files(settings) == []


def test_one_bad_file_does_not_lose_the_good_one(client, alice):
    client.force_login(alice)
    response = client.post(
        reverse("gallery:photo_list"),
        {"photos": [f.jpeg_upload("good.jpg"), f.upload(f.random_bytes(), "bad.jpg")]},
    )
    assert "Added 1 photo." in response.text
    assert "bad.jpg: This file is not a picture" in response.text
    assert list(Image.objects.values_list("filename", flat=True)) == ["good.jpg"]


def test_uploading_the_same_photo_again_keeps_one_copy(client, alice, settings, django_capture_on_commit_callbacks):
    client.force_login(alice)
    data = f.encode(f.picture((120, 90), noise=True), "JPEG")
    client.post(reverse("gallery:photo_list"), {"photos": [f.upload(data, "first.jpg")]})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("gallery:photo_list"), {"photos": [f.upload(data, "again.jpg")]}, follow=True)
    assert "again.jpg is already in your photos (as first.jpg)." in response.text
    assert Image.objects.count() == 1
    assert len(stored_files(settings)) == 2


def test_empty_form_asks_for_a_photo(client, alice):
    client.force_login(alice)
    response = client.post(reverse("gallery:photo_list"), {})
    assert "Please choose a photo to upload." in response.text


def test_delete_my_photo_after_confirming(client, alice, alice_photo, settings, django_capture_on_commit_callbacks):
    client.force_login(alice)
    confirm = client.get(reverse("gallery:image_delete", args=[alice_photo.pk]))
    assert "Delete this photo?" in confirm.text
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("gallery:image_delete", args=[alice_photo.pk]), follow=True)
    assert "Deleted alice-beach.jpg." in response.text
    assert not Image.objects.filter(pk=alice_photo.pk).exists()
    assert stored_files(settings) == []


def test_a_photo_a_waiting_swap_uses_cannot_be_deleted(client, alice, alice_photo):
    FaceSwapTask.objects.create(user=alice, husband_image=alice_photo, status=FaceSwapTask.Status.PENDING)
    client.force_login(alice)
    response = client.post(reverse("gallery:image_delete", args=[alice_photo.pk]), follow=True)
    assert "being used by a swap that has not finished yet" in response.text
    assert Image.objects.filter(pk=alice_photo.pk).exists()


def test_photo_page_shows_the_photo_and_download(client, alice, alice_photo):
    client.force_login(alice)
    response = client.get(alice_photo.get_absolute_url())
    assert response.status_code == 200
    assert alice_photo.get_file_url() in response.text
    assert alice_photo.get_download_url() in response.text
    assert "800 \N{MULTIPLICATION SIGN} 600 pixels" in response.text
