"""Every URL pattern with hostile values, as anonymous, as the owner, as another user and as staff (every
admin and staff page included): never a 500.

Each run sends every pattern a sample of the hostile values, not all twelve: SAMPLE (3) of them, plus the
owner's real ids where the pattern takes an id. The sample is chosen by a seed, FUZZ_SEED (default: today's
date, so CI on a fresh clone rotates too): a window of the list that moves on by SAMPLE with each seed and
with each next pattern. So every run sends every value to some patterns, and any four seeds in a row (four
days of runs) send every value to every pattern. Sampling keeps the fuzz at about a third of the requests
of sending everything, which FUZZ_SAMPLE=0 still does. A failure names its seed; FUZZ_SEED=<seed> repeats
that run exactly."""

from __future__ import annotations

import datetime
import functools
import os
import re
from urllib.parse import quote, urlencode

import pytest
from django.test import Client
from django.test.client import BOUNDARY, encode_multipart
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
# Hostile values per pattern and run (0: every one), and the seed that picks them (see the module's docstring).
SAMPLE = int(os.environ.get("FUZZ_SAMPLE", "3")) or len(HOSTILE)
SEED = int(os.environ.get("FUZZ_SEED") or datetime.datetime.now(datetime.UTC).date().toordinal())


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


def hostile_sample(position: int, seed: int, size: int = SAMPLE) -> list[str]:
    """`size` hostile values for the pattern at `position` (in the visitor's list) and this seed: a window
    of HOSTILE that moves on by `size` with each seed, and for each next pattern, wrapping round. So any
    len(HOSTILE) / size patterns in a row get every value between them, and so does one pattern over as
    many seeds in a row."""
    start = (position + seed) * size
    return [HOSTILE[(start + i) % len(HOSTILE)] for i in range(min(size, len(HOSTILE)))]


def cases_for(route: str, real_ids: list[int], *, position: int = 0, seed: int = SEED) -> list[tuple[str, str]]:
    """(path, field value) pairs: each parameter of the route set to this run's sample of hostile values
    (hostile_sample) and to real ids of the owner, with a hostile value of the sample for the fields; a
    route without parameters gets the sample."""
    route = re.sub(r"[\^$\\]", "", route)
    sample = hostile_sample(position, seed)
    if not PARAM.search(route):
        return [("/" + route, value) for value in sample]
    values = [*sample, *(str(pk) for pk in real_ids)]
    return [("/" + PARAM.sub(quote(value, safe=""), route), sample[i % len(sample)]) for i, value in enumerate(values)]


def test_the_samples_of_consecutive_seeds_send_every_value_to_every_pattern():
    """The rotation the module's docstring promises: len(HOSTILE) / SAMPLE seeds in a row (runs on as many
    days) send every value to each pattern, and one run sends every value to some pattern."""
    runs = -(-len(HOSTILE) // SAMPLE)
    for position in range(len(patterns())):
        seen = {value for seed in range(SEED, SEED + runs) for value in hostile_sample(position, seed)}
        assert seen == set(HOSTILE), position
    assert {value for position in range(runs) for value in hostile_sample(position, SEED)} == set(HOSTILE)


# The content type of a multipart body encoded already (the client encodes the data itself only when given
# its own MULTIPART_CONTENT object).
ENCODED = f"multipart/form-data; boundary={BOUNDARY}"


@functools.cache
def encoded_fields(value: str, deeper: bool) -> tuple[str, bytes]:
    """The query string and the multipart body of FIELDS all set to `value`; with `deeper`, the fields a
    view checks first made valid, so the hostile ones are reached. Encoded once per value and run: a
    10,000-character value in 21 fields took a sixth of the test's time to encode again for every URL."""
    fields = {name: value for name in FIELDS}
    if deeper:
        fields |= {"role": "husband", "image": value, "sort": "", "category": ""}
    return urlencode(fields), encode_multipart(BOUNDARY, fields)


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
    fields_tried: set[str] = set()
    routes = [route for route in patterns() if who == "staff" or not SKIP.match(route)]
    client = Client(raise_request_exception=False)
    for position, route in enumerate(routes):
        for path, value in cases_for(route, real_ids, position=position):
            if who != "anonymous":
                # A logout page may have logged out: logged in again for every case.
                client.force_login({"owner": owner, "other": other, "staff": staff}[who])
            fields_tried.add(value)
            for deeper in (False, True):
                query, body = encoded_fields(value, deeper)
                for method in ("GET", "POST"):
                    requests += 1
                    if method == "GET":
                        status = client.get(path + "?" + query).status_code
                    else:
                        status = client.post(path, body, content_type=ENCODED).status_code
                    # 503 is a deliberate answer (healthz with a service missing, the database down).
                    if status >= 500 and status != 503:
                        failures.append(f"{who} {method} {path[:80]!r} {value[:20]!r}: {status}")
    print(
        f"fuzz {who}: FUZZ_SEED={SEED}, {len(routes)} URL patterns, {requests} requests, {len(failures)} answered 500"
    )
    assert not failures, f"FUZZ_SEED={SEED}: {len(failures)} of {requests} requests answered 500:\n" + "\n".join(
        failures[:40]
    )
    # Every pattern was visited with the sample, both field sets, both methods; every value was sent somewhere.
    assert requests >= len(routes) * min(SAMPLE, len(HOSTILE)) * 4
    assert fields_tried == set(HOSTILE)
