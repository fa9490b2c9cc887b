"""Partner consent: a swap with a partner's face waits until the partner agreed through their link (no
account), an agreement is asked once per face, and declining or withdrawing deletes the photo and every
picture made with it. Real engine (the faces and their descriptors), real PostgreSQL and Redis queue."""

import io
import re
from datetime import timedelta

import django_rq
import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image as PILImage

from gallery.models import Image
from swaps import services
from swaps.models import FaceSwapTask, HolderFace, PartnerConsent
from swaps.services import SWAP_JOBS, PersonPhoto, SwapSubmitError, album_submit, swap_run, swap_submit
from testing.cast import stored_files, submit_as_me, template_from_photo, upload_photo, upload_photo_bytes

pytestmark = [pytest.mark.slow, pytest.mark.django_db, pytest.mark.usefixtures("consent_on")]


def queued() -> list[str]:
    return django_rq.get_queue("swaps").job_ids


def test_a_swap_waits_for_the_partner_and_nothing_runs(
    alice, alice_photos, couple_template, django_capture_on_commit_callbacks
):
    husband, wife = alice_photos
    task = submit_as_me(alice, couple_template, husband, wife, django_capture_on_commit_callbacks)
    consent = task.consent
    assert task.status == "pending" and task.waiting_for_partner
    assert SWAP_JOBS.job_id(task.pk) not in queued()  # nothing is queued
    assert swap_run(task_id=task.pk) is None  # nor run, however a job would reach a worker
    assert FaceSwapTask.objects.get(pk=task.pk).status == "pending"
    # The token: 192 random bits (32 URL-safe characters), expiring after PARTNER_CONSENT_DAYS.
    assert len(consent.token) == 32 and re.fullmatch(r"[A-Za-z0-9_-]+", consent.token)
    assert timedelta(days=6, hours=23) < consent.expires_at - timezone.now() <= timedelta(days=7)
    assert len(consent.descriptor) == 128  # the face's descriptor, no picture

    holder = Client()
    holder.force_login(alice)
    page = holder.get(task.get_absolute_url()).text
    assert "Waiting for your partner to agree" in page
    assert consent.get_absolute_url() in page  # the invite link, shown again on the swap page
    status = holder.get(reverse("swaps:status", args=[task.pk])).json()
    assert status["waiting_for_partner"] is True and status["step"] == "Waiting for your partner to agree"
    assert "Waiting for your partner to agree" in holder.get(reverse("swaps:list")).text


def test_the_partner_sees_only_their_face_and_the_holders_name(
    alice, bob, alice_photos, couple_template, django_capture_on_commit_callbacks
):
    husband, wife = alice_photos
    consent = submit_as_me(alice, couple_template, husband, wife, django_capture_on_commit_callbacks).consent
    partner = Client()
    page = partner.get(consent.get_absolute_url())
    assert page.status_code == 200 and page["Referrer-Policy"] == "same-origin"
    assert "alice asks for your agreement" in page.text
    assert alice.email not in page.text and f"/photos/{wife.pk}" not in page.text
    assert wife.get_file_url() not in page.text
    face = partner.get(reverse("consent:face", args=[consent.token]))
    crop = PILImage.open(io.BytesIO(face.content))
    assert face["Content-Type"] == "image/jpeg" and max(crop.size) <= 320
    assert crop.size[0] * crop.size[1] < wife.width * wife.height / 2  # the face, not the photo

    # Another account can neither see nor change the holder's invitation; the holder cannot answer it.
    other = Client()
    other.force_login(bob)
    assert other.post(reverse("swaps:consent_renew", args=[consent.pk])).status_code == 404
    assert other.post(reverse("swaps:consent_email", args=[consent.pk]), {"email": "x@example.com"}).status_code == 404
    holder = Client()
    holder.force_login(alice)
    assert "This invitation is for your partner" in holder.get(consent.get_absolute_url()).text
    assert holder.post(reverse("consent:agree", args=[consent.token])).status_code == 404
    consent.refresh_from_db()
    assert consent.status == "waiting"
    # The holder may send the link by e-mail through the site.
    holder.post(reverse("swaps:consent_email", args=[consent.pk]), {"email": "sam@example.com"})
    assert mail.outbox[-1].to == ["sam@example.com"]
    assert consent.get_absolute_url() in mail.outbox[-1].body and "alice" in mail.outbox[-1].subject


