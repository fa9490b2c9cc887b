"""The test cast every app's tests share: people (with a password that logs in), pictures generated in
memory, photos stored through the real upload service, templates, and logging in as a person would.

Fixtures built on these (alice, bob, alice_photos, couple_template) are in testing/fixtures_cast.py.
"""

from __future__ import annotations

import io
import itertools
import os
import random
import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage

# --- People --------------------------------------------------------------------------------------------

PASSWORD = "correct-horse-battery-staple-42"
_numbers = itertools.count(1)


def user_create(*, username: str | None = None, email: str | None = None, password: str = PASSWORD, **extra):
    """A real user with a real (hashed) password; person<n> when no username is given."""
    from accounts.models import User

    n = next(_numbers)
    username = username or f"person{n}"
    email = email or f"{username}@example.com"
    return User.objects.create_user(username=username, email=email, password=password, **extra)


def log_in(via, login: str, password: str = PASSWORD, *, base_url: str = ""):
    """Post the site's log-in form as a person would, through a Django test `Client`, a `requests.Session`
    against a running server at base_url (the form fetched first for its CSRF token), or a Playwright page
    (which then shows the logged-in menu). The response, unfollowed; None for a page."""
    import requests
    from django.test import Client
    from django.urls import reverse

    if isinstance(via, Client):
        return via.post(reverse("account_login"), {"login": login, "password": password})
    if isinstance(via, requests.Session):
        return form_post(via, base_url + reverse("account_login"), {"login": login, "password": password})
    from playwright.sync_api import expect

    via.goto(base_url + reverse("account_login"))
    via.fill("input[name=login]", login)
    via.fill("input[name=password]", password)
    via.locator("main form button[type=submit]").last.click()
    expect(via.locator("nav")).to_contain_text("Log out")
    return None


def form_post(session, url: str, data: dict):
    """Fetch a form page for its CSRF token, then post it with `session` (no redirects followed)."""
    import re

    page = session.get(url, timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return session.post(url, data={**data, "csrfmiddlewaretoken": token}, allow_redirects=False, timeout=60)


def logged_in_session(user, base_url: str):
    """A requests.Session logged in as user (a real session row) with a CSRF cookie and header."""
    import requests
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    session = requests.Session()
    session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=32))
    session.cookies.set(settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value)
    token = "a" * 32  # Django accepts any 32-character secret as long as cookie and header agree.
    session.cookies.set(settings.CSRF_COOKIE_NAME, token)
    session.headers.update({"X-CSRFToken": token, "Referer": base_url + "/"})
    return session


# --- Pictures generated in memory, as a browser would upload them --------------------------------------

CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
_colours = itertools.cycle([(200, 80, 120), (90, 120, 200), (60, 160, 90), (220, 170, 60), (130, 70, 170)])
_pictures = itertools.count(1)


def picture(size=(64, 48), colour=(200, 40, 90), mode="RGB", noise: bool = False) -> PILImage.Image:
    """A picture of one colour, or of random pixels (which compress badly: a larger file)."""
    if noise:
        rng = np.random.default_rng(7)
        return PILImage.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))
    return PILImage.new(mode, size, colour)


def encode(img: PILImage.Image, fmt: str = "JPEG", **params) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, fmt, **params)
    return buffer.getvalue()


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def jpeg_upload(name: str = "photo.jpg", **picture_kwargs) -> SimpleUploadedFile:
    return upload(encode(picture(**picture_kwargs), "JPEG", quality=90), name)


def random_bytes(n: int = 5000, seed: int = 4) -> bytes:
    return random.Random(seed).randbytes(n)


def png_bomb(width: int = 20000, height: int = 20000) -> bytes:
    """A small PNG (about 50 KB) that claims width x height one-colour pixels (1-bit greyscale)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def picture_bytes(width: int = 320, height: int = 240, fmt: str = "PNG", colour: tuple | None = None) -> bytes:
    """A small picture, different for every call (so no two are the same sha256)."""
    n = next(_pictures)
    img = PILImage.new("RGB", (width, height), colour or next(_colours))
    # A few unique pixels keep every generated picture distinct.
    for i in range(8):
        img.putpixel((i, 0), (255, 255, 255) if (n >> i) & 1 else (0, 0, 0))
    img.putpixel((8, 0), (n % 256, (n // 256) % 256, 7))
    return encode(img, fmt)


def picture_upload(name: str = "picture.png", **kwargs: Any) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, picture_bytes(**kwargs), content_type="image/png")


def two_people_picture(faces_dir: Path) -> bytes:
    """A photo of the husband with a smaller second person beside him (two real portraits side by side)."""
    man = PILImage.open(faces_dir / "man_single_obama.jpg").convert("RGB")
    # Her face about 0.7 of his: clearly the second person, not an ambiguous pair.
    woman = PILImage.open(faces_dir / "woman_single_astronaut.png").convert("RGB").resize((880, 880))
    canvas = PILImage.new("RGB", (man.width + woman.width, man.height), "white")
    canvas.paste(man, (0, 0))
    canvas.paste(woman, (man.width, 100))
    return encode(canvas, "JPEG", quality=92)


# Uploads the site must refuse, each with (error code, words of its message).
BAD_INPUTS = {
    "random bytes named .jpg": (lambda: upload(random_bytes(), "holiday.jpg"), "not_an_image", "not a picture"),
    "truncated JPEG": (
        lambda: upload(encode(picture((400, 300), noise=True), "JPEG", quality=95)[:9000], "cut.jpg"),
        "truncated",
        "cut short",
    ),
    "0-byte file": (lambda: upload(b"", "empty.jpg"), "empty", "empty (0 bytes)"),
    "PNG decompression bomb": (lambda: upload(png_bomb(), "bomb.png", "image/png"), "decompression_bomb", "bomb"),
    "SVG": (
        lambda: upload(
            b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
            b'<rect width="10" height="10" fill="red"/></svg>',
            "drawing.svg",
            "image/svg+xml",
        ),
        "svg",
        "SVG drawings are not accepted",
    ),
    "GIF": (lambda: upload(encode(picture(), "GIF"), "anim.gif", "image/gif"), "format", "GIF images"),
}


# --- Photos stored through the real upload service -----------------------------------------------------


def stored_image(*, owner, image_type: str = "source", name: str = "photo.jpg", **picture_kwargs):
    """A generated picture stored through the real upload service."""
    from gallery.services import image_upload

    return image_upload(owner=owner, file=jpeg_upload(name, **picture_kwargs), image_type=image_type)


def upload_photo(user, path: Path):
    """One of the shared photos uploaded by user as a person's photo."""
    return upload_photo_bytes(user, path.read_bytes(), path.name)


