"""The admin in a real browser: one "Accounts" section, and a crawl task started from its own page, whose
summary is words rather than a raw {}."""

import pytest
from django.db import connection
from playwright.sync_api import expect

from templates.models import CrawlTask
from testing.cast import log_in
from testing.fixtures_browser import DESKTOP, PHONE

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_one_accounts_section_and_a_crawl_task_runs_from_its_own_page(
    site_server, browser, curator, artifacts_dir, viewport
):
    size = "phone" if viewport is PHONE else "desktop"
    page = browser.new_page(viewport=viewport)
    page.set_default_timeout(30_000)
    log_in(page, "curator", base_url=site_server.url)
    page.goto(f"{site_server.url}/admin/")
    # (The admin's style shows captions in capitals: compare their text as written.)
    sections = [
        s.strip() for s in page.locator("#content-main caption").evaluate_all("els => els.map(e => e.textContent)")
    ]
    assert sections.count("Accounts") == 1, sections
    assert "Sign-in e-mail addresses" in sections, sections
    page.screenshot(path=artifacts_dir / f"admin-index-{size}.png", full_page=True)

    page.goto(f"{site_server.url}/admin/couple_templates/crawltask/add/")
    page.select_option("#id_source_type", "danbooru")
    page.fill("#id_search_query", "2girls")
    page.fill("#id_limit", "5")
    page.get_by_role("button", name="Save and run crawl").click()
    expect(page.locator(".messagelist")).to_contain_text("queued on the crawl queue")
    task = CrawlTask.objects.get()
    assert page.url.endswith(f"/admin/couple_templates/crawltask/{task.pk}/change/")
    # Its own page again, with the same button to run it again; the summary is words, never "{}".
    expect(page.get_by_role("button", name="Save and run crawl")).to_be_visible()
    log = page.locator(".field-log")
    expect(log).to_contain_text("Not run yet.")
    expect(page.locator("#content-main")).not_to_contain_text("{}")
    expect(page.locator("#id_filters")).to_have_value("")
    page.screenshot(path=artifacts_dir / f"admin-crawl-task-{size}.png", full_page=True)
    assert task.status == "pending"
    connection.close()
