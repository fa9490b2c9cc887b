"""A person's own scene as a template: private to them, its faces found by the curators' thorough pass in
a job, who goes where, faces marked by three clicks, the limits, My templates and the gallery suggestion."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from gallery.models import Image
from swaps.models import FaceSwapTask
from swaps.services import swap_create
from templates import own_services
from templates.models import CrawledTemplate, OwnFaces, Review, Template
from templates.services import template_approve, template_create
from testing.cast import COUPLE, log_in, picture_upload, stored_files, stored_image, upload_photo

pytestmark = pytest.mark.django_db


def own_scene(user, path, *, title: str = "") -> Template:
    """The person uploads one of the shared photos as their own scene; the face search runs as the worker
    runs it (templates.tasks.own_faces_task calls own_faces_run)."""
    template = own_services.own_template_create(
        owner=user, file=SimpleUploadedFile(path.name, path.read_bytes()), title=title
    )
    own_services.own_faces_run(template_id=template.pk)
    template.refresh_from_db()
    return template


def client_for(user) -> Client:
    client = Client()
    log_in(client, user.username)
    return client


def three_click_face(left_eye, right_eye, mouth) -> dict:
    """What the page's three clicks give (static/js/couple_templates/face_three.js) for an upright face."""
    d = right_eye[0] - left_eye[0]
    centre = ((left_eye[0] + right_eye[0]) / 2, (left_eye[1] + right_eye[1]) / 2)
    h = mouth[1] - centre[1]
    kps = [
        left_eye,
        right_eye,
        [centre[0], centre[1] + h / 2],
        [mouth[0] - 0.41 * d, mouth[1]],
        [mouth[0] + 0.41 * d, mouth[1]],
    ]
    box = [centre[0] - 1.15 * d, centre[1] - 1.1 * h, centre[0] + 1.15 * d, centre[1] + 1.75 * h]
    return {"box": box, "kps": kps}


@pytest.mark.slow
def test_faces_found_on_an_own_scene_equal_the_admins_thorough_pass(alice, faces_dir):
    path = faces_dir / "couple_man_woman_casual.jpg"
    own = own_scene(alice, path)
    site = template_create(image_file=SimpleUploadedFile(path.name, path.read_bytes()), title="Same", category="tv")
    assert own.faces_status == OwnFaces.DONE and own.faces_progress == 100
    assert len(own.face_positions) >= 2
    assert [f["box"] for f in own.face_positions] == [f["box"] for f in site.face_positions]
    assert [f["kps"] for f in own.face_positions] == [f["kps"] for f in site.face_positions]
    # Proposed like the admin's: the two largest, you on the left; ready to use at once.
    assert own.roles_complete and own.usable_by(alice)
    state = own_services.own_faces_state(template=own)
    assert state["finished"] and "two faces" in state["message"]


@pytest.mark.slow
def test_an_own_scene_is_private_everywhere(alice, bob, faces_dir):
    own = own_scene(alice, faces_dir / "couple_man_woman_casual.jpg", title="Our secret beach")
    image = own.image
    assert image.is_private and "/template/" in image.file.name
    assert image.get_file_url() == reverse("gallery:image_file", args=[image.pk])
    alice_client, bob_client, anonymous = client_for(alice), client_for(bob), Client()

    assert alice_client.get(reverse("couple_templates:own_detail", args=[own.pk])).status_code == 200
    assert alice_client.get(image.get_file_url()).status_code == 200
    for url in (
        reverse("couple_templates:own_detail", args=[own.pk]),
        reverse("couple_templates:own_status", args=[own.pk]),
        reverse("couple_templates:own_suggest", args=[own.pk]),
        reverse("couple_templates:own_delete", args=[own.pk]),
        reverse("couple_templates:detail", args=[own.pk]),
        reverse("swaps:new", args=[own.pk]),
        image.get_file_url(),
        image.get_thumbnail_url(),
    ):
        assert bob_client.get(url).status_code == 404, url
        assert anonymous.get(url).status_code in (302, 404), url
    # Not in the gallery, nor found by its title, for anyone (its owner included: it is theirs, not the site's).
    for client in (alice_client, bob_client, anonymous):
        for query in ("", "?q=secret", "?category=custom"):
            page = client.get(reverse("couple_templates:list") + query)
            assert page.status_code == 200
            assert "Our secret beach" not in page.content.decode()
    assert "Our secret beach" not in bob_client.get(reverse("couple_templates:own_list")).content.decode()
    assert "Our secret beach" in alice_client.get(reverse("couple_templates:own_list")).content.decode()
    # Bob cannot swap with it by posting either.
    with pytest.raises(Exception, match="no longer available"):
        swap_create(user=bob, template=own, husband_image=stored_image(owner=bob), wife_image=stored_image(owner=bob))


