"""Pictures in S3, against a real SeaweedFS server: the object keys, who can fetch what, and deletion."""

from __future__ import annotations

import hashlib
import io
import re
import time
import urllib.error
import urllib.request
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.services import user_delete
from gallery.models import Image, ImageType
from gallery.services import image_store_generated, image_upload
from gallery.storage import IMMUTABLE_CACHE
from testing import cast as f
from testing.cast import user_create

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

KEY = re.compile(r"^s3/(source|template|result)/\d{4}/\d{2}/[0-9a-f]{32,64}\.(jpg|png)$")


def fetch(url: str) -> tuple[int, bytes, dict]:
    """A plain HTTP GET as a browser would make it (no S3 keys); (status, body, headers)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


def test_an_upload_is_stored_at_its_recorded_key_with_its_thumbnail(s3_storage):
    owner = user_create()
    image = f.stored_image(owner=owner, name="Holiday.JPG", size=(900, 600))
    row = Image.objects.values_list("file", flat=True).get(pk=image.pk)  # the storage_path column
    assert KEY.match(row), row
    assert row.endswith(".jpg") and "Holiday" not in row
    assert s3_storage.keys() == sorted([row, image.thumbnail_key])
    stored = s3_storage.read(row)
    assert hashlib.sha256(stored).hexdigest() == image.sha256
    thumbnail = s3_storage.read(image.thumbnail_key)
    assert f.PILImage.open(io.BytesIO(thumbnail)).size == (480, 320)


def test_the_owner_is_sent_to_a_presigned_url_that_expires_within_minutes(s3_storage, client):
    owner, other = user_create(), user_create()
    image = f.stored_image(owner=owner)
    # Nobody reaches the object without a signature.
    status, _, _ = fetch(f"{s3_storage.server.endpoint_url}/{s3_storage.name}/{image.file.name}")
    assert status == 403

    client.force_login(owner)
    response = client.get(image.get_file_url())
    assert response.status_code == 302
    assert response["Cache-Control"] == "private, no-store"
    url = response["Location"]
    query = parse_qs(urlsplit(url).query)
    assert 0 < int(query["X-Amz-Expires"][0]) <= 600
    status, body, headers = fetch(url)
    assert status == 200
    assert hashlib.sha256(body).hexdigest() == image.sha256
    assert headers["Content-Type"] == "image/jpeg"

    download = client.get(image.get_download_url())
    status, body, headers = fetch(download["Location"])
    assert status == 200 and "attachment" in headers["Content-Disposition"]

    thumb = client.get(image.get_thumbnail_url())
    assert thumb.status_code == 302
    assert fetch(thumb["Location"])[0] == 200

    client.force_login(other)
    assert client.get(image.get_file_url()).status_code == 404
    assert client.get(image.get_thumbnail_url()).status_code == 404
    client.logout()
    assert client.get(image.get_file_url()).status_code == 302  # to the login page
    assert "/accounts/login/" in client.get(image.get_file_url())["Location"]


def test_a_presigned_url_stops_working_when_it_expires(s3_storage):
    image = f.stored_image(owner=user_create())
    url = image.file.storage.url(image.file.name, expire=1)
    assert fetch(url)[0] == 200
    time.sleep(2.1)
    assert fetch(url)[0] == 403


def test_template_pictures_have_immutable_public_content_addressed_urls(s3_storage, client):
    image = f.stored_image(owner=None, image_type=ImageType.TEMPLATE, name="art.png", size=(800, 600))
    assert KEY.match(image.file.name)
    # Content-addressed: the key is the stored bytes' sha256, so its URL never needs to change.
    assert image.file.name.rsplit("/", 1)[1].split(".")[0] == image.sha256
    for url, key in ((image.get_file_url(), image.file.name), (image.get_thumbnail_url(), image.thumbnail_key)):
        assert url.startswith(s3_storage.server.endpoint_url) and "X-Amz" not in url
        status, body, headers = fetch(url)
        assert status == 200
        assert body == s3_storage.read(key)
        assert headers["Cache-Control"] == IMMUTABLE_CACHE
    # The old per-id address leads there (briefly cached, since the picture behind an id may change).
    response = client.get(f"/photos/{image.pk}/thumbnail/")
    assert response.status_code == 302 and response["Location"] == image.get_thumbnail_url()


def test_a_swap_result_is_written_as_a_private_object(s3_storage, client):
    owner = user_create()
    picture = np.zeros((300, 400, 3), dtype=np.uint8)
    picture[:, :, 0] = 200
    result = image_store_generated(owner=owner, picture=picture, image_type=ImageType.RESULT, filename="swap.jpg")
    assert KEY.match(result.file.name) and result.file.name.startswith("s3/result/")
    assert s3_storage.keys("s3/result/") == sorted([result.file.name, result.thumbnail_key])
    assert fetch(f"{s3_storage.server.endpoint_url}/{s3_storage.name}/{result.file.name}")[0] == 403
    client.force_login(owner)
    status, body, _ = fetch(client.get(result.get_file_url())["Location"])
    assert status == 200 and f.PILImage.open(io.BytesIO(body)).size == (400, 300)


def test_transparent_pictures_are_served_as_png_and_webp_with_their_alpha(s3_storage, client):
    owner = user_create()
    picture = np.zeros((300, 400, 4), dtype=np.uint8)
    picture[50:250, 100:300] = (200, 30, 60, 255)
    result = image_store_generated(owner=owner, picture=picture, image_type=ImageType.RESULT, filename="swap.png")
    assert result.file.name.endswith(".png") and result.thumbnail_key.endswith("_thumb.webp")
    client.force_login(owner)
    for url, content_type in ((result.get_file_url(), "image/png"), (result.get_thumbnail_url(), "image/webp")):
        status, body, headers = fetch(client.get(url)["Location"])
        assert status == 200 and headers["Content-Type"] == content_type
        assert f.PILImage.open(io.BytesIO(body)).mode == "RGBA"
    status, body, headers = fetch(client.get(result.get_download_url())["Location"])
    assert headers["Content-Type"] == "image/png" and "swap.png" in headers["Content-Disposition"]
    # A cut-out template: public objects, stored with the right content type for browsers and CDNs.
    cutout = f.PILImage.fromarray(picture, mode="RGBA")
    template = image_upload(owner=None, file=f.upload(f.encode(cutout, "PNG"), "cutout.png"), image_type="template")
    assert template.has_alpha
    for url, content_type in ((template.get_file_url(), "image/png"), (template.get_thumbnail_url(), "image/webp")):
        status, body, headers = fetch(url)
        assert status == 200 and headers["Content-Type"] == content_type


def test_deleting_an_account_removes_its_objects(s3_storage, django_capture_on_commit_callbacks):
    leaving, staying = user_create(), user_create()
    for name in ("a.jpg", "b.jpg"):
        f.stored_image(owner=leaving, name=name)
    kept = f.stored_image(owner=staying)
    template = f.stored_image(owner=None, image_type=ImageType.TEMPLATE)
    with django_capture_on_commit_callbacks(execute=True):
        assert user_delete(user=leaving) == 2
    assert s3_storage.keys() == sorted([kept.file.name, kept.thumbnail_key, template.file.name, template.thumbnail_key])


def test_purge_expired_uploads_removes_old_objects(s3_storage, settings, django_capture_on_commit_callbacks):
    settings.UPLOAD_RETENTION_DAYS = 30
    owner = user_create()
    old, recent = f.stored_image(owner=owner, name="old.jpg"), f.stored_image(owner=owner, name="new.jpg")
    Image.objects.filter(pk=old.pk).update(uploaded_at=timezone.now() - timedelta(days=40))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("purge_expired_uploads", stdout=io.StringIO())
    assert not Image.objects.filter(pk=old.pk).exists()
    assert s3_storage.keys() == sorted([recent.file.name, recent.thumbnail_key])


def test_storage_setup_makes_only_template_pictures_public(s3_storage):
    photo = f.stored_image(owner=user_create())
    template = f.stored_image(owner=None, image_type=ImageType.TEMPLATE)
    call_command("storage_setup", stdout=io.StringIO())  # again: it can run at every start
    base = f"{s3_storage.server.endpoint_url}/{s3_storage.name}"
    assert fetch(f"{base}/{template.thumbnail_key}")[0] == 200
    assert fetch(f"{base}/{photo.thumbnail_key}")[0] == 403
    assert fetch(f"{base}/{photo.file.name}")[0] == 403


def test_the_local_public_address_on_s3_redirects_to_the_object_store_and_never_answers_500(s3_storage, client):
    """/photos/public/<key> is not proxied through Python on S3: a redirect to the object's public URL,
    which answers 404 for a key that is not there (was a 500: botocore's 404 unhandled)."""
    image = f.stored_image(owner=None, image_type=ImageType.TEMPLATE, name="art.png", size=(80, 60))
    response = client.get(f"/photos/public/{image.file.name}")
    assert response.status_code == 302 and response["Location"] == image.get_file_url()
    assert fetch(response["Location"])[0] == 200
    missing = image.file.name.replace(image.sha256, "0" * 64)
    response = client.get(f"/photos/public/{missing}")
    assert response.status_code == 302
    assert fetch(response["Location"])[0] in (403, 404)
    assert client.get("/photos/public/s3/source/x.jpg").status_code == 404  # never a private key
