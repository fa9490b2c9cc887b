"""What the photo check tells each partner: every face of a couple photo, what to expect of a small one,
and never "we found the face" to the second partner of a photo with one face (theirs already)."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image as PILImage

from swaps.models import FaceSwapTask
from testing import priorities_of_calls, thread_priority
from testing.cast import upload_photo

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

ONE_FACE_FOR_THE_PARTNER = "This photo shows only one face, and it is already yours: choose a photo of your partner."


def check(client, role, **data):
    response = client.post(reverse("swaps:photo_check"), {"role": role, **data})
    assert response.status_code == 200
    return response.json()


def test_the_casual_couple_photo_offers_both_faces_with_a_note_on_the_small_one(client, alice, faces_dir):
    client.force_login(alice)
    path = faces_dir / "couple_man_woman_casual.jpg"
    you = check(client, "husband", file=SimpleUploadedFile(path.name, path.read_bytes()))
    assert you["ok"] and you["message"] == "This photo shows 2 faces: tap the one to use."
    assert [face["index"] for face in you["faces"]] == [0, 1] and you["chosen"] == 0
    assert you["faces"][1]["note"] == "small, the result will be soft"  # the woman's, about 60 px
    # The same photo for your partner: the face you did not take is theirs at once.
    partner = check(client, "wife", image=you["image"]["id"], partner_image=you["image"]["id"], partner_face=0)
    assert partner["ok"] and partner["chosen"] == 1
    assert partner["notes"] == ["The face your partner did not take is chosen for now."]


def test_a_one_face_photo_is_not_offered_to_the_second_partner(client, alice, faces_dir):
    client.force_login(alice)
    photo = upload_photo(alice, faces_dir / "man_single_obama.jpg")
    you = check(client, "husband", image=photo.pk)
    assert you["ok"] and you["message"] == "We found the face in this photo."
    partner = check(client, "wife", image=photo.pk, partner_image=photo.pk, partner_face=0)
    assert not partner["ok"]
    assert partner["message"] == ONE_FACE_FOR_THE_PARTNER
    # Chosen for you after your partner took it: the words say whose it is.
    you = check(client, "husband", image=photo.pk, partner_image=photo.pk, partner_face=0)
    assert you["message"] == (
        "This photo shows only one face, and it is already your partner's: choose a photo of you."
    )
    # Another photo of your partner's makes no difference to yours.
    other = upload_photo(alice, faces_dir / "woman_single_astronaut.png")
    assert check(client, "husband", image=photo.pk, partner_image=other.pk, partner_face=0)["ok"]


def test_sending_one_face_photo_for_both_says_so_under_the_partner(client, alice, couple_template, faces_dir):
    client.force_login(alice)
    photo = upload_photo(alice, faces_dir / "man_single_obama.jpg")
    page = client.post(
        reverse("swaps:new", args=[couple_template.pk]), {"husband_photo": photo.pk, "wife_photo": photo.pk}
    )
    assert page.status_code == 200 and not FaceSwapTask.objects.exists()
    assert ONE_FACE_FOR_THE_PARTNER in page.text
    assert "tap your partner's face in it" not in page.text


def test_one_couple_photo_sent_for_both_gives_each_their_own_face(client, alice, couple_template, faces_dir):
    client.force_login(alice)
    couple = upload_photo(alice, faces_dir / "couple_man_woman_casual.jpg")
    response = client.post(
        reverse("swaps:new", args=[couple_template.pk]), {"husband_photo": couple.pk, "wife_photo": couple.pk}
    )
    task = FaceSwapTask.objects.get()
    assert response["Location"] == task.get_absolute_url()
    assert (task.source_faces["husband"]["index"], task.source_faces["wife"]["index"]) == (0, 1)


@pytest.mark.parametrize(("width", "height"), [(1, 1), (50, 1)])
def test_a_one_pixel_high_jpeg_gets_a_plain_refusal_everywhere(client, alice, couple_template, width, height):
    buffer = io.BytesIO()
    PILImage.new("RGB", (width, height), (180, 150, 130)).save(buffer, "JPEG")
    client.force_login(alice)
    message = f"This photo is only {width}x{height} pixels, too small to show a face; please upload a larger photo."
    result = check(client, "wife", file=SimpleUploadedFile("tiny.jpg", buffer.getvalue()))
    assert not result["ok"] and result["message"] == message
    page = client.post(
        reverse("swaps:new", args=[couple_template.pk]),
        {"husband_upload": SimpleUploadedFile("tiny.jpg", buffer.getvalue())},
    )
    assert page.status_code == 200 and message in page.text
    # My photos: the upload's check (run when a photo is added) marks it, nothing answers 500.
    response = client.post(reverse("gallery:photo_list"), {"photos": SimpleUploadedFile("tiny.jpg", buffer.getvalue())})
    assert response.status_code in (200, 302)
    listing = client.get(reverse("gallery:photo_list"))
    assert listing.status_code == 200


def test_checking_a_stored_photo_runs_below_the_pages_priority(client, alice, faces_dir, settings, monkeypatch):
    """Looking for faces in a photo already stored (picked in the form) is heavy work like an upload: it
    used to run at the pages' priority, so a flood of checks slowed everybody's pages."""
    from swaps import views

    settings.HEAVY_WORK_NICE = 5
    page_priority = thread_priority()
    client.force_login(alice)
    photo = upload_photo(alice, faces_dir / "man_single_obama.jpg")
    seen = priorities_of_calls(monkeypatch, views.services, "swap_photo_prepare")
    answer = check(client, "husband", image=photo.pk)
    assert answer["ok"], answer
    assert seen == [min(19, page_priority + 5)]
    assert thread_priority() == page_priority
