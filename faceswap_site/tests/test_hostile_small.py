"""Issue 21, point 7: the smaller things a hostile tester found, each with the answer a person should get."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from django.test import Client

from swaps.models import FaceSwapTask
from testing import REPO_DIR
from testing.cast import encode, make_template, picture, upload_photo_bytes, user_create

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/s/%00/", "/s/a%00b/picture.jpg", "/photos/%00/", "/templates/%1b/"])
def test_control_characters_in_the_path_get_a_plain_400_not_a_500(path, settings):
    settings.DEBUG = False
    response = Client(raise_request_exception=False).get(path)
    assert response.status_code in (400, 404), response.status_code
    assert response.status_code != 500


def test_a_signed_in_person_s_pages_are_private_to_shared_caches(client, settings):
    owner = user_create(username="owner")
    photo = upload_photo_bytes(owner, encode(picture((64, 64), (200, 180, 160))), "me.jpg")
    task = FaceSwapTask.objects.create(user=owner, template=make_template(), husband_image=photo, wife_image=photo)
    client.force_login(owner)
    for path in ("/", "/templates/", "/swaps/", f"/swaps/{task.pk}/", "/photos/", "/accounts/email/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "private" in response["Cache-Control"], (path, response.get("Cache-Control"))
    # A view's own choice stands (a face crop may be kept by the browser for an hour).
    assert client.get("/healthz")["Cache-Control"].count("private") <= 1


def test_an_anonymous_page_with_a_form_token_is_private_and_a_plain_one_is_not_marked(client):
    assert "private" in client.get("/accounts/login/")["Cache-Control"]


def _csp_img_src(**env: str) -> list[str]:
    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'faceswap_site.settings'); "
        "from django.conf import settings; import json; "
        "print(json.dumps([str(s) for s in settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src']]))"
    )
    import os

    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_DIR,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_csp_lets_pictures_come_from_the_documented_public_url_a_cdn():
    sources = _csp_img_src(
        STORAGE_BACKEND="s3",
        AWS_STORAGE_BUCKET_NAME="media",
        AWS_S3_ENDPOINT_URL="https://s3.internal.example:8333",
        AWS_S3_PUBLIC_URL="https://cdn.example.com/media",
    )
    assert "https://cdn.example.com" in sources and "https://s3.internal.example:8333" in sources


@pytest.mark.parametrize(
    "path",
    [
        "/admin/django-rq/queues/99999/failed/",  # a queue index out of range (IndexError)
        "/admin/django_rq/dashboard/queues/2147483648/",
        "/admin/django-rq/workers/1/1/",  # a malformed worker key (ValueError)
        "/admin/django-rq/queues/0/no-such-job/",  # an unknown job (NoSuchJobError)
        "/admin/django-rq/schedulers/1/",  # rq-scheduler not installed (ImproperlyConfigured)
        "/admin/django_rq/dashboard/-1/history/",  # django-rq's dashboard entry has no table
        "/admin/r/1/1/",  # 'view on site' for a type without a table
    ],
)
def test_staff_pages_answer_404_for_what_is_not_there(path, settings):
    settings.DEBUG = False
    staff = user_create(username="staff", is_staff=True, is_superuser=True)
    client = Client(raise_request_exception=False)
    client.force_login(staff)
    assert client.get(path).status_code == 404
    assert client.get("/admin/django-rq/").status_code == 200
