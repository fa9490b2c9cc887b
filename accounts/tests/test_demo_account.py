"""The shared demo account: nobody can change its password or e-mail or delete it (in a real browser, on a
desktop and a phone), and `reset_demo` puts it back as seed_demo made it."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from playwright.sync_api import expect

from swaps.models import FaceSwapTask
from templates.management.commands.seed_demo import DEMO_PASSWORD, DEMO_USERNAME
from testing.cast import log_in, stored_image, user_create
from testing.fixtures_browser import DESKTOP, PHONE

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_demo_account_cannot_change_its_password_or_email_or_delete_itself(
    site_server, browser, artifacts_dir, viewport
):
    size = "phone" if viewport is PHONE else "desktop"
    demo = user_create(username=DEMO_USERNAME, email="demo@example.com")
    page = browser.new_page(viewport=viewport)
    page.set_default_timeout(30_000)
    log_in(page, DEMO_USERNAME, base_url=site_server.url)
    page.goto(f"{site_server.url}/accounts/")
    expect(page.locator("#demo-note")).to_contain_text("This is the shared demo account")
    expect(page.get_by_role("link", name="Change password")).to_have_count(0)
    expect(page.get_by_role("link", name="Delete my account…")).to_have_count(0)
    page.screenshot(path=artifacts_dir / f"demo-account-{size}.png", full_page=True)

    for path in ("/accounts/password/change/", "/accounts/email/", "/accounts/delete/"):
        page.goto(site_server.url + path)
        page.wait_for_url("**/accounts/")
        expect(page.locator(".messages")).to_contain_text("its password and e-mail address cannot be changed")
    # A form posted straight at it (no page in between) changes nothing either.
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    for path, data in (
        (
            "/accounts/password/change/",
            {"oldpassword": "x", "password1": "new-Secret-42", "password2": "new-Secret-42"},
        ),
        ("/accounts/email/", {"action_add": "", "email": "mine@example.com"}),
        ("/accounts/delete/", {"password": "x"}),
    ):
        answer = page.request.post(
            site_server.url + path, form=data, headers={"X-CSRFToken": token, "Referer": site_server.url}
        )
        assert answer.url.endswith("/accounts/"), (path, answer.url)
    demo.refresh_from_db()
    try:
        assert get_user_model().objects.filter(username=DEMO_USERNAME).exists()
        assert demo.email == "demo@example.com" and demo.emailaddress_set.filter(email="mine@example.com").count() == 0
    finally:
        connection.close()


def test_anyone_else_still_sees_and_reaches_their_own_settings(client, alice):
    client.force_login(alice)
    page = client.get("/accounts/")
    assert "Change password" in page.text and "Delete my account" in page.text and "shared demo" not in page.text
    assert client.get("/accounts/password/change/").status_code == 200


def test_reset_demo_clears_what_visitors_made_and_gives_back_the_seeded_account(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    demo = get_user_model().objects.get(username=DEMO_USERNAME)
    seeded_photos = set(demo.images.filter(image_type="source").values_list("filename", flat=True))
    # A visitor's afternoon: another photo, the password changed behind the site's back.
    stored_image(owner=demo, name="visitor.jpg")
    demo.set_password("changed-by-someone")
    demo.save()
    out = StringIO()
    call_command("reset_demo", stdout=out)
    assert "reset_demo: demo cleared" in out.getvalue()
    fresh = get_user_model().objects.get(username=DEMO_USERNAME)
    assert fresh.check_password(DEMO_PASSWORD)
    assert set(fresh.images.filter(image_type="source").values_list("filename", flat=True)) == seeded_photos
    assert "visitor.jpg" not in seeded_photos
    assert FaceSwapTask.objects.filter(user=fresh, status="completed").count() == 1
