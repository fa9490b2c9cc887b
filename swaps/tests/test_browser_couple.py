"""Couple experience in a real browser: one photo of the two of you, who goes where (desktop and phone)."""

import pytest
from django.db import connection
from playwright.sync_api import expect

from swaps.models import FaceSwapTask
from testing.cast import log_in, user_create
from testing.fixtures_browser import DESKTOP, PHONE

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def upload_for_you(browser, viewport, base_url: str, template, username: str, name: str, mime: str, data: bytes):
    """Log in as `username`, open the swap form and upload one file as "your" photo; the page and fieldset."""
    page = browser.new_page(viewport=viewport)
    page.set_default_timeout(30_000)
    log_in(page, username, base_url=base_url)
    page.goto(f"{base_url}/swaps/new/{template.pk}/")
    page.set_input_files("#id_husband_upload", files=[{"name": name, "mimeType": mime, "buffer": data}])
    return page, page.locator("fieldset[data-role=husband]")


def chosen_face(page, role: str) -> str:
    return page.locator(f"input[name={role}_face]:checked").get_attribute("value")


def wait_for_crops(page) -> None:
    for crop in page.locator(".face-choice img").all():
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=crop.element_handle())


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_one_couple_photo_fills_both_places_and_a_taken_face_moves_the_other_partner(
    site_server, browser, django_user_model, couple_template, faces_dir, artifacts_dir, viewport
):
    user_create(username="sam")
    page = browser.new_page(viewport=viewport)
    page.set_default_timeout(30_000)
    size = "phone" if viewport is PHONE else "desktop"
    log_in(page, "sam", base_url=site_server.url)
    page.goto(f"{site_server.url}/swaps/new/{couple_template.pk}/")
    # The template's two faces are ringed, one colour each, named for you and your partner.
    expect(page.locator("svg.face-rings ellipse")).to_have_count(2)
    expect(page.locator(".ring-legend")).to_contain_text("You")
    expect(page.locator(".ring-legend")).to_contain_text("Your partner")

    page.set_input_files("#id_husband_upload", str(faces_dir / "couple_man_woman_closeup.jpg"))
    you = page.locator("fieldset[data-role=husband]")
    partner = page.locator("fieldset[data-role=wife]")
    expect(you.locator(".face-check")).to_contain_text("This photo shows 2 faces: tap the one to use.")
    # One upload fills both places: the largest face is you, the next your partner, both shown as crops.
    expect(partner.locator(".face-choice")).to_have_count(2)
    expect(you.locator("input[name=husband_face][value='0']")).to_be_checked()
    expect(partner.locator("input[name=wife_face][value='1']")).to_be_checked()
    photo_id = you.locator("input[name=husband_photo]:checked").get_attribute("value")
    expect(partner.locator(f"input[name=wife_photo][value='{photo_id}']")).to_be_checked()
    # The words match what is shown: nothing says "the largest" on the partner's side.
    expect(partner.locator(".face-check")).to_contain_text("the face next in size is your partner's")
    expect(partner.locator(".face-check")).not_to_contain_text("largest")
    wait_for_crops(page)
    page.screenshot(path=artifacts_dir / f"couple-photo-filled-{size}.png", full_page=True)
    # No sideways scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # Tapping the face your partner has: your partner moves to the other face at once, and is told so.
    you.locator(".face-choice img").nth(1).click()
    expect(you.locator("input[name=husband_face][value='1']")).to_be_checked()
    expect(partner.locator("input[name=wife_face][value='0']")).to_be_checked()
    expect(partner.locator(".face-check .moved")).to_contain_text("your partner is now the other one")
    page.screenshot(path=artifacts_dir / f"couple-photo-moved-{size}.png", full_page=True)

    page.get_by_role("button", name="Swap who is who").click()
    expect(page.locator("input[name=husband_face][value='0']")).to_be_checked()
    expect(page.locator("input[name=wife_face][value='1']")).to_be_checked()
    page.screenshot(path=artifacts_dir / f"couple-photo-switched-{size}.png", full_page=True)

    page.get_by_role("button", name="Swap our faces in").click()
    page.wait_for_url("**/swaps/*/")
    try:
        task = FaceSwapTask.objects.get()
        assert task.husband_image_id == task.wife_image_id
        assert (task.source_faces["husband"]["index"], task.source_faces["wife"]["index"]) == (0, 1)
    finally:
        connection.close()


