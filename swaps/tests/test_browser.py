"""A couple's whole visit in a real browser, against a live server and a real worker."""

import pytest
from django.db import connection
from PIL import Image as PILImage
from playwright.sync_api import expect

from swaps.models import FaceSwapTask

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_sign_up_upload_two_photos_watch_progress_and_download(
    rq_worker, site_server, browser, couple_template, faces_dir, artifacts_dir
):
    page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page.set_default_timeout(30_000)

    page.goto(f"{site_server.url}/accounts/signup/")
    page.fill("input[name=email]", "lin.and.sam@example.com")
    page.fill("input[name=username]", "linandsam")
    page.fill("input[name=password1]", "a-long-Secret-42")
    page.fill("input[name=password2]", "a-long-Secret-42")
    page.locator("main form button[type=submit]").last.click()
    expect(page.locator("nav")).to_contain_text("Log out")

    page.get_by_role("link", name="Templates").first.click()
    page.locator(f"a.tpl-card-link[href='/templates/{couple_template.pk}/']").click()
    page.get_by_role("link", name="Use this template", exact=True).click()
    page.wait_for_url(f"**/swaps/new/{couple_template.pk}/")
    for role, photo in (("husband", "man_single_obama.jpg"), ("wife", "woman_single_astronaut.png")):
        page.set_input_files(f"#id_{role}_upload", str(faces_dir / photo))
        check = page.locator(f"fieldset[data-role={role}] .face-check")
        expect(check).to_contain_text("We found the face in this photo.")
        crop = check.locator("img.face-crop")
        expect(crop).to_be_visible()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=crop.element_handle())
    page.screenshot(path=artifacts_dir / "swap-form.png", full_page=True)

    page.get_by_role("button", name="Swap our faces in").click()
    page.wait_for_url("**/swaps/*/")
    expect(page.locator("#task-progress")).to_be_attached()
    page.screenshot(path=artifacts_dir / "swap-progress.png", full_page=True)
    # When the swap is done the result takes the progress's place on the page (no reload).
    expect(page.locator("#result-image")).to_be_visible(timeout=60_000)

    result = page.locator("#result-image")
    expect(result).to_be_visible(timeout=30_000)
    assert page.evaluate("document.getElementById('result-image').naturalWidth") == couple_template.image.width
    # The whole swap is shown; the original only on request.
    expect(page.locator("#original-image")).to_be_hidden()
    expect(page.locator("#compare-hold")).to_be_visible()
    page.screenshot(path=artifacts_dir / "swap-result.png", full_page=True)

    with page.expect_download() as download_info:
        page.locator("#download").click()
    download = download_info.value
    with PILImage.open(download.path()) as picture:
        picture.load()
    assert picture.size == (couple_template.image.width, couple_template.image.height)
    try:
        assert FaceSwapTask.objects.get().status == "completed"
    finally:
        # Made inside Playwright's context, this connection is not the one pytest-django closes.
        connection.close()
