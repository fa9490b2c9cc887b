"""Partner consent in a real browser, two fresh browser contexts (the holder, the partner without an
account) and a real swap worker: the swap waits visibly, runs once the partner agrees, the same face is
not asked again, withdrawing deletes the photo and results; declining runs nothing."""

import pytest
from django.db import connection
from playwright.sync_api import expect

from gallery.models import Image
from swaps.models import FaceSwapTask, PartnerConsent
from testing.cast import log_in, stored_files, template_from_photo, user_create
from testing.fixtures_browser import DESKTOP, PHONE

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _consent_on(settings):
    settings.PARTNER_CONSENT_REQUIRED = True


def ask_for_swap(page, base_url: str, template, photo, *, first: bool = True) -> None:
    """On the swap form: one photo of the two of us fills both places; "This is me" ticked the first
    time (never asked again); submit."""
    page.goto(f"{base_url}/swaps/new/{template.pk}/")
    page.set_input_files("#id_husband_upload", str(photo))
    expect(page.locator("input[name=wife_face][value='1']")).to_be_checked()
    if first:
        page.get_by_label("This is me").check()
    else:
        expect(page.locator("#id_this_is_me")).to_have_count(0)
    page.get_by_role("button", name="Swap our faces in").click()
    page.wait_for_url("**/swaps/*/")


def test_the_swap_waits_for_the_partner_who_agrees_then_withdraws(
    rq_worker, site_server, browser, couple_template, faces_dir, artifacts_dir, settings
):
    user_create(username="jo")
    second_template = template_from_photo(faces_dir / "couple_man_woman_casual.jpg")
    holder = browser.new_context(viewport=DESKTOP).new_page()
    holder.set_default_timeout(60_000)
    log_in(holder, "jo", base_url=site_server.url)
    ask_for_swap(holder, site_server.url, couple_template, faces_dir / "couple_man_woman_closeup.jpg")
    waiting = holder.locator("#partner-waiting")
    expect(waiting).to_contain_text("Waiting for your partner to agree")
    expect(holder.locator("#task-progress-card")).to_be_hidden()  # no "in the queue" while nobody agreed
    invite_url = holder.locator("#partner-invite-url").input_value()
    holder.screenshot(path=artifacts_dir / "consent-waiting-desktop.png", full_page=True)
    holder.wait_for_timeout(1500)  # a real worker is listening: still nothing runs
    assert FaceSwapTask.objects.get().status == "pending"

    # The partner: a fresh browser, no account.
    partner = browser.new_context(viewport=PHONE).new_page()
    partner.set_default_timeout(30_000)
    partner.goto(invite_url)
    expect(partner.locator("h1")).to_have_text("jo asks for your agreement")
    face = partner.locator("#consent-face")
    partner.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=face.element_handle())
    partner.screenshot(path=artifacts_dir / "consent-invite-phone.png", full_page=True)
    assert partner.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    partner.get_by_role("button", name="I agree").click()
    expect(partner.locator("#consent-agreed")).to_contain_text("Thank you: you agreed")

    # The holder's page: the card goes, the swap runs and the result is shown.
    expect(holder.locator("#result-image")).to_be_visible(timeout=120_000)
    first = FaceSwapTask.objects.get()
    assert first.status == "completed"

    # A second swap with the same face: not asked again.
    ask_for_swap(holder, site_server.url, second_template, faces_dir / "couple_man_woman_closeup.jpg", first=False)
    expect(holder.locator("#partner-waiting")).to_have_count(0)
    expect(holder.locator("#result-image")).to_be_visible(timeout=120_000)
    assert PartnerConsent.objects.count() == 1
    try:
        tasks = list(FaceSwapTask.objects.select_related("result_image"))
        files = [t.result_image.file.name for t in tasks] + [tasks[0].wife_image.file.name]
        assert len(tasks) == 2 and all(t.status == "completed" for t in tasks)
    finally:
        connection.close()

    # The partner withdraws: the photo and both results are gone, files and rows; the holder is told.
    partner.get_by_role("button", name="Withdraw my agreement").click()
    expect(partner.locator("#consent-withdrawn")).to_contain_text("The photo and every picture")
    try:
        assert not FaceSwapTask.objects.exists()
        assert not Image.objects.filter(owner__username="jo").exists()
        left = stored_files(settings)
        assert not [name for name in left if any(name.endswith(f) for f in files)]
    finally:
        connection.close()
    holder.goto(f"{site_server.url}/swaps/")
    expect(holder.locator(".partner-removed")).to_contain_text("Your partner withdrew their agreement")
    holder.screenshot(path=artifacts_dir / "consent-withdrawn-desktop.png", full_page=True)


