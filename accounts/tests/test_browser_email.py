"""Signing up from a template in a real browser: the confirmation e-mail is in the site's own words, and its
link brings the person back to the template they came for; the e-mail page offers no re-send for an
address already confirmed."""

import re

import pytest
from django.core import mail
from django.db import connection
from playwright.sync_api import expect

from testing.fixtures_browser import DESKTOP, PHONE

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_confirmation_email_speaks_as_the_site_and_leads_back_to_the_template(
    site_server, browser, couple_template, artifacts_dir, viewport, settings
):
    size = "phone" if viewport is PHONE else "desktop"
    page = browser.new_page(viewport=viewport)
    page.set_default_timeout(30_000)
    page.goto(f"{site_server.url}/templates/{couple_template.pk}/")
    page.get_by_role("link", name="Log in or sign up to use this template").click()
    page.get_by_role("link", name="Create a free account").click()
    page.fill("input[name=email]", "kim@example.com")
    page.fill("input[name=username]", "kim")
    page.fill("input[name=password1]", "a-long-Secret-42")
    page.fill("input[name=password2]", "a-long-Secret-42")
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url(f"**/swaps/new/{couple_template.pk}/")

    message = mail.outbox[-1]
    assert message.subject == "Couple Face-Swap: Please confirm your e-mail address"
    assert message.body.startswith("Hello,\n")
    assert "Hello from" not in message.body and "localhost" not in message.body.split("http")[0]
    assert "your Couple Face-Swap account, kim" in message.body
    assert message.body.rstrip().endswith("Best wishes from Couple Face-Swap")
    link = re.search(r"http://\S+/confirm-email/\S+", message.body).group(0)
    assert link.endswith(f"?next=%2Fswaps%2Fnew%2F{couple_template.pk}%2F")

    # Later, from the e-mail: confirm, and be back on the template's swap form, not the home page.
    page.goto("about:blank")
    page.goto(link)
    expect(page.get_by_role("heading", name="Confirm your e-mail address")).to_be_visible()
    page.screenshot(path=artifacts_dir / f"email-confirm-{size}.png", full_page=True)
    page.get_by_role("button", name="Yes, confirm it").click()
    page.wait_for_url(f"**/swaps/new/{couple_template.pk}/")
    expect(page.locator(".messages")).to_contain_text("kim@example.com")
    expect(page.locator(".ring-legend")).to_contain_text("Your partner")
    page.screenshot(path=artifacts_dir / f"email-confirmed-back-on-template-{size}.png", full_page=True)

    # The address is confirmed: nothing offers to send the confirmation again, nor to remove the only address.
    page.goto(f"{site_server.url}/accounts/email/")
    expect(page.get_by_text("Confirmed", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Re-send|Send the confirmation again"))).to_have_count(0)
    expect(page.get_by_role("button", name="Remove")).to_have_count(0)
    page.screenshot(path=artifacts_dir / f"email-addresses-{size}.png", full_page=True)
    connection.close()


def test_the_password_reset_email_speaks_as_the_site(client, alice):
    client.post("/accounts/password/reset/", {"email": alice.email})
    message = mail.outbox[-1]
    assert message.subject == "Couple Face-Swap: Choose a new password"
    assert "Hello from" not in message.body and "testserver" not in message.body.split("http")[0]
    assert "Open this link to choose it:" in message.body