@pytest.mark.slow
def test_a_drawn_scene_without_found_faces_gets_the_three_click_marker_then_swaps(alice, faces_dir, settings):
    own = own_scene(alice, faces_dir / "anime_two_girls_tadne.jpg")
    state = own_services.own_faces_state(template=own)
    assert state["finished"]
    if state["detected"] >= 2:
        pytest.skip("the detector found these drawn faces; the marker is tested on a picture it does not")
    client = client_for(alice)
    page = client.get(reverse("couple_templates:own_detail", args=[own.pk])).content.decode()
    assert "Mark a face: 3 clicks" in page and "three clicks" in state["message"]
    # Two faces marked by three clicks each, in the picture's pixels.
    w = own.image.width
    marked = [
        three_click_face([0.2 * w, 200], [0.3 * w, 200], [0.25 * w, 260]),
        three_click_face([0.65 * w, 210], [0.75 * w, 210], [0.7 * w, 270]),
    ]
    known = len(own.face_positions)
    import json

    response = client.post(
        reverse("couple_templates:own_detail", args=[own.pk]),
        {"you": known, "partner": known + 1, "marked": json.dumps(marked)},
    )
    assert response.status_code == 302 and response["Location"] == reverse("swaps:new", args=[own.pk])
    own.refresh_from_db()
    manual = [f for f in own.face_positions if f["source"] == "manual"]
    assert [f["role"] for f in manual] == ["husband", "wife"]
    assert own.usable_by(alice)
    assert client.get(reverse("swaps:new", args=[own.pk])).status_code == 200
    photos = [upload_photo(alice, faces_dir / name) for name in ("man_single_obama.jpg", "woman_single_astronaut.png")]
    task = swap_create(user=alice, template=own, husband_image=photos[0], wife_image=photos[1])
    assert task.status == FaceSwapTask.Status.PENDING


def test_who_goes_where_needs_two_different_faces(alice):
    own = Template.objects.create(
        owner=alice,
        image=stored_image(owner=alice, image_type="template", size=(320, 240)),
        title="Mine",
        category="custom",
        is_active=False,
        face_positions=[dict(face, role=None) for face in COUPLE],
        faces_status=OwnFaces.DONE,
    )
    with pytest.raises(ValidationError, match="two different faces"):
        own_services.own_template_set_couple(template=own, you=0, partner=0)
    with pytest.raises(ValidationError, match="outside the picture"):
        own_services.own_template_set_couple(
            template=own, you=0, partner=2, marked=[{"box": [300, 200, 900, 900], "kps": [[1, 1]] * 5}]
        )
    own_services.own_template_set_couple(template=own, you=1, partner=0)
    own.refresh_from_db()
    assert [f["role"] for f in own.face_positions] == ["wife", "husband"]


def test_own_templates_count_against_the_photo_quota_and_searches_waiting_are_limited(alice, settings):
    settings.OWN_TEMPLATE_MAX_PENDING = 1
    own_services.own_template_create(owner=alice, file=picture_upload(name="a.png", width=300, height=200))
    with pytest.raises(ValidationError, match="still looking for faces"):
        own_services.own_template_create(owner=alice, file=picture_upload(name="b.png", width=301, height=200))
    settings.OWN_TEMPLATE_MAX_PENDING = 5
    settings.PHOTO_QUOTA_COUNT = 2
    stored_image(owner=alice)
    before = stored_files(settings)
    with pytest.raises(ValidationError, match="photo space is full"):
        own_services.own_template_create(owner=alice, file=picture_upload(name="c.png", width=302, height=200))
    assert stored_files(settings) == before


def test_the_upload_page_shows_the_terms_and_refusals_keep_nothing(alice, settings):
    client = client_for(alice)
    page = client.get(reverse("couple_templates:own_new")).content.decode()
    for words in ("right to use", "agreement", "minors", "reviewed"):
        assert words in page
    response = client.post(reverse("couple_templates:own_new"), {"picture": SimpleUploadedFile("x.jpg", b"nope")})
    assert response.status_code == 200 and "not a picture we can read" in response.content.decode()
    assert not Template.objects.exists() and not Image.objects.exists()