def upload_photo_bytes(user, data: bytes, name: str):
    from gallery.models import ImageType
    from gallery.services import image_upload

    return image_upload(owner=user, file=SimpleUploadedFile(name, data), image_type=ImageType.SOURCE)


def submit_as_me(user, template, husband, wife, capture):
    """The holder's swap of `template` with their own photo (`husband`, "this is me" ticked) and their
    partner's (`wife`); the jobs it queues run at once through `capture` (django_capture_on_commit_callbacks)."""
    from swaps.services import PersonPhoto, swap_submit

    with capture(execute=True):
        return swap_submit(
            user=user,
            template=template,
            husband=PersonPhoto(image=husband),
            wife=PersonPhoto(image=wife),
            this_is_me=True,
        )


def stored_files(settings) -> list[str]:
    """Every file under the local media folder, relative to it."""
    root = settings.MEDIA_ROOT
    if not os.path.isdir(root):
        return []
    return sorted(os.path.relpath(os.path.join(d, n), root) for d, _, names in os.walk(root) for n in names)


# --- Templates -----------------------------------------------------------------------------------------


def face(x1: float, y1: float, x2: float, y2: float, *, role: str | None = None, source: str = "detected") -> dict:
    """A valid face_positions entry with key points placed inside the box."""
    w, h = x2 - x1, y2 - y1
    kps = [
        [x1 + 0.3 * w, y1 + 0.4 * h],
        [x1 + 0.7 * w, y1 + 0.4 * h],
        [x1 + 0.5 * w, y1 + 0.6 * h],
        [x1 + 0.35 * w, y1 + 0.8 * h],
        [x1 + 0.65 * w, y1 + 0.8 * h],
    ]
    return {"box": [x1, y1, x2, y2], "kps": kps, "landmarks": None, "score": 0.9, "role": role, "source": source}


COUPLE = [face(40, 60, 120, 140, role="husband"), face(200, 70, 270, 140, role="wife")]


def make_template(
    *,
    title: str = "A couple",
    category: str | None = "acg",
    faces: list[dict] | None = None,
    is_active: bool = True,
    tags: tuple[str, ...] = (),
    picture_size: tuple[int, int] = (320, 240),
    **fields: Any,
):
    """A template on a generated picture (320x240 by default) with the faces given (a complete couple by
    default): no engine involved. For a real photo with its faces found, see template_from_photo."""
    from gallery.models import ImageType
    from gallery.services import image_upload
    from templates.models import Template

    width, height = picture_size
    image = image_upload(
        owner=None,
        file=picture_upload(width=width, height=height),
        image_type=ImageType.TEMPLATE,
        category=category,
        tags=tags,
    )
    return Template.objects.create(
        image=image,
        title=title,
        category=category,
        face_positions=[dict(f) for f in (COUPLE if faces is None else faces)],
        is_active=is_active,
        **fields,
    )


def template_from_photo(path: Path, *, title: str = "Red carpet", husband_right: bool = True, active: bool = True):
    """A template made from a real photo the way admins make them (faces found by the engine), roles set by
    position: the leftmost and rightmost faces."""
    from templates.services import template_activate, template_create, template_set_roles

    template = template_create(image_file=ContentFile(path.read_bytes(), name=path.name), title=title, category="movie")
    order = sorted(range(len(template.face_positions)), key=lambda i: template.face_positions[i]["box"][0])
    left, right = ("wife", "husband") if husband_right else ("husband", "wife")
    roles = [None] * len(order)
    roles[order[0]], roles[order[-1]] = left, right
    template = template_set_roles(template=template, roles=roles)
    return template_activate(template=template) if active else template
