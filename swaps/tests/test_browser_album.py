"""An album in a real browser with a real worker: three scenes, three pictures, one ZIP."""

import io
import zipfile

import pytest
from django.db import connection
from PIL import Image as PILImage
from playwright.sync_api import expect

from swaps.models import Album
from testing.cast import log_in, template_from_photo
from testing.fixtures_browser import DESKTOP, PHONE

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_an_album_of_three_templates_fills_in_and_downloads_as_a_zip(
    rq_worker, site_server, browser, alice, alice_photos, couple_template, faces_dir, artifacts_dir, viewport
):
    size = "phone" if viewport is PHONE else "desktop"
    picnic = template_from_photo(faces_dir / "couple_man_woman_casual.jpg", title="Picnic", husband_right=False)
    mirrored = template_from_photo(faces_dir / "two_men_whitehouse.jpg", title="Premiere")
    connection.close()
    page = browser.new_page(viewport=viewport, accept_downloads=True)
    page.set_default_timeout(30_000)
    log_in(page, "alice", base_url=site_server.url)
    page.goto(f"{site_server.url}/swaps/albums/new/")
    for template in (couple_template, picnic, mirrored):
        page.locator(f"input[name=templates][value='{template.pk}']").check()
    expect(page.locator("#album-count")).to_have_text("(3 of at most 12 ticked)")
    page.locator("fieldset[data-role=husband] .photo-option img").nth(1).click()  # the older photo: him
    expect(page.locator("fieldset[data-role=husband] .face-check")).to_contain_text("We found the face")
    page.locator("fieldset[data-role=wife] .photo-option img").nth(0).click()
    expect(page.locator("fieldset[data-role=wife] .face-check")).to_contain_text("We found the face")
    for crop in page.locator(".face-choice img").all():
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=crop.element_handle())
    page.screenshot(path=artifacts_dir / f"album-form-{size}.png", full_page=True)
    page.get_by_role("button", name="Make the album").click()
    page.wait_for_url("**/swaps/albums/*/")
    page.screenshot(path=artifacts_dir / f"album-filling-{size}.png", full_page=True)
    expect(page.locator("#album-summary")).to_have_text("3 of 3 pictures ready.", timeout=90_000)
    expect(page.locator(".album-tile img.album-result")).to_have_count(3)
    expect(page.get_by_role("button", name="Try again")).to_have_count(0)  # only a failed tile offers it
    for img in page.locator(".album-tile img").all():
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle())
    page.screenshot(path=artifacts_dir / f"album-done-{size}.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    with page.expect_download() as download_info:
        page.locator("#album-download").click()
    with open(download_info.value.path(), "rb") as fh, zipfile.ZipFile(io.BytesIO(fh.read())) as archive:
        names = archive.namelist()
        # In the album's order (the order the scenes are listed), numbered.
        assert sorted(name[3:] for name in names) == ["picnic.jpg", "premiere.jpg", "red-carpet.jpg"]
        assert [name[:3] for name in names] == ["01-", "02-", "03-"]
        sizes = [PILImage.open(io.BytesIO(archive.read(name))).size for name in names]
    try:
        album = Album.objects.get()
        tasks = list(album.tasks.order_by("id").select_related("result_image", "template"))
        assert [task.status for task in tasks] == ["completed"] * 3
        assert sizes == [(task.result_image.width, task.result_image.height) for task in tasks]
        assert [name[3:-4] for name in names] == [task.template.title.lower().replace(" ", "-") for task in tasks]
    finally:
        connection.close()
