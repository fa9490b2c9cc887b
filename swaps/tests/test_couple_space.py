"""A couple's shared space and the ends of an agreement: the partner's own login sees the couple's swaps
made with their face (My swaps, the swap's page, the picture and its download) and nothing else of the
holder's; either of the two can end it, and so does deleting the partner's login; an invitation nobody
answered ends its swaps by the maintenance pass (time moved forward) and the holder is offered to invite
again. Real engine, real PostgreSQL and Redis queue."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gallery.models import Image
from swaps.models import FaceSwapTask, PartnerConsent
from swaps.services import PersonPhoto, album_submit, consents_expire, swap_create, swap_run
from testing.cast import stored_files, submit_as_me, template_from_photo, upload_photo, user_create

pytestmark = [pytest.mark.slow, pytest.mark.django_db, pytest.mark.usefixtures("consent_on")]

PARTNER_PASSWORD = "a-long-good-passphrase-7"


def agree_with_login(task: FaceSwapTask, capture, username: str = "sam") -> Client:
    """The partner agrees through the link (no account), then makes their own login: their Client."""
    partner = Client()
    with capture(execute=True):
        agreed_url = partner.post(reverse("consent:agree", args=[task.consent.token]))["Location"]
    token = agreed_url.rstrip("/").rsplit("/", 1)[1]
    made = partner.post(
        reverse("consent:partner_login", args=[token]),
        {"username": username, "email": f"{username}@example.com", "password": PARTNER_PASSWORD},
    )
    assert made.status_code == 302
    return partner


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_both_logins_see_the_couples_swaps_and_nobody_else_does(
    alice, bob, alice_photos, couple_template, settings, django_capture_on_commit_callbacks
):
    husband, wife = alice_photos
    task = submit_as_me(alice, couple_template, husband, wife, django_capture_on_commit_callbacks)
    partner = agree_with_login(task, django_capture_on_commit_callbacks)
    done = swap_run(task_id=task.pk)
    result = done.result_image
    # Alice's other swap, made without the partner's face (a packaged-pictures swap): never shared.
    other = swap_create(user=alice, template=couple_template, husband_image=husband, wife_image=husband)

    # The partner's My swaps: the couple's swap, with its picture, in the one grid; nothing else of Alice's.
    listing = partner.get(reverse("swaps:list")).text
    assert done.get_absolute_url() in listing and result.get_thumbnail_url() in listing
    assert "Made by alice with your face" in listing and "You agreed that alice may use your face" in listing
    assert other.get_absolute_url() not in listing
    assert reverse("swaps:delete", args=[done.pk]) not in listing  # the holder's to delete, not theirs
    # Its page: the picture, its download and its details; none of Alice's photos, links or actions.
    page = partner.get(done.get_absolute_url())
    assert page.status_code == 200
    text = page.text
    assert 'id="result-image"' in text and result.get_file_url() in text and 'id="download"' in text
    assert "alice made this swap with your face" in text and 'id="couple-withdraw-button"' in text
    for hidden in (
        husband.get_thumbnail_url(),
        wife.get_thumbnail_url(),
        alice.email,
        'id="share"',
        reverse("swaps:reuse_photos", args=[done.pk]),
        reverse("swaps:delete", args=[done.pk]),
    ):
        assert hidden not in text, hidden
    for url in (result.get_file_url(), result.get_thumbnail_url(), result.get_download_url()):
        shown = partner.get(url)
        # Asked again each time (never kept in the browser), so it goes the moment the agreement does.
        assert shown.status_code == 200 and shown["Cache-Control"] == "private, no-cache", url
    assert partner.get(reverse("swaps:status", args=[done.pk])).json()["status"] == "completed"
    assert partner.get(reverse("swaps:provenance", args=[done.pk])).status_code == 200
    # Read only, and only this: Alice's photos, her other swap and every change answer 404.
    for url in (husband.get_file_url(), wife.get_file_url(), other.get_absolute_url()):
        assert partner.get(url).status_code == 404, url
    for name in ("delete", "retry", "share", "reuse_photos"):
        assert partner.post(reverse(f"swaps:{name}", args=[done.pk]), {"days": "7"}).status_code == 404, name

    chinese = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    chinese.force_login(PartnerConsent.objects.get().partner_user)
    assert "alice 用你的脸制作了这次换脸" in chinese.get(done.get_absolute_url()).text
    # The holder sees who else sees it.
    holder = logged_in(alice)
    assert "Shared with sam" in holder.get(reverse("swaps:list")).text
    assert "Shared with sam: this swap was made with their face" in holder.get(done.get_absolute_url()).text
    assert "sam has their own login" in holder.get(reverse("swaps:list")).text

    # Anyone else: 404 for the page, its progress, its details and the picture.
    stranger = logged_in(bob)
    for url in (
        done.get_absolute_url(),
        reverse("swaps:status", args=[done.pk]),
        reverse("swaps:provenance", args=[done.pk]),
        result.get_file_url(),
        result.get_thumbnail_url(),
    ):
        assert stranger.get(url).status_code == 404, url
    assert done.get_absolute_url() not in stranger.get(reverse("swaps:list")).text

    # A swap the holder moved to the trash leaves the shared space too.
    FaceSwapTask.objects.filter(pk=done.pk).update(deleted_at=timezone.now())
    assert partner.get(done.get_absolute_url()).status_code == 404
    assert partner.get(result.get_file_url()).status_code == 404
    FaceSwapTask.objects.filter(pk=done.pk).update(deleted_at=None)

    # The partner withdraws from the swap's page: the photo and the picture go, files and rows, for both.
    with django_capture_on_commit_callbacks(execute=True):
        answer = partner.post(reverse("swaps:agreement_withdraw", args=[done.consent_id]))
    assert answer.status_code == 302 and answer["Location"] == reverse("swaps:list")
    assert not FaceSwapTask.objects.filter(pk=done.pk).exists()
    assert not Image.objects.filter(pk__in=[wife.pk, result.pk]).exists()
    assert not [name for name in stored_files(settings) if result.file.name in name or wife.file.name in name]
    assert partner.get(done.get_absolute_url()).status_code == 404
    assert partner.get(result.get_file_url()).status_code == 404
    assert "Made with your face" not in partner.get(reverse("swaps:list")).text
    assert holder.get(done.get_absolute_url())["Location"] == reverse("swaps:list")
    assert "Your partner withdrew their agreement" in holder.get(reverse("swaps:list")).text
    assert mail.outbox[-1].to == [alice.email]


def test_the_holder_ending_the_link_takes_the_shared_swaps_away_from_the_partner(
    alice, alice_photos, couple_template, django_capture_on_commit_callbacks
):
    husband, wife = alice_photos
    task = submit_as_me(alice, couple_template, husband, wife, django_capture_on_commit_callbacks)
    partner = agree_with_login(task, django_capture_on_commit_callbacks)
    assert partner.get(task.get_absolute_url()).status_code == 200  # queued, not made yet: shared all the same
    holder = logged_in(alice)
    with django_capture_on_commit_callbacks(execute=True):
        holder.post(reverse("swaps:agreement_end", args=[task.consent_id]))
    assert partner.get(task.get_absolute_url()).status_code == 404
    assert partner.get(reverse("swaps:status", args=[task.pk])).status_code == 404
    assert not FaceSwapTask.objects.filter(pk=task.pk).exists() and not Image.objects.filter(pk=wife.pk).exists()
    assert "You ended your partner's agreement" in holder.get(reverse("swaps:list")).text


def test_deleting_the_partners_login_withdraws_the_agreement(
    alice, alice_photos, couple_template, settings, django_capture_on_commit_callbacks
):
    husband, wife = alice_photos
    task = submit_as_me(alice, couple_template, husband, wife, django_capture_on_commit_callbacks)
    partner = agree_with_login(task, django_capture_on_commit_callbacks)
    result = swap_run(task_id=task.pk).result_image
    consent = PartnerConsent.objects.get()
    sam = consent.partner_user
    mail.outbox.clear()

    # The page that asks says what it does to the agreement.
    ask = partner.get(reverse("accounts:delete")).text
    assert 'id="delete-agreements"' in ask and "withdraws the agreement you gave for your face" in ask
    with django_capture_on_commit_callbacks(execute=True):
        answer = partner.post(reverse("accounts:delete"), {"password": PARTNER_PASSWORD})
    assert answer.status_code == 302
    assert not type(sam).objects.filter(pk=sam.pk).exists()
    # As an explicit withdrawal: the photo and every picture with the face, rows and files; the holder told.
    assert not FaceSwapTask.objects.filter(pk=task.pk).exists()
    assert not Image.objects.filter(pk__in=[wife.pk, result.pk]).exists()
    assert Image.objects.filter(pk=husband.pk).exists()  # the holder's own photo stays
    assert not [name for name in stored_files(settings) if result.file.name in name or wife.file.name in name]
    consent.refresh_from_db()
    assert consent.status == "withdrawn" and consent.withdraw_token is None and consent.descriptor == []
    assert consent.removed["by"] == "account" and consent.removed["pictures"] == 1
    assert [message.to for message in mail.outbox] == [[alice.email]]
    assert "deleted their login" in mail.outbox[0].body
    listing = logged_in(alice).get(reverse("swaps:list")).text
    assert "Your partner deleted their login" in listing and "1 picture with their face were deleted" in listing


def test_a_login_that_gave_no_agreement_is_deleted_as_before(alice, bob, alice_photos, couple_template):
    """Only agreements the leaving login gave are withdrawn: another holder's agreed partner is untouched."""
    from accounts.services import user_delete

    _, wife = alice_photos
    consent = PartnerConsent.objects.create(
        user=alice, photo=wife, status="agreed", expires_at=timezone.now(), withdraw_token="t" * 32
    )
    user_delete(user=bob)
    consent.refresh_from_db()
    assert consent.status == "agreed" and Image.objects.filter(pk=wife.pk).exists()


