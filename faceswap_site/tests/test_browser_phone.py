"""On a phone (390x844) in a real browser: everything a thumb presses is at least 44x44 px, a chip row that
scrolls says so, and a new sort order applies at once."""

import pytest
from django.db import connection
from playwright.sync_api import expect

from testing.cast import log_in, make_template, stored_image, user_create
from testing.fixtures_browser import DESKTOP, PHONE

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PRESSED = (
    "button, .button, .chip, .link-button, .photo-delete, .danger-link, select, summary, .tpl-fav-button, "
    ".nav-toggle-label, .list-links a"
)
TAGS = ("beach", "wedding", "winter", "kimono", "school", "festival", "rain", "city", "night", "picnic", "sunset")


def too_small(page) -> list[str]:
    """The visible things to press smaller than 44x44 px, with their text and size."""
    return page.evaluate(
        """selector => Array.from(document.querySelectorAll(selector))
            .filter(el => el.offsetParent !== null && getComputedStyle(el).visibility !== "hidden")
            .map(el => [el, el.getBoundingClientRect()])
            .filter(([el, box]) => box.width < 43.5 || box.height < 43.5)
            .map(([el, box]) => `${el.tagName.toLowerCase()}.${el.className} "${el.textContent.trim().slice(0, 30)}"`
                 + ` ${Math.round(box.width)}x${Math.round(box.height)}`)""",
        PRESSED,
    )


def test_the_swap_form_and_a_finished_swap_have_tap_targets_of_44_px_on_a_phone(
    site_server, browser, alice, alice_photos, couple_template, artifacts_dir
):
    from swaps.services import share_create, swap_create, swap_run

    task = swap_create(user=alice, template=couple_template, husband_image=alice_photos[0], wife_image=alice_photos[1])
    task = swap_run(task_id=task.pk)
    share_create(user=alice, task=task, days=7)
    page = browser.new_page(viewport=PHONE)
    page.set_default_timeout(30_000)
    log_in(page, "alice", base_url=site_server.url)
    found = {}
    for name, path in {
        "swap-form": f"/swaps/new/{couple_template.pk}/",
        "result": f"/swaps/{task.pk}/",
        "my-swaps": "/swaps/",
        "template": f"/templates/{couple_template.pk}/",
        "favourites": "/swaps/favourites/",
    }.items():
        page.goto(site_server.url + path)
        page.wait_for_load_state("load")
        found[name] = too_small(page)
        page.screenshot(path=artifacts_dir / f"tap-targets-{name}-phone.png", full_page=True)
    assert found == {name: [] for name in found}
    connection.close()


def test_every_tap_target_is_at_least_44_px_on_a_phone(site_server, browser, artifacts_dir):
    user = user_create(username="sam")
    for n in range(3):
        make_template(title=f"Scene {n}", tags=TAGS, popularity_score=n)
    photo = stored_image(owner=user, name="sideways.jpg")
    photo.metadata = {**photo.metadata, "face_check": {"ok": False, "message": "No face found."}}
    photo.save(update_fields=["metadata"])
    page = browser.new_page(viewport=PHONE)
    page.set_default_timeout(30_000)
    log_in(page, "sam", base_url=site_server.url)
    pages = {
        "gallery": "/templates/",
        "photos": "/photos/",
        "swaps": "/swaps/",
        "trash": "/swaps/trash/",
        "account": "/accounts/profile/",
    }
    found = {}
    for name, path in pages.items():
        page.goto(site_server.url + path)
        found[name] = too_small(page)
        page.screenshot(path=artifacts_dir / f"tap-targets-{name}-phone.png", full_page=True)
    # The things the note named: "Delete" was 53x19, "↺ Left / ↻ Right" 41x20, tag chips 29 px tall.
    page.goto(site_server.url + "/photos/")
    for name in ("Delete sideways.jpg", "Turn sideways.jpg left", "Turn sideways.jpg right"):
        box = page.get_by_role("link", name=name).or_(page.get_by_role("button", name=name)).bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44, (name, box)
    assert found == {name: [] for name in pages}
    connection.close()


def test_a_chip_row_that_scrolls_fades_at_its_edge_and_the_sort_applies_at_once(site_server, browser, artifacts_dir):
    for n in range(3):
        make_template(title=f"Scene {n}", tags=TAGS, popularity_score=10 - n)
    page = browser.new_page(viewport=PHONE)
    page.set_default_timeout(30_000)
    page.goto(f"{site_server.url}/templates/")
    tags = page.locator(".chips-tags")
    expect(tags).to_have_class("chips chips-tags has-more-right")
    assert tags.evaluate("row => getComputedStyle(row).maskImage || getComputedStyle(row).webkitMaskImage") != "none"
    page.screenshot(path=artifacts_dir / "chips-fade-phone.png")
    tags.evaluate("row => { row.scrollLeft = row.scrollWidth; row.dispatchEvent(new Event('scroll')); }")
    expect(tags).to_have_class("chips chips-tags has-more-left")

    # The sort menu: choosing applies it, no Search press needed.
    expect(page.locator(".tpl-card-title").first).to_have_text("Scene 0")
    page.select_option("#tpl-sort", "newest")
    page.wait_for_url("**sort=newest**")
    expect(page.locator(".tpl-card-title").first).to_have_text("Scene 2")
    connection.close()


def test_on_a_desktop_the_chips_fit_and_show_no_fade(site_server, browser):
    make_template(title="Scene", tags=TAGS[:3])
    page = browser.new_page(viewport=DESKTOP)
    page.goto(f"{site_server.url}/templates/")
    expect(page.locator(".chips-tags")).to_have_class("chips chips-tags")
    connection.close()
