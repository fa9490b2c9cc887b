"""Behind a reverse proxy: real gunicorn, a real proxy process appending X-Forwarded-For, and visitors on
distinct loopback addresses. An attacker is throttled; the owner and a newcomer are not."""

from __future__ import annotations

import pytest
from django.urls import reverse

from testing import require_postgres
from testing.cast import PASSWORD, form_post, log_in, user_create
from testing.fixtures_services import web_server
from testing.reverse_proxy import ReverseProxy, session_from
from testing.servers import stopping

pytestmark = [pytest.mark.server, pytest.mark.django_db(transaction=True)]

TOO_MANY = "Too many failed login attempts"
ATTACKER, OWNER_HOME, OWNER_AWAY, NEWCOMER = "127.0.0.66", "127.0.0.2", "127.0.0.3", "127.0.0.4"


@pytest.fixture
def proxied_site(tmp_path, redis_server):
    """gunicorn (gthread, rate limits in its own Redis) told to trust one proxy, behind that proxy."""
    require_postgres()
    web = web_server(
        "gthread", tmp_path / "web.log", REDIS_URL=redis_server.url, TRUSTED_PROXY_COUNT="1",
        RATE_LIMIT_SIGNUP="5/m/ip", LOG_FORMAT="json",
    )  # fmt: skip
    proxy = ReverseProxy(upstream="", log_path=tmp_path / "proxy.log")
    with stopping(web, proxy):
        web.start()
        proxy.upstream = web.url
        proxy.start()
        yield proxy, web


def logged_in(session, base: str) -> bool:
    return session.get(base + reverse("accounts:profile"), allow_redirects=False, timeout=30).status_code == 200


def test_failed_log_ins_throttle_the_attacker_and_never_the_owner(proxied_site):
    proxy, web = proxied_site
    base = proxy.url
    user_create(username="owner", email="owner@example.com")
    trusted = session_from(OWNER_HOME)
    assert log_in(trusted, "owner", PASSWORD, base_url=base).status_code == 302
    assert form_post(trusted, base + reverse("account_logout"), {}).status_code == 302

    attacker = session_from(ATTACKER)
    # Made-up names first (the old per-address lock-out of everyone), then the owner's account, with a
    # forged X-Forwarded-For naming the owner's address: the proxy appends the real one, which counts.
    answers = [log_in(attacker, f"nobody{i}", "guess", base_url=base) for i in range(4)]
    attacker.headers["X-Forwarded-For"] = OWNER_AWAY
    answers += [log_in(attacker, "owner@example.com", f"guess-{i}", base_url=base) for i in range(6)]
    assert TOO_MANY in answers[-1].text
    assert TOO_MANY in log_in(attacker, "owner", PASSWORD, base_url=base).text
    assert not logged_in(attacker, base)

    # The owner: from the browser used before, and from a new browser elsewhere, at once.
    assert log_in(trusted, "owner", PASSWORD, base_url=base).status_code == 302 and logged_in(trusted, base)
    away = session_from(OWNER_AWAY)
    assert log_in(away, "owner", PASSWORD, base_url=base).status_code == 302 and logged_in(away, base)

    # The log lines name the client the proxy saw, not the proxy.
    assert f'"client_ip": "{ATTACKER}"' in web.log()


def sign_up(session, base: str, n: int, *, valid: bool):
    data = {"email": f"new{n}@example.com", "username": f"newcomer{n}", "password1": PASSWORD}
    data["password2"] = PASSWORD if valid else "not-the-same-1"
    return form_post(session, base + reverse("account_signup"), data)


def test_a_sign_up_flood_throttles_the_flooder_and_not_the_next_newcomer(proxied_site):
    proxy, _ = proxied_site
    flooder = session_from(ATTACKER)
    statuses = [sign_up(flooder, proxy.url, n, valid=False).status_code for n in range(7)]
    assert statuses[:5] == [200] * 5 and statuses[-1] == 429, statuses
    newcomer = session_from(NEWCOMER)
    answer = sign_up(newcomer, proxy.url, 99, valid=True)
    assert answer.status_code == 302, answer.text[-500:]
