"""A template's picture is public only while the template is shown: taken down, rejected, waiting for
review or archived, its immutable URL answers 404 at once (local files through the site, S3 straight from
the bucket), and /photos/<id>/file/ answers staff only."""

from __future__ import annotations

import pytest
import requests
from django.test import Client
from django.urls import reverse

from gallery.models import Image, ImageType, storage_key
from templates.models import Review
from templates.services import template_approve, template_archive, template_reject, template_takedown
from testing.cast import make_template, user_create

pytestmark = pytest.mark.django_db(transaction=True)


def public_status(url: str) -> int:
    if url.startswith("http"):
        return requests.get(url, timeout=30).status_code
    return Client().get(url).status_code


def public_url_of(image: Image) -> str:
    """The immutable URL the picture has (or had) while public: its content-addressed key's."""
    key = storage_key(ImageType.TEMPLATE, ".jpg", content_hash=image.sha256)
    return image.public_url_for(key)


# The S3 case needs SeaweedFS: marked at collection (a mark applied in the fixture comes too late for
# make test-fast's -m "not server", which then started SeaweedFS for these tests).
@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.server)])
def storage_kind(request):
    if request.param == "s3":
        request.getfixturevalue("s3_storage")
    return request.param


def test_a_taken_down_template_s_picture_answers_404_at_once(storage_kind):
    template = make_template(title="Famous still")
    image = template.image
    url = image.get_file_url()
    thumb = image.get_thumbnail_url()
    assert public_status(url) == 200 and public_status(thumb) == 200

    template_takedown(template=template, reason="The studio asked us to remove it.")
    assert public_status(url) == 404 and public_status(thumb) == 404
    image.refresh_from_db()
    assert image.is_private and image.get_file_url() == reverse("gallery:image_file", args=[image.pk])


@pytest.mark.parametrize("state", ["waiting", "rejected", "archived"])
def test_a_template_in_review_rejected_or_archived_is_not_public(storage_kind, state):
    template = make_template(title="Crawled", is_active=state == "archived", review=Review.WAITING)
    if state == "rejected":
        template_reject(template=template)
    elif state == "archived":
        template.review = Review.APPROVED
        template.save()
        template_archive(template=template)
    image = Image.objects.get(pk=template.image_id)
    assert image.is_private
    assert public_status(public_url_of(image)) == 404

    # Only staff see it, for the review: anyone else is sent to log in, or told there is no such photo.
    file_url = reverse("gallery:image_file", args=[image.pk])
    assert Client().get(file_url).status_code == 302
    someone = Client()
    someone.force_login(user_create(username="someone"))
    assert someone.get(file_url).status_code == 404
    staff = Client()
    staff.force_login(user_create(username="curator", is_staff=True))
    assert staff.get(file_url).status_code in (200, 302)


def test_an_approved_template_s_picture_becomes_public_again(storage_kind):
    template = make_template(title="Crawled", is_active=False, review=Review.WAITING)
    template_approve(template=template)
    image = Image.objects.get(pk=template.image_id)
    assert not image.is_private and public_status(image.get_file_url()) == 200
