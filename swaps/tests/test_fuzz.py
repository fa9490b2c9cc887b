"""Every URL pattern with hostile values, as anonymous, as the owner, as another user and as staff (every
admin and staff page included): never a 500."""

from __future__ import annotations

import re
from urllib.parse import quote, urlencode

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from swaps.models import FaceSwapTask
from testing import require_postgres
from testing.cast import encode, make_template, picture, upload_photo_bytes, user_create

HOSTILE = [
    "\x00",
    "a\x00",
    "4\x00",
    "\x1b[31m",
    "99999999999999999999",
    "2147483648",
    "-1",
    "abc",
    "1.5",
    "x" * 10_000,
    "ü😀\u202e\ufeff",
    "../../etc/passwd",
]
# Every query parameter and form field a view of ours reads, plus allauth's.
FIELDS = ["q", "tag", "category", "sort", "page", "next", "download", "image", "role", "template", "husband", "wife"]
FIELDS += ["login", "password", "email", "username", "password1", "password2", "oldpassword", "key", "action"]
# Admin and django-rq pages are for staff: the others get a sample (the changelist and object pages of
# our apps), staff every one of them.
SKIP = re.compile(r"^admin/(?!accounts/|gallery/|couple_templates/|swaps/)")


def patterns(resolver: URLResolver = None, prefix: str = "") -> list[str]:
    """Every URL pattern as a regex-ish route string, nested includes joined."""
    resolver = resolver or get_resolver()
    routes = []
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLPattern):
            routes.append(route)
        elif isinstance(entry, URLResolver):
            routes.extend(patterns(entry, route))
    return routes


PARAM = re.compile(r"<(?:(\w+):)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


def cases_for(route: str, real_ids: list[int]) -> list[tuple[str, str]]:
    """(path, field value) pairs: each parameter of the route set to every hostile value and to real ids
    of the owner, with a hostile value for the fields; a route without parameters gets every value."""
    route = re.sub(r"[\^$\\]", "", route)
    if not PARAM.search(route):
        return [("/" + route, value) for value in HOSTILE]
    values = [*HOSTILE, *(str(pk) for pk in real_ids)]
    return [
        ("/" + PARAM.sub(quote(value, safe=""), route), HOSTILE[i % len(HOSTILE)]) for i, value in enumerate(values)
    ]


# One test per visitor, so the three can run side by side (pytest -n).
@pytest.mark.server
@pytest.mark.parametrize("who", ["anonymous", "owner", "other", "staff"])
def test_no_url_answers_500_to_hostile_values(who, db, settings):
    require_postgres()
    settings.DEBUG = False
    owner = user_create(username="owner")
    other = user_create(username="other")
    staff = user_create(username="staff", is_staff=True, is_superuser=True)
    photo = upload_photo_bytes(owner, encode(picture((64, 64), (200, 180, 160))), "mine.jpg")
    template = make_template(tags=("beach",))
    task = FaceSwapTask.objects.create(user=owner, template=template, husband_image=photo, wife_image=photo)
    real_ids = [photo.pk, task.pk, template.pk]

    failures = []
    requests = 0
    routes = [route for route in patterns() if who == "staff" or not SKIP.match(route)]
    client = Client(raise_request_exception=False)
    for route in routes:
        for path, value in cases_for(route, real_ids):
            if who != "anonymous":
                # A logout page may have logged out: logged in again for every case.
                client.force_login({"owner": owner, "other": other, "staff": staff}[who])
            hostile = {name: value for name in FIELDS}
            # The same with the fields a view checks first made valid, so the hostile ones are reached.
            deeper = hostile | {"role": "husband", "image": value, "sort": "", "category": ""}
            for fields in (hostile, deeper):
                for method in ("GET", "POST"):
                    requests += 1
                    if method == "GET":
                        status = client.get(path + "?" + urlencode(fields)).status_code
                    else:
                        status = client.post(path, fields).status_code
                    # 503 is a deliberate answer (healthz with a service missing, the database down).
                    if status >= 500 and status != 503:
                        failures.append(f"{who} {method} {path[:80]!r} {value[:20]!r}: {status}")
    print(f"fuzz {who}: {len(routes)} URL patterns, {requests} requests, {len(failures)} answered 500")
    assert not failures, f"{len(failures)} of {requests} requests answered 500:\n" + "\n".join(failures[:40])
    assert requests > 1000
