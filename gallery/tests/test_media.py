"""Local storage (`make run`): Django serves pictures itself, efficiently and cacheably."""

from __future__ import annotations

import pytest
from django.http import FileResponse

from gallery.models import ImageType
from gallery.storage import IMMUTABLE_CACHE
from testing import cast as f
from testing.cast import user_create

pytestmark = pytest.mark.django_db


def test_template_pictures_have_immutable_content_addressed_local_urls(client):
    image = f.stored_image(owner=None, image_type=ImageType.TEMPLATE, size=(800, 600))
    url = image.get_thumbnail_url()
    assert url == f"/photos/public/{image.thumbnail_key}" and image.sha256 in url
    response = client.get(url)
    assert response.status_code == 200
    assert isinstance(response, FileResponse)  # streamed from the file (sendfile under gunicorn)
    assert response["Cache-Control"] == IMMUTABLE_CACHE
    assert response["Content-Type"] == "image/jpeg"
    assert int(response["Content-Length"]) == len(b"".join(response.streaming_content))
    etag, modified = response["ETag"], response["Last-Modified"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get(url, headers={"If-None-Match": '"something-else"'}).status_code == 200
    full = client.get(image.get_file_url())
    assert full.status_code == 200 and full["Cache-Control"] == IMMUTABLE_CACHE


def test_the_public_url_never_reaches_a_private_photo(client):
    photo = f.stored_image(owner=user_create())
    assert client.get(f"/photos/public/{photo.file.name}").status_code == 404
    assert client.get(f"/photos/public/{photo.thumbnail_key}").status_code == 404
    assert client.get("/photos/public/local/template/../source/x.jpg").status_code == 404
    assert client.get("/photos/public/local/template/2026/01/missing.jpg").status_code == 404


def test_a_private_photo_answers_conditional_gets_for_its_owner_only(client):
    owner = user_create()
    photo = f.stored_image(owner=owner)
    client.force_login(owner)
    response = client.get(photo.get_file_url())
    assert isinstance(response, FileResponse)
    assert response["Cache-Control"].startswith("private")
    assert "Cookie" in response["Vary"]
    assert client.get(photo.get_file_url(), headers={"If-None-Match": response["ETag"]}).status_code == 304
    client.force_login(user_create())
    assert client.get(photo.get_file_url(), headers={"If-None-Match": response["ETag"]}).status_code == 404
