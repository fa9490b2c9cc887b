"""Looking after one's swaps in a real browser: delete asks first, then offers Undo, and the trash."""

import pytest
from django.db import connection
from playwright.sync_api import expect

from swaps.models import FaceSwapTask
from swaps.services import swap_create, swap_run

from .test_browser_couple import DESKTOP, PHONE, log_in

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
    log_in(page, site_server.url, "alice")
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
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(f"**/swaps/new/{couple_template.pk}/")
    expect(page.locator(".ring-legend")).to_contain_text("Your partner")
    connection.close()