@pytest.mark.slow
def test_the_content_gate_refuses_nudity_and_holds_a_borderline_own_scene(alice, faces_dir, settings):
    path = faces_dir / "couple_man_woman_casual.jpg"
    client = client_for(alice)
    # The real model; a threshold at a safe picture's measured score (0.0) stands in for explicit material.
    settings.CONTENT_GATE_REFUSE_AT = 0.0
    response = client.post(
        reverse("couple_templates:own_new"), {"picture": SimpleUploadedFile(path.name, path.read_bytes())}
    )
    assert "This picture shows nudity, which we do not accept" in response.content.decode()
    assert not Image.objects.exists() and not stored_files(settings)

    settings.CONTENT_GATE_REFUSE_AT, settings.CONTENT_GATE_REVIEW_AT = 0.99, 0.0
    own = own_scene(alice, path)
    assert own.image.metadata["content"]["verdict"] == "borderline"
    assert own.review == Review.WAITING and own.held_for_review and not own.usable_by(alice)
    assert CrawledTemplate.objects.filter(pk=own.pk, review=Review.WAITING).exists()
    template_approve(template=own)  # the curator lets it through: still private, now usable by its owner
    own.refresh_from_db()
    assert own.owner_id == alice.pk and not own.is_active and own.usable_by(alice)


def test_rename_and_delete_keeping_or_deleting_the_swaps(alice):
    client = client_for(alice)
    own = Template.objects.create(
        owner=alice,
        image=stored_image(owner=alice, image_type="template", size=(320, 240)),
        title="Mine",
        category="custom",
        is_active=False,
        face_positions=[dict(face) for face in COUPLE],
        faces_status=OwnFaces.DONE,
    )
    client.post(reverse("couple_templates:own_rename", args=[own.pk]), {"title": "Our wedding"})
    own.refresh_from_db()
    assert own.title == "Our wedding"
    photo = stored_image(owner=alice)
    kept = FaceSwapTask.objects.create(user=alice, template=own, husband_image=photo, wife_image=photo, status="failed")
    page = client.get(reverse("couple_templates:own_delete", args=[own.pk])).content.decode()
    assert "You made 1 swap with this template." in page and "Keep my swaps" in page
    client.post(reverse("couple_templates:own_delete", args=[own.pk]), {"swaps": "keep"})
    own.refresh_from_db()
    assert own.removed_at is not None and FaceSwapTask.objects.filter(pk=kept.pk).exists()
    assert client.get(reverse("couple_templates:own_detail", args=[own.pk])).status_code == 404

    other = Template.objects.create(
        owner=alice,
        image=stored_image(owner=alice, image_type="template", size=(321, 240)),
        title="Other",
        category="custom",
        is_active=False,
        face_positions=[dict(face) for face in COUPLE],
        faces_status=OwnFaces.DONE,
    )
    gone = FaceSwapTask.objects.create(
        user=alice, template=other, husband_image=photo, wife_image=photo, status="failed"
    )
    client.post(reverse("couple_templates:own_delete", args=[other.pk]), {"swaps": "delete"})
    assert not FaceSwapTask.objects.filter(pk=gone.pk).exists()
    assert not Template.objects.filter(pk=other.pk).exists()


def test_suggest_then_approval_makes_it_public_with_attribution(alice, bob, curator):
    own = Template.objects.create(
        owner=alice,
        image=stored_image(owner=alice, image_type="template", size=(320, 240)),
        title="Mine",
        category="custom",
        is_active=False,
        face_positions=[dict(face) for face in COUPLE],
        faces_status=OwnFaces.DONE,
    )
    client = client_for(alice)
    url = reverse("couple_templates:own_suggest", args=[own.pk])
    response = client.post(url, {"title": "Sunset kiss", "artist": "Kim", "source_url": "https://example.com/k"})
    assert "Confirm that you have the right" in response.content.decode()
    client.post(url, {"title": "Sunset kiss", "artist": "Kim", "source_url": "https://example.com/k", "licence": "on"})
    own.refresh_from_db()
    assert own.review == Review.WAITING and own.submitted_by == alice and own.owner == alice
    assert own.usable_by(alice) and not own.is_active
    queue = client_for(curator).get(reverse("admin:couple_templates_crawledtemplate_changelist")).content.decode()
    assert "Sunset kiss" in queue and "Suggested by <strong>alice</strong>" in queue

    template_approve(template=own)
    own.refresh_from_db()
    image = own.image
    assert own.owner is None and own.submitted_by == alice and own.is_active and own.review == Review.APPROVED
    assert not image.is_private and image.owner is None and "/template/" in image.file.name
    assert image.file.name.endswith(f"{image.sha256}{image.file.name[-4:]}")
    detail = Client().get(reverse("couple_templates:detail", args=[own.pk])).content.decode()
    assert "Sunset kiss" in detail and "Suggested by alice" in detail and "Kim" in detail
    assert Client().get(image.get_file_url()).status_code == 200
    assert "Sunset kiss" in client_for(bob).get(reverse("couple_templates:list") + "?q=sunset").content.decode()


