"""A couple's photos in a real browser: the picker names and dates them, the same picture sent as HEIC and
as JPEG is one photo, photos merely tried on the swap form stay apart in My photos, and a turned photo's
thumbnail turns with it."""

import io

import pytest
from django.db import connection
from PIL import Image as PILImage
from playwright.sync_api import expect

from swaps.models import FaceSwapTask
from testing.cast import log_in, upload_photo, user_create
from testing.fixtures_browser import DESKTOP, PHONE

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _heic(path) -> bytes:
    import pillow_heif

    heif = pillow_heif.from_pillow(PILImage.open(path).convert("RGB"))
    buffer = io.BytesIO()
    heif.save(buffer, quality=80)
    return buffer.getvalue()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_picker_names_and_dates_photos_and_a_heic_and_its_jpeg_are_offered_once(
    site_server, browser, couple_template, faces_dir, artifacts_dir, viewport
):
    size = "phone" if viewport is PHONE else "desktop"
    user = user_create(username="robin")
    photo = faces_dir / "man_single_obama.jpg"
    page = browser.new_page(viewport=viewport)
    page.set_default_timeout(30_000)
    log_in(page, "robin", base_url=site_server.url)
    form = f"{site_server.url}/swaps/new/{couple_template.pk}/"
    page.goto(form)
    page.set_input_files(
        "#id_husband_upload", files=[{"name": "IMG_4821.HEIC", "mimeType": "image/heic", "buffer": _heic(photo)}]
    )
    you = page.locator("fieldset[data-role=husband]")
    expect(you.locator(".face-check")).to_contain_text("We found the face in this photo.")
    # The photo just added appears in the picker at once, with its name and the day it came.
    option = page.locator("fieldset[data-role=wife] .photo-option")
    expect(option).to_have_count(1)
    expect(option.locator(".photo-option-name")).to_have_text("IMG_4821.jpg")
    expect(option.locator(".photo-option-date")).not_to_be_empty()

    # The same picture again, this time as the JPEG the phone also kept: the same photo, not a second one.
    page.goto(form)
    page.set_input_files("#id_husband_upload", str(photo))
    expect(you.locator(".face-check")).to_contain_text("We found the face in this photo.")
    page.goto(form)
    options = page.locator("fieldset[data-role=wife] .photo-option")
    expect(options).to_have_count(1)
    expect(options.locator(".photo-option-name")).to_have_text("IMG_4821.jpg")
    day = user.images.get().uploaded_at
    expect(options.locator(".photo-option-date")).to_have_text(f"{day.day} {day:%b %Y}")
    page.locator("fieldset[data-role=wife] .picker-title").scroll_into_view_if_needed()
    page.screenshot(path=artifacts_dir / f"picker-name-date-{size}.png")
    try:
        assert user.images.count() == 1
    finally:
        connection.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_photos_tried_on_the_swap_form_stay_apart_until_a_swap_uses_one(
    site_server, browser, couple_template, faces_dir, artifacts_dir, viewport
):
    size = "phone" if viewport is PHONE else "desktop"
    user = user_create(username="kim")
    page = browser.new_page(viewport=viewport)
    page.set_default_timeout(30_000)
    log_in(page, "kim", base_url=site_server.url)
    form = f"{site_server.url}/swaps/new/{couple_template.pk}/"
    page.goto(form)
    you = page.locator("fieldset[data-role=husband]")
    # Tried, then changed their mind: another photo.
    page.set_input_files("#id_husband_upload", str(faces_dir / "man_single_obama.jpg"))
    expect(you.locator(".face-check")).to_contain_text("We found the face in this photo.")
    page.set_input_files("#id_husband_upload", str(faces_dir / "couple_man_woman_closeup.jpg"))
    expect(you.locator(".face-check")).to_contain_text("This photo shows 2 faces")

    page.goto(f"{site_server.url}/photos/")
    expect(page.locator("#photos-title")).to_have_text("No photos yet")
    tried = page.locator(".tried-photos")
    expect(tried.locator("summary")).to_have_text("2 photos tried on the swap form")
    # Folded away until asked for.
    expect(tried.locator(".photo-card").first).to_be_hidden()
    tried.locator("summary").click()
    expect(tried.locator(".photo-card")).to_have_count(2)
    expect(tried.locator(".badge", has_text="Tried")).to_have_count(2)
    page.screenshot(path=artifacts_dir / f"photos-tried-{size}.png", full_page=True)
    # A small outlined button's words in its own colour (they were white on the white page).
    assert page.eval_on_selector("#tried-delete", "e => getComputedStyle(e).color") != "rgb(255, 255, 255)"

    # The couple photo is used in a swap: it becomes one of My photos; the other stays tried.
    page.goto(form)
    page.locator("fieldset[data-role=husband] .photo-option", has_text="couple_man_woman_closeup").click()
    expect(page.locator("fieldset[data-role=wife] .face-choice")).to_have_count(2)
    page.get_by_role("button", name="Swap our faces in").click()
    page.wait_for_url("**/swaps/*/")
    page.goto(f"{site_server.url}/photos/")
    expect(page.locator("#photos-title")).to_have_text("1 photo")
    expect(page.locator(".photo-grid").first.locator(".photo-name")).to_have_text("couple_man_woman_closeup.jpg")
    expect(page.locator(".tried-photos summary")).to_have_text("1 photo tried on the swap form")
    page.screenshot(path=artifacts_dir / f"photos-after-swap-{size}.png", full_page=True)

    # Tidying up: the tried ones go in one go, after a question; the photo the swap used stays.
    page.locator(".tried-photos summary").click()
    page.get_by_role("link", name="Delete this tried photo…").click()
    expect(page.get_by_role("heading", name="Delete 1 tried photo?")).to_be_visible()
    page.screenshot(path=artifacts_dir / f"photos-tried-delete-confirm-{size}.png", full_page=True)
    expect(page.get_by_role("link", name="Keep it")).to_be_visible()
    page.get_by_role("button", name="Delete it").click()
    expect(page.locator(".messages")).to_contain_text("Deleted 1 tried photo.")
    expect(page.locator(".tried-photos")).to_have_count(0)
    expect(page.locator("#photos-title")).to_have_text("1 photo")
    try:
        assert FaceSwapTask.objects.filter(user=user).count() == 1
        assert list(user.images.filter(image_type="source").values_list("filename", flat=True)) == [
            "couple_man_woman_closeup.jpg"
        ]
    finally:
        connection.close()