def test_a_couple_photo_chosen_on_the_partners_side_still_gives_you_the_largest_face(
    site_server, browser, django_user_model, couple_template, faces_dir
):
    user_create(username="kim")
    page = browser.new_page(viewport=PHONE)
    page.set_default_timeout(30_000)
    log_in(page, "kim", base_url=site_server.url)
    page.goto(f"{site_server.url}/swaps/new/{couple_template.pk}/")
    page.set_input_files("#id_wife_upload", str(faces_dir / "couple_man_woman_closeup.jpg"))
    expect(page.locator("fieldset[data-role=husband] .face-choice")).to_have_count(2)
    expect(page.locator("input[name=husband_face][value='0']")).to_be_checked()
    expect(page.locator("input[name=wife_face][value='1']")).to_be_checked()
    # Your partner taps the face that is yours: you move to the other one.
    page.locator("fieldset[data-role=wife] .face-choice img").nth(0).click()
    expect(page.locator("input[name=husband_face][value='1']")).to_be_checked()
    expect(page.locator("fieldset[data-role=husband] .face-check .moved")).to_contain_text("you are now the other one")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_an_iphone_heic_photo_is_accepted_and_its_face_found(
    site_server, browser, django_user_model, couple_template, faces_dir, artifacts_dir, viewport
):
    import io

    import pillow_heif
    from PIL import Image as PILImage

    heif = pillow_heif.from_pillow(PILImage.open(faces_dir / "man_single_obama.jpg").convert("RGB"))
    buffer = io.BytesIO()
    heif.save(buffer, quality=85)
    user = user_create(username="robin")
    page, you = upload_for_you(
        browser, viewport, site_server.url, couple_template, "robin", "IMG_4821.HEIC", "image/heic", buffer.getvalue()
    )
    expect(you.locator(".face-check")).to_contain_text("We found the face in this photo.")
    crop = you.locator(".face-choice img")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=crop.element_handle())
    size = "phone" if viewport is PHONE else "desktop"
    page.screenshot(path=artifacts_dir / f"heic-upload-{size}.png", full_page=True)
    try:
        photo = user.images.get()
        assert (photo.filename, photo.metadata["format"], photo.file.name.endswith(".jpg")) == (
            "IMG_4821.jpg",
            "HEIF",
            True,
        )
    finally:
        connection.close()


def test_a_photo_without_a_face_is_refused_and_can_be_turned_in_the_browser(
    site_server, browser, django_user_model, couple_template, faces_dir, artifacts_dir
):
    """The engine now finds faces lying on their side by itself; "Turn" is for what it still misses. Here a
    photo without any face: refused, nothing stored, and "Turn right" sends the picture again, turned."""
    user = user_create(username="alex")
    page, you = upload_for_you(
        browser,
        PHONE,
        site_server.url,
        couple_template,
        "alex",
        "coffee.png",
        "image/png",
        (faces_dir / "noface_coffee.png").read_bytes(),
    )
    expect(you.locator(".face-check")).to_contain_text("This photo shows no face we can find", timeout=30_000)
    page.screenshot(path=artifacts_dir / "turn-refused-phone.png", full_page=True)
    with page.expect_request("**/swaps/photos/check/") as sent:
        you.get_by_role("button", name="↻ Turn right").click()
    assert sent.value.method == "POST"  # the turned picture was sent to be checked again
    expect(you.locator(".face-check")).to_contain_text("This photo shows no face we can find", timeout=30_000)
    try:
        assert not user.images.exists()  # refused twice: nothing stored
    finally:
        connection.close()