def test_declining_runs_nothing_and_the_holder_is_told(rq_worker, site_server, browser, couple_template, faces_dir):
    user_create(username="lee")
    holder = browser.new_context(viewport=PHONE).new_page()
    holder.set_default_timeout(30_000)
    log_in(holder, "lee", base_url=site_server.url)
    ask_for_swap(holder, site_server.url, couple_template, faces_dir / "couple_man_woman_closeup.jpg")
    invite_url = holder.locator("#partner-invite-url").input_value()
    assert holder.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    partner = browser.new_context(viewport=DESKTOP).new_page()
    partner.goto(invite_url)
    partner.get_by_role("button", name="I decline").click()
    expect(partner.locator("#consent-declined")).to_contain_text("Nothing was made with your face")
    # The holder's swap page notices the swap is gone and leads to My swaps, which says why.
    expect(holder.locator(".partner-removed")).to_contain_text("Your partner declined", timeout=30_000)
    try:
        assert not FaceSwapTask.objects.exists() and not Image.objects.filter(owner__username="lee").exists()
    finally:
        connection.close()
    partner.goto(invite_url)
    expect(partner.locator("body")).not_to_contain_text("I agree")


def test_the_couple_shares_one_space_each_login_sees_the_swap_and_the_partner_withdraws(
    rq_worker, site_server, browser, couple_template, faces_dir, artifacts_dir, settings
):
    """The partner agrees, makes their own login in the same browser, and sees the couple's swap in their
    My swaps and on its page (the picture loads, the download works); a third person gets 404; the partner
    withdraws from the swap's page and both of them lose it."""
    user_create(username="kai")
    user_create(username="nosy")
    holder = browser.new_context(viewport=DESKTOP).new_page()
    holder.set_default_timeout(60_000)
    log_in(holder, "kai", base_url=site_server.url)
    ask_for_swap(holder, site_server.url, couple_template, faces_dir / "couple_man_woman_closeup.jpg")
    invite_url = holder.locator("#partner-invite-url").input_value()
    swap_url = holder.url

    partner_context = browser.new_context(viewport=PHONE, accept_downloads=True)
    partner = partner_context.new_page()
    partner.set_default_timeout(60_000)
    partner.goto(invite_url)
    partner.get_by_role("button", name="I agree").click()
    login = partner.locator("#consent-login")
    login.get_by_label("Username").fill("rin")
    login.get_by_label("E-mail address").fill("rin@example.com")
    login.get_by_label("Password").fill("a-long-good-passphrase-7")
    login.get_by_role("button", name="Create my login").click()
    partner.wait_for_url("**/swaps/")
    expect(partner.locator("#couple-space")).to_contain_text("You agreed that kai may use your face")
    expect(holder.locator("#result-image")).to_be_visible(timeout=120_000)

    # The partner's My swaps: the couple's swap, its picture; its page shows the result and lets them keep it.
    partner.reload()
    tile = partner.locator(".swap-card", has_text="Made by kai with your face")
    expect(tile).to_have_count(1)
    thumbnail = tile.locator("img")
    partner.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle())
    partner.screenshot(path=artifacts_dir / "couple-space-list-phone.png", full_page=True)
    tile.locator("a.swap-card-link").click()
    partner.wait_for_url(swap_url)
    result = partner.locator("#result-image")
    partner.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=result.element_handle())
    expect(partner.locator("#couple-shared")).to_contain_text("kai made this swap with your face")
    expect(partner.locator("#share")).to_have_count(0)
    with partner.expect_download() as download:
        partner.locator("#download").click()
    assert download.value.path().stat().st_size > 10_000
    partner.screenshot(path=artifacts_dir / "couple-space-partner-phone.png", full_page=True)
    assert partner.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # The holder sees who shares it.
    holder.goto(f"{site_server.url}/swaps/")
    expect(holder.locator(".swap-card", has_text="Shared with rin")).to_have_count(1)

    # Nobody else: the page and the picture answer 404.
    picture_url = site_server.url + result.get_attribute("src")
    nosy = browser.new_context(viewport=DESKTOP).new_page()
    log_in(nosy, "nosy", base_url=site_server.url)
    assert nosy.goto(swap_url).status == 404
    assert nosy.goto(picture_url).status == 404

    # The partner withdraws from the swap's page: gone for both, rows and files.
    try:
        files = [FaceSwapTask.objects.select_related("result_image").get().result_image.file.name]
    finally:
        connection.close()
    partner.get_by_role("button", name="Withdraw my agreement").click()
    partner.wait_for_url("**/swaps/")
    expect(partner.locator(".message")).to_contain_text("Your agreement is withdrawn")
    assert partner.goto(swap_url).status == 404
    assert partner.goto(picture_url).status == 404
    try:
        assert not FaceSwapTask.objects.exists()
        assert not [name for name in stored_files(settings) if any(name.endswith(f) for f in files)]
    finally:
        connection.close()
    holder.goto(f"{site_server.url}/swaps/")
    expect(holder.locator(".partner-removed")).to_contain_text("Your partner withdrew their agreement")