def test_a_turned_photos_thumbnail_turns_with_it(site_server, browser, faces_dir, artifacts_dir):
    """A photo an older face check marked unusable (one lying on its side) offers to be turned."""
    user = user_create(username="alex")
    photo = upload_photo(user, faces_dir / "noface_coffee.png")
    photo.metadata = {**photo.metadata, "face_check": {"ok": False, "message": "No face found."}}
    photo.save(update_fields=["metadata"])
    page = browser.new_page(viewport=PHONE)
    page.set_default_timeout(30_000)
    log_in(page, "alex", base_url=site_server.url)
    page.goto(f"{site_server.url}/photos/")
    thumb = page.locator(".photo-card img").first

    def shape() -> tuple[int, int]:
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())
        return tuple(thumb.evaluate("img => [img.naturalWidth, img.naturalHeight]"))

    width, height = shape()
    assert width != height
    page.get_by_role("button", name="Turn noface_coffee.jpg right").click()
    expect(page.locator(".messages")).to_contain_text("Turned noface_coffee.jpg.")
    # The browser had kept the old thumbnail for an hour; the turned one is what shows now.
    assert shape() == (height, width)
    page.screenshot(path=artifacts_dir / "photo-turned-thumbnail-phone.png", full_page=True)
    connection.close()


def test_my_photos_does_not_offer_to_turn_a_photo_already_searched_every_way_up(
    site_server, browser, faces_dir, artifacts_dir
):
    user_create(username="noor")
    page = browser.new_page(viewport=PHONE)
    page.set_default_timeout(30_000)
    log_in(page, "noor", base_url=site_server.url)
    page.goto(f"{site_server.url}/photos/")
    page.set_input_files("input[type=file]", str(faces_dir / "noface_coffee.png"))
    page.get_by_role("button", name="Upload").click()
    card = page.locator(".photo-card", has_text="noface_coffee")
    expect(card.locator(".photo-unusable")).to_have_text("No usable face: not offered for swaps")
    expect(card).to_contain_text("We looked for a face every way up and found none.")
    expect(card.get_by_text("Sideways?")).to_have_count(0)
    expect(card.get_by_role("button", name="Turn noface_coffee.jpg right")).to_have_count(0)
    page.screenshot(path=artifacts_dir / "photos-no-face-no-turn-phone.png", full_page=True)
    connection.close()
