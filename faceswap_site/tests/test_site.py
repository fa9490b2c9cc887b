import re

import pytest
from django.core.management import call_command
from django.test import override_settings

from faceswap_site.checks import production_settings_check
from testing import REPO_DIR


def test_env_example_documents_every_setting_variable():
    settings_source = (REPO_DIR / "faceswap_site" / "settings.py").read_text()
    used = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z_]+)"', settings_source))
    documented = set(re.findall(r"^#?\s*([A-Z_]+)=", (REPO_DIR / ".env.example").read_text(), re.M))
    assert used, "no environment variables found in settings.py"
    assert used <= documented, f"not in .env.example: {sorted(used - documented)}"


@pytest.mark.django_db
def test_home_page_renders_with_navigation(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Put the two of you into your favourite couple scenes" in response.text
    assert 'href="/accounts/login/"' in response.text


@pytest.mark.django_db
def test_unknown_page_gets_the_site_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    # The site's own page (in the site layout, with its navigation), not Django's bare one.
    assert "We could not find that page" in response.text
    assert 'href="/templates/"' in response.text


@pytest.mark.django_db
def test_admin_login_page_is_served(client):
    response = client.get("/admin/", follow=True)
    assert response.status_code == 200
    assert "Log in" in response.text


def test_production_checks_refuse_dev_defaults():
    with override_settings(DEBUG=False, SECRET_KEY="dev-only-insecure-secret-key-change-me", REDIS_CONFIGURED=False):
        ids = {error.id for error in production_settings_check(None)}
    assert {"faceswap_site.E001", "faceswap_site.E004"} <= ids


def test_production_checks_are_quiet_in_development():
    with override_settings(DEBUG=True):
        assert production_settings_check(None) == []


@pytest.mark.django_db
def test_no_missing_migrations():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.django_db
def test_the_favicon_is_linked_and_found_at_favicon_ico(client):
    from django.contrib.staticfiles import finders

    page = client.get("/templates/").text
    for name in ("favicon.svg", "favicon-32.png", "apple-touch-icon.png"):
        assert f"images/{name}" in page
        assert finders.find(f"images/{name}")
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("images/favicon.ico")
    from PIL import Image

    with Image.open(finders.find("images/favicon.ico")) as icon:
        assert icon.format == "ICO" and (32, 32) in icon.info["sizes"]
