"""A finished swap in a real browser (desktop and phone): the result at its own size with a zoom, the
trash that asks before deleting for good, albums found again from My swaps, and sharing in one tap."""

import pytest
from django.db import connection
from PIL import Image as PILImage
from playwright.sync_api import expect

from swaps.models import Album, FaceSwapTask
from swaps.services import swap_create, swap_run, swap_trash
from testing.cast import log_in, template_from_photo
from testing.fixtures_browser import DESKTOP, PHONE

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def size_name(viewport) -> str:
    return "phone" if viewport is PHONE else "desktop"


@pytest.fixture
def small_template(faces_dir, tmp_path):
    """The couple close-up made 520 px wide: narrower than a desktop page, wider than a phone."""
    path = tmp_path / "couple_small.jpg"
    with PILImage.open(faces_dir / "couple_man_woman_closeup.jpg") as picture:
        picture.convert("RGB").resize((520, round(520 * picture.height / picture.width))).save(path, quality=92)
    return template_from_photo(path, title="Small red carpet")


def finished_swap(user, template, photos, album=None) -> FaceSwapTask:
    task = swap_create(user=user, template=template, husband_image=photos[0], wife_image=photos[1], album=album)
    return swap_run(task_id=task.pk)


def open_page(browser, viewport, base_url: str, path: str, *, context_options=None):
    context = browser.new_context(viewport=viewport, **(context_options or {}))
    page = context.new_page()
    page.set_default_timeout(30_000)
    log_in(page, "alice", base_url=base_url)
    page.goto(f"{base_url}{path}")
    return page


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_result_is_never_enlarged_and_a_tap_zooms_to_100_percent(
    site_server, browser, alice, alice_photos, small_template, artifacts_dir, viewport
):
    task = finished_swap(alice, small_template, alice_photos)
    natural = task.result_image.width
    connection.close()
    page = open_page(browser, viewport, site_server.url, task.get_absolute_url())
    result = page.locator("#result-image")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=result.element_handle())
    shown = result.evaluate("img => img.getBoundingClientRect().width")
    assert page.evaluate("document.getElementById('result-image').naturalWidth") == natural
    assert shown <= natural + 0.5, f"shown {shown} px wide, the picture is {natural} px"
    page.screenshot(path=artifacts_dir / f"result-natural-{size_name(viewport)}.png", full_page=True)
    if viewport is DESKTOP:
        assert shown == pytest.approx(natural, abs=0.5)  # room enough: its own size, not stretched
        expect(page.locator("#zoom-controls")).to_be_hidden()  # nothing to zoom into
    else:
        assert shown < natural
        expect(page.locator("#zoom-controls")).to_be_visible()
        result.click(position={"x": shown * 0.3, "y": 40})
        expect(page.locator("#compare")).to_contain_class("is-zoomed")
        zoomed = result.evaluate("img => img.getBoundingClientRect().width")
        assert zoomed == pytest.approx(natural, abs=0.5)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # the frame scrolls
        page.screenshot(path=artifacts_dir / "result-zoomed-phone.png")
        expect(page.get_by_role("button", name="Fit to the screen")).to_be_visible()
        result.click()
        assert result.evaluate("img => img.getBoundingClientRect().width") == pytest.approx(shown, abs=0.5)
    # The page never forbids pinching.
    assert "user-scalable=no" not in page.locator("meta[name=viewport]").get_attribute("content")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_delete_for_good_and_empty_trash_ask_first(
    site_server, browser, alice, alice_photos, couple_template, artifacts_dir, viewport
):
    tasks = [finished_swap(alice, couple_template, alice_photos) for _ in range(3)]
    for task in tasks:
        swap_trash(task=task)
    connection.close()
    page = open_page(browser, viewport, site_server.url, "/swaps/trash/")
    page.get_by_role("link", name=f"Delete swap #{tasks[0].pk} for good").click()
    expect(page.get_by_role("heading", name="Delete this swap for good?")).to_be_visible()
    expect(page.locator(".confirm-card")).to_contain_text("cannot be undone")
    page.screenshot(path=artifacts_dir / f"trash-delete-confirm-{size_name(viewport)}.png", full_page=True)
    page.get_by_role("link", name="Keep it").click()  # changed my mind: all three still there
    expect(page.locator(".swap-card")).to_have_count(3)
    page.get_by_role("link", name=f"Delete swap #{tasks[0].pk} for good").click()
    page.get_by_role("button", name="Delete for good").click()
    expect(page.locator(".swap-card")).to_have_count(2)

    page.get_by_role("link", name="Empty the trash (2)").click()
    expect(page.get_by_role("heading", name="Empty the trash?")).to_be_visible()
    expect(page.locator(".confirm-card")).to_contain_text("The 2 swaps in the trash")
    page.screenshot(path=artifacts_dir / f"trash-empty-confirm-{size_name(viewport)}.png", full_page=True)
    page.get_by_role("button", name="Delete 2 swaps for good").click()
    expect(page.get_by_text("The trash is empty.")).to_be_visible()
    try:
        assert not FaceSwapTask.objects.filter(pk__in=[task.pk for task in tasks]).exists()
    finally:
        connection.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_an_album_is_found_again_from_my_swaps_with_its_tiles_in_their_own_shape(
    site_server, browser, alice, alice_photos, couple_template, small_template, artifacts_dir, viewport
):
    album = Album.objects.create(user=alice)
    for template in (couple_template, small_template):
        finished_swap(alice, template, alice_photos, album=album)
    single = finished_swap(alice, couple_template, alice_photos)
    connection.close()
    page = open_page(browser, viewport, site_server.url, "/swaps/")
    group = page.locator(".album-group")
    expect(group).to_have_count(1)
    expect(group).to_contain_text("Red carpet and Small red carpet")
    expect(group).to_contain_text("2 pictures")
    # Album swaps are grouped, not mixed into the single swaps.
    expect(page.locator(".swap-grid .swap-card")).to_have_count(1)
    expect(page.locator(".swap-grid a").first).to_have_attribute("href", single.get_absolute_url())
    for img in group.locator("img").all():
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle())
    page.screenshot(path=artifacts_dir / f"my-swaps-albums-{size_name(viewport)}.png", full_page=True)
    page.get_by_role("link", name="My albums").click()
    expect(page.get_by_role("heading", name="My albums")).to_be_visible()
    page.locator(".album-group-title a").click()
    expect(page.get_by_role("heading", name="Red carpet and Small red carpet")).to_be_visible()
    tiles = page.locator(".album-tile img")
    expect(tiles).to_have_count(2)
    for img in tiles.all():
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle())
        shown = img.evaluate("i => { const r = i.getBoundingClientRect(); return r.width / r.height; }")
        own = img.evaluate("i => i.naturalWidth / i.naturalHeight")
        assert shown == pytest.approx(own, rel=0.02), "a tile is cropped or barred"
    page.screenshot(path=artifacts_dir / f"album-tiles-{size_name(viewport)}.png", full_page=True)
    # And from one of its swaps, back to the album.
    page.locator(".album-tile-link").first.click()
    page.locator("#task-album").click()
    expect(page.locator(".album-tile")).to_have_count(2)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_copy_link_says_copied_the_share_sheet_gets_the_picture_and_the_link_has_a_qr_code(
    site_server, browser, alice, alice_photos, couple_template, artifacts_dir, viewport
):
    task = finished_swap(alice, couple_template, alice_photos)
    connection.close()
    page = open_page(
        browser,
        viewport,
        site_server.url,
        task.get_absolute_url(),
        context_options={"permissions": ["clipboard-read", "clipboard-write"]},
    )
    # Debian's Chromium has no share sheet on Linux: without navigator.share there is no Share button.
    if not page.evaluate("'share' in navigator"):
        expect(page.locator("#share-picture")).to_be_hidden()
    page.get_by_role("button", name="Create a link").click()
    url = page.locator(".share-url").first.input_value()
    page.get_by_role("button", name="Copy link").click()
    expect(page.locator(".copied").first).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == url
    page.locator(".share-qr summary").first.click()
    qr = page.locator("svg.share-qr-code").first
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box["width"] >= 150 and abs(box["width"] - box["height"]) < 1
    page.locator("#share").screenshot(path=artifacts_dir / f"share-copied-qr-{size_name(viewport)}.png")

    # A phone's share sheet: what the page hands to navigator.share (recorded, as Linux has no sheet).
    sheet = browser.new_context(viewport=viewport)
    sheet.add_init_script(
        """window.__shared = [];
        Object.defineProperty(navigator, 'canShare', {value: data => !!data});
        Object.defineProperty(navigator, 'share', {value: data => { window.__shared.push({
          files: (data.files || []).map(f => [f.name, f.type, f.size]), url: data.url, title: data.title });
          return Promise.resolve(); }});"""
    )
    phone = sheet.new_page()
    phone.set_default_timeout(30_000)
    log_in(phone, "alice", base_url=site_server.url)
    phone.goto(f"{site_server.url}{task.get_absolute_url()}")
    phone.wait_for_load_state("networkidle")
    phone.get_by_role("button", name="Share…").click()
    phone.wait_for_function("window.__shared.length > 0")
    shared = phone.evaluate("window.__shared[0]")
    assert shared["url"] == url and shared["title"] == "Red carpet"
    [(name, kind, size)] = shared["files"]
    assert (name, kind) == ("red-carpet.jpg", "image/jpeg") and size > 1000
