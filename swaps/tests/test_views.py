import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from swaps.models import FaceSwapTask
from swaps.services import swap_create, swap_fail, swap_run
from testing import priorities_of_calls, thread_priority
from testing.cast import two_people_picture, upload_photo, user_create

pytestmark = pytest.mark.django_db


def photo_file(path):
    return SimpleUploadedFile(path.name, path.read_bytes())


@pytest.fixture
def alice_task(alice, alice_photos, couple_template):
    return swap_create(user=alice, template=couple_template, husband_image=alice_photos[0], wife_image=alice_photos[1])


def test_the_swap_form_needs_a_login(client, couple_template):
    response = client.get(reverse("swaps:new", args=[couple_template.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_swap_form_offers_my_photos_only(client, alice, bob, alice_photos, couple_template, faces_dir):
    bobs = upload_photo(bob, faces_dir / "man_single_obama.jpg")
    client.force_login(alice)
    response = client.get(reverse("swaps:new", args=[couple_template.pk]))
    assert response.status_code == 200
    assert f'value="{alice_photos[0].pk}"' in response.text
    assert f'value="{bobs.pk}"' not in response.text


def test_submitting_two_uploads_creates_a_task_and_shows_its_page(client, alice, couple_template, faces_dir):
    client.force_login(alice)
    response = client.post(
        reverse("swaps:new", args=[couple_template.pk]),
        {
            "husband_upload": photo_file(faces_dir / "man_single_obama.jpg"),
            "wife_upload": photo_file(faces_dir / "woman_single_astronaut.png"),
        },
    )
    task = FaceSwapTask.objects.get(user=alice)
    assert response.status_code == 302 and response["Location"] == task.get_absolute_url()
    page = client.get(task.get_absolute_url())
    assert "Waiting for a free worker" in page.text
    assert 'id="task-progress"' in page.text
    assert '<noscript><meta http-equiv="refresh"' in page.text  # works without JavaScript too


def test_a_photo_without_a_face_is_refused_and_not_kept_while_the_good_one_stays_chosen(
    client, alice, couple_template, faces_dir
):
    client.force_login(alice)
    response = client.post(
        reverse("swaps:new", args=[couple_template.pk]),
        {
            "husband_upload": photo_file(faces_dir / "man_single_obama.jpg"),
            "wife_upload": photo_file(faces_dir / "noface_coffee.png"),
        },
    )
    assert response.status_code == 200
    assert "This photo shows no face" in response.text
    assert not FaceSwapTask.objects.exists()
    # The refused upload is not stored; the usable one is in My photos and stays chosen for the husband.
    husband = alice.images.get(image_type="source")
    assert husband.filename == "man_single_obama.jpg"
    assert f'name="husband_photo" value="{husband.pk}" checked' in response.text
    assert f'name="wife_photo" value="{husband.pk}" checked' not in response.text
    assert "We found the face in this photo." in response.text
    assert reverse("swaps:photo_face", args=[husband.pk, 0]) in response.text  # its crop


def test_choosing_nothing_says_what_to_do(client, alice, couple_template):
    client.force_login(alice)
    response = client.post(reverse("swaps:new", args=[couple_template.pk]), {})
    assert "Choose your photo from your photos, or upload one." in response.text
    assert "Choose your partner&#x27;s photo from your photos, or upload one." in response.text
    words = re.sub(r"<[^>]*>", " ", response.text)
    assert "husband" not in words and "wife" not in words  # the site says "you and your partner"


def two_people_one_in_front(faces_dir) -> SimpleUploadedFile:
    return SimpleUploadedFile("with-a-friend.jpg", two_people_picture(faces_dir))


def test_photo_check_uploads_and_shows_the_face_that_will_be_used(client, alice, faces_dir):
    client.force_login(alice)
    response = client.post(
        reverse("swaps:photo_check"), {"role": "husband", "file": two_people_one_in_front(faces_dir)}
    )
    data = response.json()
    assert data["ok"] is True, data
    assert data["message"] == "This photo shows 2 faces: tap the one to use."
    assert data["notes"] == ["The largest face is chosen for now."]
    photo = alice.images.get()
    assert photo.pk == data["image"]["id"]  # the upload is in My photos now
    assert [(face["index"], face["chosen"]) for face in data["faces"]] == [(0, True), (1, False)]
    for face in data["faces"]:
        crop = client.get(face["url"])
        assert crop.status_code == 200 and crop["Content-Type"] == "image/jpeg"
    assert client.get(reverse("swaps:photo_face", args=[photo.pk, 2])).status_code == 404
    again = client.post(reverse("swaps:photo_check"), {"role": "wife", "image": photo.pk, "face": 1}).json()
    assert again["chosen"] == 1 and again["notes"] == []


def test_photo_check_refuses_a_photo_without_a_face_and_keeps_nothing(client, alice, faces_dir):
    client.force_login(alice)
    response = client.post(
        reverse("swaps:photo_check"), {"role": "wife", "file": photo_file(faces_dir / "noface_coffee.png")}
    )
    assert response.json() == {
        "ok": False,
        "message": "This photo shows no face we can find; please upload a clear photo of the face.",
        "notes": [],
        "image": None,
        "faces": [],
        "chosen": 0,
    }
    assert not alice.images.exists()


def test_a_couple_photo_for_both_and_switching_places_without_javascript(client, alice, couple_template, faces_dir):
    client.force_login(alice)
    couple = upload_photo(alice, faces_dir / "couple_man_woman_closeup.jpg")
    url = reverse("swaps:new", args=[couple_template.pk])
    page = client.post(
        url, {"husband_photo": couple.pk, "husband_face": 1, "wife_photo": couple.pk, "wife_face": 0, "switch": "1"}
    )
    assert page.status_code == 200 and not FaceSwapTask.objects.exists()
    assert 'name="husband_face" value="0" checked' in page.text
    assert 'name="wife_face" value="1" checked' in page.text
    response = client.post(
        url, {"husband_photo": couple.pk, "husband_face": 0, "wife_photo": couple.pk, "wife_face": 1}
    )
    task = FaceSwapTask.objects.get()
    assert response["Location"] == task.get_absolute_url()
    assert (task.source_faces["husband"]["index"], task.source_faces["wife"]["index"]) == (0, 1)


def test_a_submit_without_javascript_runs_below_the_pages_priority(
    client, alice, couple_template, faces_dir, settings, monkeypatch
):
    """Without JavaScript the photos are checked and described on submit: heavy work, so below the pages'
    priority as an upload is; the request's own thread keeps the pages' priority."""
    from swaps import views

    settings.HEAVY_WORK_NICE = 5
    page_priority = thread_priority()
    client.force_login(alice)
    couple = upload_photo(alice, faces_dir / "couple_man_woman_closeup.jpg")
    seen = priorities_of_calls(monkeypatch, views.services, "swap_submit")
    response = client.post(
        reverse("swaps:new", args=[couple_template.pk]),
        {"husband_photo": couple.pk, "husband_face": 0, "wife_photo": couple.pk, "wife_face": 1},
    )
    assert response["Location"] == FaceSwapTask.objects.get().get_absolute_url()
    assert seen == [min(19, page_priority + 5)]
    assert thread_priority() == page_priority


def test_photo_check_explains_a_bad_file(client, alice):
    client.force_login(alice)
    response = client.post(
        reverse("swaps:photo_check"), {"role": "wife", "file": SimpleUploadedFile("x.jpg", b"not a picture at all")}
    )
    data = response.json()
    assert data["ok"] is False and data["image"] is None
    assert data["message"].startswith("This file is not a picture we can read")
    assert not alice.images.exists()


def test_status_endpoint_reports_progress(client, alice, alice_task):
    client.force_login(alice)
    data = client.get(reverse("swaps:status", args=[alice_task.pk])).json()
    assert data == {
        "status": "pending",
        "status_label": "Waiting",
        "progress": 0,
        "step": "Waiting for a free worker…",
        "phase": 0,
        "ahead": 0,
        "finished": False,
        "error_message": None,
        "waiting_for_partner": False,
    }
    # A second swap queued behind it is told one is ahead; a started one is at its step.
    later = swap_create(
        user=alice,
        template=alice_task.template,
        husband_image=alice_task.husband_image,
        wife_image=alice_task.wife_image,
    )
    assert client.get(reverse("swaps:status", args=[later.pk])).json()["ahead"] == 1
    FaceSwapTask.objects.filter(pk=alice_task.pk).update(status="processing", progress=70)
    data = client.get(reverse("swaps:status", args=[alice_task.pk])).json()
    assert (data["phase"], data["ahead"], data["step"]) == (3, 0, "Swapping in your partner's face…")
    page = client.get(alice_task.get_absolute_url()).text
    assert page.index('class="task-step is-done" data-phase="2"') < page.index(
        'class="task-step is-current" data-phase="3"'
    )


def test_a_failed_task_shows_the_engines_message_and_try_again(client, alice, alice_task):
    swap_fail(task_id=alice_task.pk, message="The wife photo shows the face from the side; please upload a photo.")
    client.force_login(alice)
    page = client.get(alice_task.get_absolute_url())
    assert "The wife photo shows the face from the side; please upload a photo." in page.text
    assert "Try again" in page.text
    client.post(reverse("swaps:retry", args=[alice_task.pk]))
    alice_task.refresh_from_db()
    assert alice_task.status == "pending"


def test_a_completed_task_shows_result_download_and_reuse(client, alice, alice_task):
    task = swap_run(task_id=alice_task.pk)
    client.force_login(alice)
    page = client.get(task.get_absolute_url())
    assert 'id="result-image"' in page.text
    assert f"{task.result_image.get_file_url()}?download=1" in page.text
    assert "Try these photos on another template" in page.text
    listing = client.get(reverse("swaps:list"))
    assert task.result_image.get_thumbnail_url() in listing.text
    download = client.get(task.result_image.get_file_url(), {"download": "1"})
    assert download.status_code == 200
    assert "attachment" in download["Content-Disposition"]


def test_reuse_photos_preselects_them_on_the_next_template(client, alice, alice_task, alice_photos, couple_template):
    client.force_login(alice)
    client.post(reverse("swaps:reuse_photos", args=[alice_task.pk]))
    form = client.get(reverse("swaps:new", args=[couple_template.pk]))
    assert f'value="{alice_photos[0].pk}" checked' in form.text
    assert f'value="{alice_photos[1].pk}" checked' in form.text


def test_my_swaps_lists_only_my_tasks_newest_first(client, alice, bob, alice_task, alice_photos, couple_template):
    second = swap_create(
        user=alice, template=couple_template, husband_image=alice_photos[1], wife_image=alice_photos[0]
    )
    client.force_login(alice)
    page = client.get(reverse("swaps:list")).text
    assert page.index(f"Delete swap #{second.pk}") < page.index(f"Delete swap #{alice_task.pk}")
    client.force_login(bob)
    assert "You have not made a swap yet." in client.get(reverse("swaps:list")).text


def test_delete_asks_first_then_trash_with_undo_restore_and_delete_for_good(
    client, alice, alice_task, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    url = reverse("swaps:delete", args=[alice_task.pk])
    confirm = client.get(url)
    assert "Delete this swap?" in confirm.text and FaceSwapTask.objects.filter(pk=alice_task.pk).exists()
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == reverse("swaps:list")
    task = FaceSwapTask.objects.get(pk=alice_task.pk)
    assert task.deleted_at is not None and task.status == "failed"  # never made now
    page = client.get(reverse("swaps:list")).text
    assert "was moved to the trash." in page and reverse("swaps:restore", args=[task.pk]) in page
    assert f"Delete swap #{task.pk}" not in page
    assert "was moved to the trash." not in client.get(reverse("swaps:list")).text  # offered once
    assert client.get(task.get_absolute_url()).status_code == 404
    client.post(reverse("swaps:restore", args=[task.pk]))
    assert client.get(task.get_absolute_url()).status_code == 200
    client.post(url)
    assert f"Delete swap #{task.pk} for good" in client.get(reverse("swaps:trash")).text
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("swaps:delete_forever", args=[task.pk]))
    assert not FaceSwapTask.objects.filter(pk=task.pk).exists()


def test_the_trash_is_emptied_after_30_days(alice, alice_task):
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    recent = swap_create(
        user=alice,
        template=alice_task.template,
        husband_image=alice_task.husband_image,
        wife_image=alice_task.wife_image,
    )
    FaceSwapTask.objects.filter(pk=alice_task.pk).update(deleted_at=timezone.now() - timedelta(days=31))
    FaceSwapTask.objects.filter(pk=recent.pk).update(deleted_at=timezone.now() - timedelta(days=29))
    call_command("empty_swap_trash")
    assert list(FaceSwapTask.objects.values_list("pk", flat=True)) == [recent.pk]


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("swaps:detail", "get"),
        ("swaps:status", "get"),
        ("swaps:retry", "post"),
        ("swaps:delete", "post"),
        ("swaps:reuse_photos", "post"),
    ],
)
def test_another_user_gets_404_for_my_task(client, bob, alice_task, name, method):
    client.force_login(bob)
    response = getattr(client, method)(reverse(name, args=[alice_task.pk]))
    assert response.status_code == 404
    assert FaceSwapTask.objects.filter(pk=alice_task.pk, status="pending").exists()


def test_another_user_cannot_check_or_crop_my_photo(client, bob, alice_photos):
    client.force_login(bob)
    assert client.post(reverse("swaps:photo_check"), {"role": "wife", "image": alice_photos[1].pk}).status_code == 404
    assert client.get(reverse("swaps:photo_face", args=[alice_photos[1].pk, 0])).status_code == 404


def test_another_users_result_file_is_404(client, alice, bob, alice_task):
    task = swap_run(task_id=alice_task.pk)
    client.force_login(bob)
    assert client.get(task.result_image.get_file_url()).status_code == 404
    assert client.get(task.result_image.get_thumbnail_url()).status_code == 404


def test_my_photos_marks_a_photo_without_a_usable_face_and_leaves_it_out_of_the_picker(
    client, alice, faces_dir, couple_template
):
    client.force_login(alice)
    coffee = (faces_dir / "noface_coffee.png").read_bytes()
    page = client.post(
        reverse("gallery:photo_list"), {"photos": [SimpleUploadedFile("coffee.png", coffee)]}, follow=True
    )
    photo = alice.images.get()
    assert "No usable face: not offered for swaps" in page.text
    # Looked at every way up already: no "Sideways? ↺ Left / ↻ Right" on a cup of coffee.
    assert "We looked for a face every way up and found none." in page.text and "↻ Right" not in page.text
    assert photo.metadata["face_check"]["ok"] is False
    form = client.get(reverse("swaps:new", args=[couple_template.pk]))
    assert f'name="husband_photo" value="{photo.pk}"' not in form.text
    size = (photo.width, photo.height)
    page = client.post(reverse("gallery:image_rotate", args=[photo.pk]), {"direction": "left"}, follow=True)
    photo.refresh_from_db()
    # Turned and looked at again: still no face in a cup of coffee.
    assert (photo.width, photo.height) == size[::-1] and photo.metadata["face_check"]["ok"] is False
    assert "Turned coffee.jpg." in page.text and "No usable face" in page.text


def test_turning_a_photo_marked_without_a_face_checks_it_again(client, alice, faces_dir):
    """A photo an earlier check refused (the engine now also finds faces lying on their side, so the
    refusal is set here as an older check left it) is turned upright and its face found."""
    import io

    from PIL import Image as PILImage

    sideways = PILImage.open(faces_dir / "man_single_obama.jpg").convert("RGB").rotate(90, expand=True)
    buffer = io.BytesIO()
    sideways.save(buffer, "JPEG", quality=90)
    client.force_login(alice)
    client.post(reverse("gallery:photo_list"), {"photos": [SimpleUploadedFile("sideways.jpg", buffer.getvalue())]})
    photo = alice.images.get()
    photo.metadata = {**photo.metadata, "faces": [], "face_check": {"ok": False, "message": "no face"}}
    photo.save(update_fields=["metadata"])
    assert "No usable face" in client.get(reverse("gallery:photo_list")).text
    page = client.post(reverse("gallery:image_rotate", args=[photo.pk]), {"direction": "right"}, follow=True)
    photo.refresh_from_db()
    assert "Turned sideways.jpg." in page.text and "No usable face" not in page.text
    assert photo.metadata["face_check"]["ok"] is True and (photo.width, photo.height) == (820, 1024)
    assert "quarter_turns" not in str(photo.metadata["faces"])  # found upright now


def test_a_failed_album_tile_offers_try_again_and_comes_back_to_the_album(
    client, alice, alice_photos, couple_template, django_capture_on_commit_callbacks
):
    from swaps.services import PersonPhoto, album_submit

    album = album_submit(
        user=alice,
        templates=[couple_template],
        husband=PersonPhoto(image=alice_photos[0]),
        wife=PersonPhoto(image=alice_photos[1]),
    )
    task = album.tasks.get()
    swap_fail(task_id=task.pk, message="The worker stopped.")
    client.force_login(alice)
    page = client.get(album.get_absolute_url()).text
    assert "The worker stopped." in page and f'action="{reverse("swaps:retry", args=[task.pk])}"' in page
    status = client.get(reverse("swaps:album_status", args=[album.pk])).json()
    assert status["finished"] is True and status["items"][0]["status"] == "failed"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("swaps:retry", args=[task.pk]), {"next": album.get_absolute_url()})
    assert response["Location"] == album.get_absolute_url()
    task.refresh_from_db()
    assert task.status == "pending"
    assert client.post(reverse("swaps:retry", args=[task.pk]), {"next": "https://evil.example/"})["Location"] == (
        task.get_absolute_url()
    )
    # A `next` that is no path is still taken as a (relative) URL: redirect() tried to reverse it as a view
    # name, a 500 (found by the URL fuzz).
    odd = client.post(reverse("swaps:retry", args=[task.pk]), {"next": "ü😀"})
    assert odd.status_code == 302 and odd["Location"] == "%C3%BC%F0%9F%98%80"
    assert client.get(reverse("swaps:album_zip", args=[album.pk])).status_code == 404  # nothing ready yet
    client.force_login(bob_user(alice))
    assert client.get(album.get_absolute_url()).status_code == 404


