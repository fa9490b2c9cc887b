"""The heart on a template in a real browser: it turns without leaving the page, and the usage count says
what it is."""

import pytest
from django.db import connection
from playwright.sync_api import expect

from templates.models import Template
from testing.cast import log_in, make_template
from testing.fixtures_browser import DESKTOP, PHONE

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _catalogue() -> None:
    for n in range(12):
        make_template(title=f"Scene {n:02d}", popularity_score=12 - n)
    Template.objects.filter(title="Scene 11").update(popularity_score=1)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_heart_turns_without_a_reload_or_a_jump_and_the_count_says_used_n_times(
    site_server, browser, alice, artifacts_dir, viewport
):
    size = "phone" if viewport is PHONE else "desktop"
    _catalogue()
    page = browser.new_page(viewport=viewport)
    page.set_default_timeout(30_000)
    log_in(page, "alice", base_url=site_server.url)
    page.goto(f"{site_server.url}/templates/")
    # The number beside a card is how often it was used, in words, not a heart that looks like favourites.
    card = page.locator(".tpl-card", has_text="Scene 09")
    expect(card.locator(".tpl-uses")).to_have_text("used 3 times")
    expect(page.locator(".tpl-card", has_text="Scene 11").locator(".tpl-uses")).to_have_text("used 1 time")
    expect(page.locator(".tpl-uses", has_text="♥")).to_have_count(0)

    heart = page.get_by_role("button", name="Add “Scene 09” to My favourites")
    heart.scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, 40)")
    page.evaluate("window.stayedOnPage = true")
    before = page.evaluate("window.scrollY")
    assert before > 0
    box = heart.bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44, box
    heart.click()
    pressed = page.get_by_role("button", name="Remove “Scene 09” from My favourites")
    expect(pressed).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#fav-status")).to_have_text("“Scene 09” added to My favourites.")
    expect(page.locator("#fav-status")).to_be_visible()
    # Same page (no reload), same place on it.
    assert page.evaluate("window.stayedOnPage") is True
    assert page.evaluate("window.scrollY") == before
    page.screenshot(path=artifacts_dir / f"favourite-no-reload-{size}.png")
    assert alice.favourites.filter(template__title="Scene 09").exists()

    pressed.click()
    unpressed = page.get_by_role("button", name="Add “Scene 09” to My favourites")
    expect(unpressed).to_have_attribute("aria-pressed", "false")
    expect(page.locator("#fav-status")).to_have_text("“Scene 09” removed from My favourites.")
    assert page.evaluate("window.stayedOnPage") is True
    assert not alice.favourites.filter(template__title="Scene 09").exists()
    connection.close()


def test_without_javascript_the_heart_still_posts_and_comes_back(site_server, browser, alice, artifacts_dir):
    _catalogue()
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    log_in(page, "alice", base_url=site_server.url)
    page.goto(f"{site_server.url}/templates/")
    page.get_by_role("button", name="Add “Scene 03” to My favourites").click()
    expect(page.get_by_role("button", name="Remove “Scene 03” from My favourites")).to_be_visible()
    expect(page.locator(".messages")).to_contain_text("“Scene 03” added to My favourites.")
    assert page.url.endswith("/templates/")
    context.close()
    connection.close()
