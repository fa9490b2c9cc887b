"""Accounts through the real allauth views: sign up, log in by e-mail or username, log out; My account."""

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import User
from gallery.models import Image
from swaps.models import FaceSwapTask
from testing import cast as f
from testing import require_redis_url
from testing.cast import PASSWORD, stored_files, user_create

pytestmark = pytest.mark.django_db


def test_sign_up_log_out_and_log_in_by_email_and_by_username(client):
    response = client.post(
        reverse("account_signup"),
        {"email": "mei@example.com", "username": "mei", "password1": PASSWORD, "password2": PASSWORD},
        follow=True,
    )
    assert response.status_code == 200
    user = User.objects.get(username="mei")
    assert user.email == "mei@example.com"
    assert response.context["user"] == user
    assert "My photos" in response.text and "Log out" in response.text
    assert "Welcome, mei! You are logged in." in response.text
    assert len(mail.outbox) == 1 and "mei@example.com" in mail.outbox[0].to  # the (optional) verification

    response = client.post(reverse("account_logout"), follow=True)
    assert not response.context["user"].is_authenticated
    assert client.get(reverse("accounts:profile")).status_code == 302

    for login in ("mei@example.com", "mei"):
        response = client.post(reverse("account_login"), {"login": login, "password": PASSWORD}, follow=True)
        assert response.context["user"] == user, f"log-in by {login}"
        assert client.get(reverse("accounts:profile")).status_code == 200
        client.post(reverse("account_logout"))


def test_wrong_password_is_refused_with_a_message(client):
    user_create(username="kai")
    response = client.post(reverse("account_login"), {"login": "kai", "password": "not-it"})
    assert response.status_code == 200
    assert "not correct" in response.text
    assert not response.context["user"].is_authenticated


def test_signup_refuses_a_taken_email(client):
    user_create(username="first", email="same@example.com")
    response = client.post(
        reverse("account_signup"),
        {"email": "same@example.com", "username": "second", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 200
    assert "already registered" in response.text
    assert not User.objects.filter(username="second").exists()


def test_repeated_failed_logins_are_rate_limited(client):
    user_create(username="target")
    for _ in range(5):
        client.post(reverse("account_login"), {"login": "target", "password": "guess"})
    response = client.post(reverse("account_login"), {"login": "target", "password": PASSWORD})
    assert "Too many failed login attempts" in response.text
    assert not response.context["user"].is_authenticated


@pytest.mark.parametrize(
    "name", ["account_login", "account_signup", "account_reset_password", "account_change_password", "account_email"]
)
def test_allauth_pages_use_the_site_layout(name, client):
    if name in ("account_change_password", "account_email"):
        client.force_login(user_create())
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert '<header class="site-header">' in response.text
    assert "css/site.css" in response.text and "css/accounts/accounts.css" in response.text
    assert 'class="auth-page' in response.text
    assert "Menu:" not in response.text  # allauth's bare default layout
    assert "Sign In" not in response.text and "Sign Up" not in response.text, "the site says log in / sign up"
    assert "· Couple Face-Swap</title>" in response.text


def test_password_change_through_allauth(client):
    user = user_create()
    client.force_login(user)
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": "a-new-long-passphrase-9", "password2": "a-new-long-passphrase-9"},
        follow=True,
    )
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("accounts:profile")
    assert "Password successfully changed." in response.text
    user.refresh_from_db()
    assert user.check_password("a-new-long-passphrase-9")


def test_my_account_shows_counts_and_links(client):
    user = user_create(username="lin")
    f.stored_image(owner=user, name="one.jpg")
    f.stored_image(owner=user, name="two.jpg")
    FaceSwapTask.objects.create(user=user)
    client.force_login(user)
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 200
    text = response.text
    assert 'My photos <span class="count">2</span>' in text
    assert 'My swaps <span class="count">1</span>' in text
    assert reverse("account_change_password") in text
    assert reverse("accounts:delete") in text
    for image in Image.objects.filter(owner=user):
        assert image.get_thumbnail_url() in text
    assert f'href="{reverse("gallery:photo_list")}">See and add photos</a>' in text
    assert f'href="{reverse("swaps:list")}">See my swaps</a>' in text


def test_my_account_without_a_swap_offers_to_pick_a_template(client):
    user = user_create(username="new")
    client.force_login(user)
    text = client.get(reverse("accounts:profile")).text
    assert f'href="{reverse("gallery:photo_list")}">Add photos</a>' in text
    assert f'href="{reverse("couple_templates:list")}">Pick a template</a>' in text


def test_delete_my_account_needs_my_password(client, settings):
    user = user_create()
    f.stored_image(owner=user)
    client.force_login(user)
    page = client.get(reverse("accounts:delete"))
    assert "It cannot be undone" in page.text and "your 1 photo," in page.text
    response = client.post(reverse("accounts:delete"), {"password": "wrong"})
    assert "That is not your password" in response.text
    assert User.objects.filter(pk=user.pk).exists()
    assert len(stored_files(settings)) == 2


def test_delete_my_account_removes_everything_and_logs_out(client, settings, django_capture_on_commit_callbacks):
    user = user_create()
    other = user_create()
    f.stored_image(owner=user)
    keep = f.stored_image(owner=other)
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:delete"), {"password": PASSWORD}, follow=True)
    assert "Your account, your photos and your swaps have been deleted." in response.text
    assert response.redirect_chain[-1][0] == reverse("home")
    assert not response.context["user"].is_authenticated
    assert not User.objects.filter(pk=user.pk).exists()
    assert stored_files(settings) == sorted([keep.file.name, keep.thumbnail_key])


def test_my_account_needs_login(client):
    for name in ("accounts:profile", "accounts:delete"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


@pytest.mark.server
def test_rate_limit_counters_live_in_the_shared_redis(client, settings):
    """With REDIS_URL, allauth's counters are in Redis, so every web process sees the same limits."""
    url = require_redis_url()
    import redis

    client.post(reverse("account_login"), {"login": "someone", "password": "guess"})
    server = redis.Redis.from_url(url)
    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    keys = [key.decode() for key in server.scan_iter(f"{prefix}:*")]
    assert any("login_failed" in key for key in keys), keys


def test_too_many_signups_get_the_sites_429_page(client):
    for _ in range(20):
        client.post(reverse("account_signup"), {})
    response = client.post(reverse("account_signup"), {})
    assert response.status_code == 429
    assert "Too many attempts" in response.text
    assert '<header class="site-header">' in response.text