def test_own_templates_are_offered_in_the_album_form_to_their_owner_only(alice, bob):
    own = Template.objects.create(
        owner=alice,
        image=stored_image(owner=alice, image_type="template", size=(320, 240)),
        title="Our own album scene",
        category="custom",
        is_active=False,
        face_positions=[dict(face) for face in COUPLE],
        faces_status=OwnFaces.DONE,
    )
    assert "Our own album scene" in client_for(alice).get(reverse("swaps:album_new")).content.decode()
    assert "Our own album scene" not in client_for(bob).get(reverse("swaps:album_new")).content.decode()
    assert own.usable_by(alice) and not own.usable_by(bob)


@pytest.mark.slow
def test_one_face_or_a_failed_search_leads_to_the_three_click_marker(alice, faces_dir):
    single = own_scene(alice, faces_dir / "man_single_obama.jpg")
    state = own_services.own_faces_state(template=single)
    assert state["detected"] == 1 and "Mark the other with three clicks" in state["message"]
    page = client_for(alice).get(reverse("couple_templates:own_detail", args=[single.pk])).content.decode()
    assert "Mark a face: 3 clicks" in page

    path = faces_dir / "couple_man_woman_casual.jpg"
    broken = own_services.own_template_create(owner=alice, file=SimpleUploadedFile(path.name, path.read_bytes()))
    broken.image.file.storage.delete(broken.image.file.name)  # the picture lost: the search cannot read it
    with pytest.raises(FileNotFoundError):
        own_services.own_faces_run(template_id=broken.pk)
    broken.refresh_from_db()
    state = own_services.own_faces_state(template=broken)
    assert broken.faces_status == OwnFaces.FAILED and state["finished"]
    assert "three clicks" in state["message"]
    page = client_for(alice).get(reverse("couple_templates:own_detail", args=[broken.pk])).content.decode()
    assert "Mark a face: 3 clicks" in page


def test_a_search_whose_job_vanished_is_failed_instead_of_waiting_forever(alice):
    from datetime import timedelta

    from django.utils import timezone

    own = own_services.own_template_create(owner=alice, file=picture_upload(name="a.png", width=300, height=200))
    own_services.OWN_FACES_JOBS.job_delete(own.pk)  # Redis lost the job
    Template.objects.filter(pk=own.pk).update(
        faces_status=OwnFaces.PROCESSING, faces_started_at=timezone.now() - timedelta(minutes=5)
    )
    own.refresh_from_db()
    state = own_services.own_faces_state(template=own)
    assert state["status"] == OwnFaces.FAILED and state["finished"] and "three clicks" in state["message"]


def test_deleting_the_account_deletes_its_own_templates_their_swaps_and_files(
    alice, settings, django_capture_on_commit_callbacks
):
    from accounts.services import user_delete

    own = Template.objects.create(
        owner=alice,
        image=stored_image(owner=alice, image_type="template", size=(320, 240)),
        title="Mine",
        category="custom",
        is_active=False,
        face_positions=[dict(face) for face in COUPLE],
        faces_status=OwnFaces.DONE,
    )
    photo = stored_image(owner=alice)
    FaceSwapTask.objects.create(user=alice, template=own, husband_image=photo, wife_image=photo, status="failed")
    with django_capture_on_commit_callbacks(execute=True):
        user_delete(user=alice)
    assert not Template.objects.exists() and not Image.objects.exists() and not FaceSwapTask.objects.exists()
    assert not stored_files(settings)