def test_an_invitation_nobody_answered_ends_its_swaps_and_the_holder_may_invite_again(
    alice, alice_photos, couple_template, faces_dir, settings, monkeypatch, django_capture_on_commit_callbacks
):
    husband, wife = alice_photos
    task = submit_as_me(alice, couple_template, husband, wife, django_capture_on_commit_callbacks)
    consent = task.consent
    token = consent.token
    wife_file = wife.file.name
    # Another swap waiting for another partner's face, its invitation renewed meanwhile: it keeps waiting.
    stranger = upload_photo(alice, faces_dir / "couple_man_woman_casual.jpg")
    waiting = submit_as_me(alice, couple_template, husband, stranger, django_capture_on_commit_callbacks)
    renewed = waiting.consent
    assert renewed.pk != consent.pk
    mail.outbox.clear()

    real_now = timezone.now

    def move_forward(days: float, minutes: float = 0) -> None:
        shift = timedelta(days=days, minutes=minutes)
        monkeypatch.setattr(timezone, "now", lambda: real_now() + shift)

    # Six days on, nothing has expired: the maintenance pass leaves everything waiting.
    move_forward(6)
    with django_capture_on_commit_callbacks(execute=True):
        assert consents_expire() == {"expired": 0, "ended": 0, "photos": 0}
    PartnerConsent.objects.filter(pk=renewed.pk).update(expires_at=real_now() + timedelta(days=13))
    # A week and a minute on: the worker's periodic repair (and the cron command) ends the waiting swap.
    move_forward(7, 1)
    from swaps.worker import swaps_repair

    with django_capture_on_commit_callbacks(execute=True):
        assert swaps_repair()["invitations_expired"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        call_command("requeue_stuck_tasks")  # run again: nothing more to do
    task.refresh_from_db()
    consent.refresh_from_db()
    assert task.status == "failed" and task.partner_did_not_answer and task.wife_image_id is None
    assert "wife" not in task.source_faces
    assert consent.status == "expired" and consent.token is None and consent.descriptor == []
    assert consent.photo is None and consent.removed == {
        "tasks": [task.pk],
        "pictures": 0,
        "photos": 1,
        "by": "expired",
    }
    # The photo nobody agreed to is gone, row and files; the holder's own photo and the renewed album stay.
    assert not Image.objects.filter(pk=wife.pk).exists()
    assert not [name for name in stored_files(settings) if wife_file in name]
    assert Image.objects.filter(pk__in=[husband.pk, stranger.pk]).count() == 2
    assert FaceSwapTask.objects.get(pk=waiting.pk).waiting_for_partner
    # The holder is told, in their pages and by e-mail; the partner's old link answers 404.
    assert [message.to for message in mail.outbox] == [[alice.email]]
    assert mail.outbox[0].subject == "Your partner did not answer in time"
    assert Client().get(reverse("consent:invite", args=[token])).status_code == 404
    holder = logged_in(alice)
    page = holder.get(task.get_absolute_url()).text
    assert 'id="partner-no-answer"' in page and "Your partner did not answer in time" in page
    assert 'id="invite-again"' in page and 'id="partner-waiting"' not in page
    status = holder.get(reverse("swaps:status", args=[task.pk])).json()
    assert status["finished"] is True and status["waiting_for_partner"] is False
    assert status["error_message"].startswith("Your partner did not answer in time")
    japanese = Client(HTTP_ACCEPT_LANGUAGE="ja")
    japanese.force_login(alice)
    assert "パートナーから期限内に返事がありませんでした" in japanese.get(task.get_absolute_url()).text
    listing = holder.get(reverse("swaps:list")).text
    assert "Your partner did not answer in time: the invitation expired on" in listing
    assert reverse("swaps:invite_again", args=[task.pk]) in listing
    # Trying again is refused plainly (it would wait for nobody); inviting again leads back to the form with
    # the holder's own photo still chosen and a new invitation made on submit.
    retry = holder.post(reverse("swaps:retry", args=[task.pk]), follow=True)
    assert "Your partner did not answer in time: invite them again." in retry.text
    assert FaceSwapTask.objects.get(pk=task.pk).status == "failed"
    again = holder.post(reverse("swaps:invite_again", args=[task.pk]))
    assert again["Location"] == reverse("swaps:new", args=[couple_template.pk])
    form = holder.get(again["Location"]).text
    assert "Choose your partner&#x27;s photo again" in form and f'value="{husband.pk}" checked' in form
    # Nobody else can use the button.
    assert Client().post(reverse("swaps:invite_again", args=[task.pk])).status_code == 302  # to log in
    other = logged_in(user_create(username="eve"))
    assert other.post(reverse("swaps:invite_again", args=[task.pk])).status_code == 404


def test_an_album_nobody_answered_for_ends_once_and_invites_again_with_its_scenes(
    alice, alice_photos, couple_template, faces_dir, monkeypatch, django_capture_on_commit_callbacks
):
    husband, wife = alice_photos
    second = template_from_photo(faces_dir / "couple_man_woman_casual.jpg", title="Casual")
    with django_capture_on_commit_callbacks(execute=True):
        album = album_submit(
            user=alice,
            templates=[couple_template, second],
            husband=PersonPhoto(image=husband),
            wife=PersonPhoto(image=wife),
            this_is_me=True,
        )
    later = timezone.now() + timedelta(days=7, minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert consents_expire(now=later) == {"expired": 1, "ended": 2, "photos": 1}
    holder = logged_in(alice)
    page = holder.get(album.get_absolute_url()).text
    assert page.count('id="partner-no-answer"') == 1 and page.count('id="invite-again"') == 1
    assert 'class="inline-form album-retry" hidden' in page
    assert all(
        not item["can_retry"] for item in holder.get(reverse("swaps:album_status", args=[album.pk])).json()["items"]
    )
    first = album.tasks.order_by("id").first()
    again = holder.post(reverse("swaps:invite_again", args=[first.pk]))
    assert again["Location"] == f"{reverse('swaps:album_new')}?t={couple_template.pk}&t={second.pk}"


def test_the_forms_photo_check_describes_the_chosen_faces_before_the_submit(alice, alice_photos, settings, faces_dir):
    """Picking a photo in the swap form describes its chosen face (both faces of a photo of two) then, so
    "Swap our faces in" does not wait for dlib; with consent off nothing is described."""
    from django.core.cache import cache

    from swaps.services.consent import DESCRIPTOR_KEY

    _, wife = alice_photos
    couple = upload_photo(alice, faces_dir / "couple_man_woman_casual.jpg")
    client = logged_in(alice)

    def kept(photo, index: int):
        return cache.get(DESCRIPTOR_KEY.format(image=photo.pk, index=index, size=photo.file_size or 0))

    settings.PARTNER_CONSENT_REQUIRED = False
    client.post(reverse("swaps:photo_check"), {"role": "wife", "image": wife.pk})
    assert kept(wife, 0) is None
    settings.PARTNER_CONSENT_REQUIRED = True
    assert client.post(reverse("swaps:photo_check"), {"role": "wife", "image": wife.pk}).json()["ok"]
    assert len(kept(wife, 0)) == 128
    assert client.post(reverse("swaps:photo_check"), {"role": "husband", "image": couple.pk}).json()["ok"]
    assert len(kept(couple, 0)) == 128 and len(kept(couple, 1)) == 128


@pytest.mark.parametrize("language", ["zh-hans", "ja"])
def test_the_couples_pages_are_free_of_english(language, settings):
    """The partner's and the holder's pages of a shared swap and of an unanswered invitation, in Chinese
    and in Japanese: no English word left (the same check as the site-wide crawl in test_i18n)."""
    import re

    from faceswap_site.tests.test_i18n import NOT_ENGLISH, _ShownText
    from swaps.services import PARTNER_NO_ANSWER
    from testing.cast import make_template, stored_image

    holder, partner = user_create(username="mei"), user_create(username="lin")
    template = make_template(title="Lantern")
    photo = stored_image(owner=holder, name="mine.jpg")
    result = stored_image(owner=holder, image_type="result", name="result.jpg")
    agreed = PartnerConsent.objects.create(
        user=holder, partner_user=partner, status="agreed", expires_at=timezone.now(), decided_at=timezone.now()
    )
    shared = FaceSwapTask.objects.create(
        user=holder, template=template, husband_image=photo, result_image=result, status="completed", consent=agreed
    )
    expired = PartnerConsent.objects.create(
        user=holder,
        status="expired",
        expires_at=timezone.now(),
        decided_at=timezone.now(),
        removed={"tasks": [], "pictures": 0, "photos": 1, "by": "expired"},
    )
    ended = FaceSwapTask.objects.create(
        user=holder, template=template, husband_image=photo, status="failed", error_message=PARTNER_NO_ANSWER
    )
    expired.removed["tasks"] = [ended.pk]
    expired.save(update_fields=["removed"])
    FaceSwapTask.objects.filter(pk=ended.pk).update(consent=expired)
    # Each page with what it must show (so the check reads the couple's words, not a page without them).
    pages = [
        (partner, reverse("swaps:list"), 'data-shared-by="holder"'),
        (partner, shared.get_absolute_url(), 'id="couple-withdraw-button"'),
        (partner, reverse("accounts:delete"), 'id="delete-agreements"'),
        (holder, reverse("swaps:list"), 'id="invite-again-'),
        (holder, shared.get_absolute_url(), 'id="couple-shared"'),
        (holder, ended.get_absolute_url(), 'id="partner-no-answer"'),
    ]
    leftovers = {}
    for user, path, shows in pages:
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        client.force_login(user)
        response = client.get(path)
        assert response.status_code == 200 and shows in response.text, path
        shown = _ShownText()
        shown.feed(response.content.decode())
        text = " ".join(shown.words)
        for own in ("Lantern", "mei@example.com", "lin@example.com", "mei", "lin"):
            text = text.replace(own, " ")
        english = sorted({word for word in re.findall(r"[A-Za-z]{3,}", text) if word not in NOT_ENGLISH})
        if english:
            leftovers[f"{user.username} {path}"] = english
    assert not leftovers, f"English left on {language} pages: {leftovers}"