def bob_user(alice):
    return user_create(username="bob2")


def test_favourites_heart_on_cards_and_my_favourites(client, alice, couple_template, faces_dir):
    from testing.cast import template_from_photo

    other = template_from_photo(faces_dir / "couple_man_woman_casual.jpg", title="Picnic")
    gallery = reverse("couple_templates:list")
    client.force_login(alice)
    page = client.get(gallery).text
    assert page.count('class="tpl-fav-button"') == 2 and "My favourites" in page
    response = client.post(reverse("couple_templates:favourite", args=[other.pk]), {"next": gallery})
    assert response["Location"] == gallery
    page = client.get(gallery).text
    assert page.count('class="tpl-fav-button is-on"') == 1 and 'aria-label="Remove “Picnic” from My favourites"' in page
    mine = client.get(reverse("couple_templates:favourites")).text
    assert "Picnic" in mine and "Red carpet" not in mine
    assert f'href="{reverse("swaps:album_new")}?t={other.pk}"' in mine
    client.post(reverse("couple_templates:favourite", args=[other.pk]))
    assert "No favourites yet" in client.get(reverse("couple_templates:favourites")).text
    client.logout()
    assert "tpl-fav-button" not in client.get(gallery).text  # visitors see no heart


def test_my_favourites_old_address_leads_to_the_page_and_a_heart_s_odd_return_value_is_no_error(
    client, alice, couple_template
):
    client.force_login(alice)
    old = client.get("/swaps/favourites/")
    assert old.status_code == 301 and old["Location"] == reverse("couple_templates:favourites")
    heart = reverse("couple_templates:favourite", args=[couple_template.pk])
    for odd in ("0", "-1", "12345678901234567890", "ünïcode"):
        response = client.post(heart, {"next": odd})
        assert response.status_code == 302, odd
    assert client.post(heart, {"next": "https://evil.example/"})["Location"] == reverse("couple_templates:favourites")
