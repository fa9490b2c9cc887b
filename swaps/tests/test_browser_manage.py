"""Looking after one's swaps in a real browser: delete asks first, then offers Undo, and the trash."""

import re

import pytest
from django.db import connection
from playwright.sync_api import expect

from swaps.models import FaceSwapTask
from swaps.services import swap_create, swap_run
from testing.cast import log_in
from testing.fixtures_browser import DESKTOP, PHONE

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_delete_a_swap_with_confirmation_then_undo_and_the_trash(
    site_server, browser, alice, alice_photos, couple_template, artifacts_dir, viewport
):
    size = "phone" if viewport is PHONE else "desktop"
    task = swap_create(user=alice, template=couple_template, husband_image=alice_photos[0], wife_image=alice_photos[1])
    task = swap_run(task_id=task.pk)
    connection.close()
    page = browser.new_page(viewport=viewport)
    page.set_default_timeout(30_000)
    log_in(page, "alice", base_url=site_server.url)
    page.goto(f"{site_server.url}/swaps/")
    page.get_by_role("link", name=f"Delete swap #{task.pk}").click()
    expect(page.get_by_role("heading", name="Delete this swap?")).to_be_visible()
    page.screenshot(path=artifacts_dir / f"delete-confirm-{size}.png", full_page=True)
    page.get_by_role("link", name="Keep it").click()  # changed my mind: nothing happens
    expect(page.locator("#result-image")).to_be_visible()

    page.get_by_role("link", name="Delete this swap").click()
    page.get_by_role("button", name="Delete swap").click()
    expect(page.locator("#undo-bar")).to_contain_text("was moved to the trash.")
    expect(page.get_by_text("You have not made a swap yet.")).to_be_visible()
    page.screenshot(path=artifacts_dir / f"delete-undo-{size}.png", full_page=True)
    page.get_by_role("button", name="Undo").click()
    expect(page.locator("#result-image")).to_be_visible()

    page.get_by_role("link", name="Delete this swap").click()
    page.get_by_role("button", name="Delete swap").click()
    page.get_by_role("link", name="Trash").click()
    expect(page.get_by_role("button", name="Restore")).to_be_visible()
    page.screenshot(path=artifacts_dir / f"trash-{size}.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    try:
        assert FaceSwapTask.objects.get(pk=task.pk).deleted_at is not None
    finally:
        connection.close()


def test_a_visitor_is_told_why_to_log_in_and_comes_back_to_the_template_after_signing_up(
    site_server, browser, couple_template, artifacts_dir
):
    page = browser.new_page(viewport=PHONE)
    page.set_default_timeout(30_000)
    page.goto(f"{site_server.url}/templates/{couple_template.pk}/")
    page.get_by_role("link", name="Log in or sign up to use this template").click()
    expect(page.locator("#why-log-in")).to_contain_text("Log in or sign up to use this template")
    page.screenshot(path=artifacts_dir / "login-to-use-template-phone.png", full_page=True)
    page.get_by_role("link", name="Create a free account").click()
    expect(page.locator("#why-log-in")).to_be_visible()
    page.fill("input[name=email]", "kim@example.com")
    page.fill("input[name=username]", "kim")
    page.fill("input[name=password1]", "a-long-Secret-42")
    page.fill("input[name=password2]", "a-long-Secret-42")
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url(f"**/swaps/new/{couple_template.pk}/")
    expect(page.locator(".ring-legend")).to_contain_text("Your partner")
    connection.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_share_link_opened_in_a_fresh_browser_shows_only_the_result_until_revoked_or_expired(
    site_server, browser, alice, alice_photos, couple_template, artifacts_dir, viewport
):
    from datetime import timedelta

    from django.utils import timezone

    from swaps.models import ShareLink

    size = "phone" if viewport is PHONE else "desktop"
    task = swap_run(
        task_id=swap_create(
            user=alice, template=couple_template, husband_image=alice_photos[0], wife_image=alice_photos[1]
        ).pk
    )
    connection.close()
    owner = browser.new_context(viewport=viewport).new_page()
    owner.set_default_timeout(30_000)
    log_in(owner, "alice", base_url=site_server.url)
    owner.goto(f"{site_server.url}{task.get_absolute_url()}")
    owner.select_option("#share-days", "1")
    owner.get_by_role("button", name="Create a link").click()
    url = owner.locator(".share-url").first.input_value()
    assert re.fullmatch(rf"{re.escape(site_server.url)}/s/[A-Za-z0-9_-]{{32}}/", url)
    owner.locator("#share").screenshot(path=artifacts_dir / f"share-create-{size}.png")

    # Someone else, in a fresh browser with no cookies of the owner's.
    stranger_context = browser.new_context(viewport=viewport)
    stranger = stranger_context.new_page()
    stranger.set_default_timeout(30_000)
    assert stranger_context.cookies() == []
    response = stranger.goto(url)
    assert response.status == 200
    picture = stranger.locator("#shared-picture")
    stranger.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=picture.element_handle())
    assert stranger.evaluate("document.getElementById('shared-picture').naturalWidth") == task.result_image.width
    expect(stranger.locator("#ai-notice")).to_contain_text("AI-edited")
    sources = stranger.evaluate("[...document.images].map(i => i.src)")
    assert [src for src in sources if "/s/" in src] == [f"{url}picture.jpg"]
    assert not [src for src in sources if "/photos/" in src]
    links = stranger.evaluate("[...document.links].map(a => a.pathname)")
    assert not [
        path for path in links if path.startswith(("/swaps", "/photos", "/accounts/delete")) or path == "/accounts/"
    ]
    stranger.screenshot(path=artifacts_dir / f"share-page-{size}.png", full_page=True)
    assert stranger.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    owner.reload()
    expect(owner.locator(".share-link").first).to_contain_text("1 view")
    owner.get_by_role("button", name="Turn off").click()
    expect(owner.locator(".share-link")).to_have_count(0)
    assert stranger.goto(url).status == 404
    stranger.screenshot(path=artifacts_dir / f"share-revoked-{size}.png", full_page=True)

    owner.get_by_role("button", name="Create a link").click()
    second = owner.locator(".share-url").first.input_value()
    assert stranger.goto(second).status == 200
    try:
        ShareLink.objects.filter(token=second.rstrip("/").rsplit("/", 1)[1]).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
    finally:
        connection.close()
    assert stranger.goto(second).status == 404
    assert stranger.goto(f"{second}picture.jpg").status == 404


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_heart_on_a_template_and_my_favourites(site_server, browser, alice, couple_template, artifacts_dir, viewport):
    size = "phone" if viewport is PHONE else "desktop"
    page = browser.new_page(viewport=viewport)
    page.set_default_timeout(30_000)
    log_in(page, "alice", base_url=site_server.url)
    page.goto(f"{site_server.url}/templates/")
    page.get_by_role("button", name="Add “Red carpet” to My favourites").click()
    expect(page.get_by_role("button", name="Remove “Red carpet” from My favourites")).to_be_visible()
    page.screenshot(path=artifacts_dir / f"favourite-heart-{size}.png", full_page=True)
    page.goto(f"{site_server.url}/swaps/favourites/")
    expect(page.locator(".tpl-card")).to_have_count(1)
    expect(page.get_by_role("link", name="Try them all in one album")).to_be_visible()
    page.screenshot(path=artifacts_dir / f"favourites-{size}.png", full_page=True)
    connection.close()
