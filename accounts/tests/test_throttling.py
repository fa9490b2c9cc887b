"""Log-in throttling without locking the owner out, and no account enumeration."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from testing.cast import PASSWORD, log_in, user_create

pytestmark = pytest.mark.django_db

TOO_MANY = "Too many failed login attempts"


def logged_in(client: Client) -> bool:
    return client.get(reverse("accounts:profile")).status_code == 200


def test_an_attacker_is_throttled_but_the_owner_still_gets_in():
    user_create(username="owner", email="owner@example.com")
    owner = Client(REMOTE_ADDR="10.0.0.1")
    assert log_in(owner, "owner", PASSWORD).status_code == 302  # this browser is now trusted
    owner.post(reverse("account_logout"))

    attacker = Client(REMOTE_ADDR="10.6.6.6")
    answers = [log_in(attacker, "owner@example.com", f"guess-{i}") for i in range(6)]
    assert TOO_MANY in answers[-1].text
    # Throttled: even the right password is refused to the attacker now.
    assert TOO_MANY in log_in(attacker, "owner", PASSWORD).text and not logged_in(attacker)

    # The owner, from the browser they used before, logs in at once.
    assert log_in(owner, "owner", PASSWORD).status_code == 302 and logged_in(owner)
    owner.post(reverse("account_logout"))
    # Wrong passwords from the trusted browser still count against its IP.
    assert all(TOO_MANY not in log_in(owner, "owner", "typo").text for _ in range(3))

    # A new browser elsewhere is not held by the attacker's failures (they count per account and client).
    elsewhere = Client(REMOTE_ADDR="10.0.0.3")
    assert log_in(elsewhere, "owner", PASSWORD).status_code == 302 and logged_in(elsewhere)

    # A new browser behind the attacker's address (one shared NAT) is held, until the owner uses the reset
    # e-mail, which lifts the limit for the address it is used from.
    new_browser = Client(REMOTE_ADDR="10.6.6.6")
    assert TOO_MANY in log_in(new_browser, "owner", PASSWORD).text
    new_browser.post(reverse("account_reset_password"), {"email": "owner@example.com"})
    link = re.search(r"http://\S+/password/reset/key/\S+", mail.outbox[-1].body).group(0)
    form = new_browser.get(link, follow=True)
    new_browser.post(form.request["PATH_INFO"], {"password1": "a-new-Secret-77", "password2": "a-new-Secret-77"})
    assert log_in(new_browser, "owner", "a-new-Secret-77").status_code == 302 and logged_in(new_browser)


def test_a_forged_trusted_cookie_does_not_lift_the_account_limit():
    user_create(username="owner", email="owner@example.com")
    attacker = Client(REMOTE_ADDR="10.6.6.7")
    attacker.cookies["trusted_login"] = "1:forged:signature"
    for i in range(6):
        log_in(attacker, "owner", f"guess-{i}")
    assert TOO_MANY in log_in(attacker, "owner", PASSWORD).text


def test_sign_up_and_reset_do_not_tell_whether_an_address_is_registered(client, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    user_create(username="taken", email="taken@example.com")

    def sign_up(email: str, username: str):
        data = {"email": email, "username": username, "password1": PASSWORD, "password2": PASSWORD}
        return Client().post(reverse("account_signup"), data)

    known, unknown = sign_up("taken@example.com", "newname1"), sign_up("free@example.com", "newname2")
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    known = client.post(reverse("account_reset_password"), {"email": "taken@example.com"})
    unknown = client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code and known.get("Location") == unknown.get("Location")