def test_agreeing_uses_the_link_up_and_the_swap_runs(
    alice, alice_photos, couple_template, django_capture_on_commit_callbacks
):
    husband, wife = alice_photos
    task = submit_as_me(alice, couple_template, husband, wife, django_capture_on_commit_callbacks)
    token = task.consent.token
    partner = Client()
    with django_capture_on_commit_callbacks(execute=True):
        answer = partner.post(reverse("consent:agree", args=[token]))
    assert answer.status_code == 302 and "/consent/agreed/" in answer["Location"]
    assert SWAP_JOBS.job_id(task.pk) in queued()  # queued the moment the partner agreed
    # Single use: the invitation, its face and its buttons answer 404 from now on.
    assert partner.get(reverse("consent:invite", args=[token])).status_code == 404
    assert partner.get(reverse("consent:face", args=[token])).status_code == 404
    assert partner.post(reverse("consent:agree", args=[token])).status_code == 404
    assert partner.post(reverse("consent:decline", args=[token])).status_code == 404
    kept = partner.get(answer["Location"])
    assert kept.status_code == 200 and "Withdraw my agreement" in kept.text
    done = swap_run(task_id=task.pk)
    assert done.status == "completed" and done.result_image is not None


def test_an_expired_link_answers_404(alice, alice_photos, couple_template, django_capture_on_commit_callbacks):
    husband, wife = alice_photos
    consent = submit_as_me(alice, couple_template, husband, wife, django_capture_on_commit_callbacks).consent
    PartnerConsent.objects.filter(pk=consent.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    partner = Client()
    assert partner.get(consent.get_absolute_url()).status_code == 404
    assert partner.post(reverse("consent:agree", args=[consent.token])).status_code == 404
    # The holder makes a new link; the old one stays dead.
    holder = Client()
    holder.force_login(alice)
    assert "The invitation link has expired" in holder.get(consent.tasks.get().get_absolute_url()).text
    holder.post(reverse("swaps:consent_renew", args=[consent.pk]))
    renewed = PartnerConsent.objects.get(pk=consent.pk)
    assert renewed.token != consent.token and renewed.is_open
    assert partner.get(reverse("consent:invite", args=[consent.token])).status_code == 404
    assert partner.get(renewed.get_absolute_url()).status_code == 200


def test_a_face_already_agreed_to_is_not_asked_again_and_an_album_asks_once(
    alice, alice_photos, couple_template, faces_dir, django_capture_on_commit_callbacks
):
    husband, wife = alice_photos
    # An album of two scenes: one invitation for both.
    templates = [couple_template, template_from_photo(faces_dir / "couple_man_woman_casual.jpg")]
    with django_capture_on_commit_callbacks(execute=True):
        album = album_submit(
            user=alice,
            templates=templates,
            husband=PersonPhoto(image=husband),
            wife=PersonPhoto(image=wife),
            this_is_me=True,
        )
    assert PartnerConsent.objects.count() == 1
    assert {task.consent_id for task in album.tasks.all()} == {PartnerConsent.objects.get().pk}
    holder = Client()
    holder.force_login(alice)
    assert holder.get(album.get_absolute_url()).text.count('id="partner-waiting"') == 1
    consent = PartnerConsent.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(reverse("consent:agree", args=[consent.token]))

    # The same face in another photo (a smaller copy): agreed already, the swap is queued at once.
    with PILImage.open(wife.file.open("rb")) as picture:
        buffer = io.BytesIO()
        picture.convert("RGB").resize((picture.width * 3 // 4, picture.height * 3 // 4)).save(buffer, "JPEG")
    same_face = upload_photo_bytes(alice, buffer.getvalue(), "her-again.jpg")
    assert same_face.pk != wife.pk
    again = submit_as_me(alice, couple_template, husband, same_face, django_capture_on_commit_callbacks)
    assert again.consent_id == consent.pk and not again.waiting_for_partner
    assert PartnerConsent.objects.count() == 1

    # Someone else's face as "your partner": a new invitation.
    stranger = upload_photo(alice, faces_dir / "couple_man_woman_closeup.jpg")
    other = submit_as_me(alice, couple_template, husband, stranger, django_capture_on_commit_callbacks)
    assert other.waiting_for_partner and other.consent_id != consent.pk


def test_withdrawing_deletes_the_photo_and_every_result_files_and_rows(
    alice, alice_photos, couple_template, settings, django_capture_on_commit_callbacks
):
    husband, wife = alice_photos
    task = submit_as_me(alice, couple_template, husband, wife, django_capture_on_commit_callbacks)
    partner = Client()
    with django_capture_on_commit_callbacks(execute=True):
        agreed_url = partner.post(reverse("consent:agree", args=[task.consent.token]))["Location"]
    done = swap_run(task_id=task.pk)
    result = done.result_image
    link = services.share_create(user=alice, task=done, days=7)
    files_before = stored_files(settings)
    assert any(result.file.name in name or name.endswith(result.file.name) for name in files_before)

    with django_capture_on_commit_callbacks(execute=True):
        page = partner.post(agreed_url)
    assert page.status_code == 200 and "Your agreement is withdrawn" in page.text
    assert not FaceSwapTask.objects.filter(pk=task.pk).exists()
    assert not Image.objects.filter(pk__in=[wife.pk, result.pk]).exists()
    assert Image.objects.filter(pk=husband.pk).exists()  # the holder's own photo stays
    left = stored_files(settings)
    assert not [name for name in left if wife.file.name in name or result.file.name in name]
    assert Client().get(link.get_absolute_url()).status_code == 404
    assert partner.get(agreed_url).status_code == 404  # withdrawn once; the link is used up
    # The holder is told: by e-mail, on My swaps, and the old swap's page leads there.
    assert mail.outbox[-1].to == [alice.email] and "withdrew" in mail.outbox[-1].subject
    holder = Client()
    holder.force_login(alice)
    assert holder.get(reverse("swaps:detail", args=[task.pk]))["Location"] == reverse("swaps:list")
    listing = holder.get(reverse("swaps:list")).text
    assert "Your partner withdrew their agreement" in listing and "1 picture with their face were deleted" in listing


def test_declining_runs_nothing_and_deletes_the_photo(
    alice, alice_photos, couple_template, settings, django_capture_on_commit_callbacks
):
    husband, wife = alice_photos
    task = submit_as_me(alice, couple_template, husband, wife, django_capture_on_commit_callbacks)
    token = task.consent.token
    with django_capture_on_commit_callbacks(execute=True):  # files go once the deletion commits
        page = Client().post(reverse("consent:decline", args=[token]))
    assert page.status_code == 200 and "You declined" in page.text
    assert not FaceSwapTask.objects.filter(pk=task.pk).exists()
    assert not Image.objects.filter(pk=wife.pk).exists()
    assert not [name for name in stored_files(settings) if wife.file.name in name]
    assert Client().get(reverse("consent:invite", args=[token])).status_code == 404
    consent = PartnerConsent.objects.get()
    assert consent.status == "declined" and consent.descriptor == [] and consent.photo is None
    assert "declined" in mail.outbox[-1].subject
    holder = Client()
    holder.force_login(alice)
    assert "Your partner declined" in holder.get(reverse("swaps:list")).text


def test_you_confirm_your_own_face_once_and_someone_elses_is_refused_as_yours(
    alice, alice_photos, couple_template, faces_dir, django_capture_on_commit_callbacks
):
    husband, wife = alice_photos
    holder = Client()
    holder.force_login(alice)
    form = holder.get(reverse("swaps:new", args=[couple_template.pk])).text
    assert 'id="id_this_is_me"' in form and "Your partner gets a link to agree" in form
    # Not ticked: nothing is made, and "you" is told what to do.
    with pytest.raises(SwapSubmitError) as refused:
        swap_submit(
            user=alice, template=couple_template, husband=PersonPhoto(image=husband), wife=PersonPhoto(image=wife)
        )
    assert "Tick “This is me”" in refused.value.message_dict["husband"][0]
    assert not FaceSwapTask.objects.exists() and not HolderFace.objects.exists()
    # Ticked once: the face is kept as a descriptor only, and never asked again.
    submit_as_me(alice, couple_template, husband, wife, django_capture_on_commit_callbacks)
    assert len(HolderFace.objects.get(user=alice).descriptor) == 128
    assert 'id="id_this_is_me"' not in holder.get(reverse("swaps:new", args=[couple_template.pk])).text
    # Someone else's face as "you" is refused: that person would need their own agreement.
    stranger = upload_photo(alice, faces_dir / "two_men_whitehouse.jpg")
    with pytest.raises(SwapSubmitError) as other:
        submit_as_me(alice, couple_template, stranger, wife, django_capture_on_commit_callbacks)
    assert "This is not the face you confirmed as yours" in other.value.message_dict["husband"][0]
    # My account shows it and can forget it; the next swap asks again.
    account = holder.get(reverse("accounts:profile")).text
    assert 'id="self-face"' in account and "Forget my face" in account
    holder.post(reverse("swaps:holder_face_forget"))
    assert not HolderFace.objects.filter(user=alice).exists()
    assert 'id="id_this_is_me"' in holder.get(reverse("swaps:new", args=[couple_template.pk])).text


def test_staff_see_agreements_but_never_their_links(
    alice, alice_photos, couple_template, admin_client, django_capture_on_commit_callbacks
):
    husband, wife = alice_photos
    consent = submit_as_me(alice, couple_template, husband, wife, django_capture_on_commit_callbacks).consent
    listing = admin_client.get(reverse("admin:swaps_partnerconsent_changelist")).text
    page = admin_client.get(reverse("admin:swaps_partnerconsent_change", args=[consent.pk])).text
    assert "alice" in listing and "Waiting for your partner" in page
    assert consent.token not in listing + page
    assert admin_client.get(reverse("admin:swaps_partnerconsent_add")).status_code == 403


def test_staff_tools_that_make_a_swap_from_packaged_pictures_do_not_wait(alice, alice_photos, couple_template):
    """swap_create (seed_demo_swaps' demo swap from packaged pictures) asks no one; swap_submit, the entry
    for people's requests, always does."""
    from swaps.services import swap_create

    husband, wife = alice_photos
    task = swap_create(user=alice, template=couple_template, husband_image=husband, wife_image=wife)
    assert task.consent is None and not task.waiting_for_partner
    assert swap_run(task_id=task.pk).status == "completed"


def test_the_partner_may_make_a_login_linked_to_the_holder_and_withdraw_there(
    alice, bob, alice_photos, couple_template, django_capture_on_commit_callbacks
):
    husband, wife = alice_photos
    task = submit_as_me(alice, couple_template, husband, wife, django_capture_on_commit_callbacks)
    partner = Client()
    with django_capture_on_commit_callbacks(execute=True):
        agreed_url = partner.post(reverse("consent:agree", args=[task.consent.token]))["Location"]
    token = agreed_url.rstrip("/").rsplit("/", 1)[1]
    assert 'id="consent-login"' in partner.get(agreed_url).text
    result = swap_run(task_id=task.pk).result_image
    # A weak password or a taken e-mail is refused plainly; nothing is made.
    weak = partner.post(
        reverse("consent:partner_login", args=[token]),
        {"username": "sam", "email": "sam@example.com", "password": "123"},
    )
    assert weak.status_code == 400 and 'id="consent-login"' in weak.text
    taken = partner.post(
        reverse("consent:partner_login", args=[token]),
        {"username": "sam", "email": alice.email, "password": "a-long-good-passphrase-7"},
    )
    assert "already uses this e-mail" in taken.text
    made = partner.post(
        reverse("consent:partner_login", args=[token]),
        {"username": "sam", "email": "sam@example.com", "password": "a-long-good-passphrase-7"},
    )
    assert made.status_code == 302 and made["Location"] == reverse("swaps:list")
    consent = PartnerConsent.objects.get()
    assert consent.partner_user.username == "sam"
    # Logged in as themselves: the couple's picture made with their face, to them alone.
    page = partner.get(reverse("swaps:list")).text
    picture_url = result.get_thumbnail_url()
    assert "Made with your face" in page and picture_url in page and "You agreed that alice may use your face" in page
    assert partner.get(picture_url).status_code == 200
    other = Client()
    other.force_login(bob)
    assert other.get(picture_url).status_code == 404
    assert other.post(reverse("swaps:agreement_withdraw", args=[consent.pk])).status_code == 404
    # A second login for the same agreement is refused.
    assert (
        Client()
        .post(
            reverse("consent:partner_login", args=[token]),
            {"username": "kim", "email": "k@example.com", "password": "a-long-good-passphrase-7"},
        )
        .status_code
        == 404
    )
    # Withdrawing from their own login deletes the photo and the pictures, as the link does.
    with django_capture_on_commit_callbacks(execute=True):
        partner.post(reverse("swaps:agreement_withdraw", args=[consent.pk]))
    assert not FaceSwapTask.objects.exists() and not Image.objects.filter(pk=wife.pk).exists()
    assert partner.get(picture_url).status_code == 404
    assert PartnerConsent.objects.get().status == "withdrawn"


def test_a_photos_face_is_described_once_and_kept(alice, alice_photos):
    from django.core.cache import cache

    from swaps.services.consent import DESCRIPTOR_KEY, partner_descriptor

    _, wife = alice_photos
    services.swap_photo_check(image=wife)  # its faces found and kept, as a swap's submit does
    wife.refresh_from_db()
    key = DESCRIPTOR_KEY.format(image=wife.pk, index=0, size=wife.file_size or 0)
    cache.delete(key)
    first = partner_descriptor(image=wife, face_index=0)
    assert len(first) == 128 and cache.get(key) == first
    cache.set(key, [0.5] * 128)  # the kept one is what the next swap reads
    assert partner_descriptor(image=wife, face_index=0) == [0.5] * 128


def test_the_holder_may_end_the_agreement_too(
    alice, bob, alice_photos, couple_template, django_capture_on_commit_callbacks
):
    husband, wife = alice_photos
    task = submit_as_me(alice, couple_template, husband, wife, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(reverse("consent:agree", args=[task.consent.token]))
    swap_run(task_id=task.pk)
    holder = Client()
    holder.force_login(alice)
    end_url = reverse("swaps:agreement_end", args=[task.consent_id])
    assert end_url in holder.get(reverse("swaps:list")).text
    other = Client()
    other.force_login(bob)
    assert other.post(end_url).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        holder.post(end_url)
    assert not FaceSwapTask.objects.exists() and not Image.objects.filter(pk=wife.pk).exists()
    assert PartnerConsent.objects.get().status == "withdrawn"
    assert "You ended your partner's agreement" in holder.get(reverse("swaps:list")).text
