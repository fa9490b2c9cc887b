"""The cards of a person's own pages (a swap on My swaps, a photo on My photos, the swap form's photo pickers),
each rendered once and kept in the shared cache until anything it shows changes.

Rendering the cards was most of these pages' server time. A card is kept under a key made of everything its
HTML depends on, so a kept card is never out of date and never anyone else's:
- what the card is given, value by value: for a row, every field loaded on it and on the related rows
  loaded with it (select_related, narrowed by only()), so a swap finishing, a photo turned or renamed, a
  template retitled, a partner's new name each make another key at once, with no invalidation to forget;
- the viewer (a card is never shared between two logins, even one showing the same row), the language, the
  time zone and the script prefix;
- the files its HTML comes from (`site_digest`): every template (the card's own and those it includes or
  extends), the translation catalogues and the static files' manifest, so a deploy that changes any of them
  never serves a card of the older kind; FORMAT for a change in the Python a card calls (bump it then).
A card rendered on a miss is kept only if rendering it loaded nothing its key does not cover (a related
row fetched lazily would be shown without being in the key): such a card is shown but not kept, and logged.
Unused cards simply expire (FRAGMENT_SECONDS).

Cards are rendered without the context processors: they see what they are given, the viewer as `user` and
`request.user`, and a stand-in for the CSRF token, replaced by the request's own token on the way out.
Pictures on cards are addressed by the access-checked views (a photo's address never carries a presigned
S3 URL: those are made per request, after the owner check), so a kept card holds nothing that expires.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace

from django.conf import settings
from django.core.cache import cache
from django.db.models import FileField, Model
from django.db.models.fields.files import FieldFile
from django.dispatch import receiver
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import get_template
from django.template.utils import get_app_template_dirs
from django.urls import get_script_prefix
from django.utils import timezone, translation
from django.utils.autoreload import file_changed
from django.utils.functional import LazyObject, empty
from django.utils.safestring import SafeString, mark_safe

logger = logging.getLogger(__name__)

# Bump when the Python a card calls changes what it shows (a URL's shape, a label), so no older card is used.
FORMAT = 1
FRAGMENT_SECONDS = 6 * 3600
# Letters only, so HTML escaping leaves it as it is; no person's text is this.
CSRF_STAND_IN = "xCardCsrfStandInQz"


def row_state(obj: Model, _path: tuple = ()) -> tuple:
    """Every concrete field loaded on `obj` and, recursively, on the related rows loaded with it: what a card
    made from `obj` can show without another query."""
    data = obj.__dict__
    state: list = [obj._meta.label, *(data.get(name, _UNLOADED) for name in _attnames(type(obj)))]
    for index in _file_fields(type(obj)):
        # A file field's value turns from its key into a FieldFile when first read: the key either way.
        value = state[index]
        if isinstance(value, FieldFile):
            state[index] = value.name
    fields_cache = obj._state.fields_cache
    if fields_cache:
        path = (*_path, id(obj))
        for name, related in sorted(fields_cache.items()):
            # A one-to-one's far side points back (a template's picture to its template): already counted.
            if related is None or id(related) not in path:
                state.append((name, None if related is None else row_state(related, path)))
    return tuple(state)


_UNLOADED = "\x00not loaded"


@functools.cache
def _attnames(model: type[Model]) -> tuple[str, ...]:
    return tuple(field.attname for field in model._meta.concrete_fields)


@functools.cache
def _file_fields(model: type[Model]) -> tuple[int, ...]:
    """Where row_state puts the model's file fields (after the model's label)."""
    return tuple(i + 1 for i, field in enumerate(model._meta.concrete_fields) if isinstance(field, FileField))


def value_state(value) -> object:
    """`value` as plain, comparable data: rows by row_state, containers element by element."""
    if isinstance(value, LazyObject):  # request.user
        if value._wrapped is empty:
            value._setup()
        value = value._wrapped
    if isinstance(value, Model):
        return row_state(value)
    if isinstance(value, dict):
        return tuple((key, value_state(item)) for key, item in sorted(value.items()))
    if isinstance(value, list | tuple):
        return tuple(value_state(item) for item in value)
    return value


@functools.cache
def site_digest() -> str:
    """The files a kept card's HTML comes from, as this process found them (a deploy brings new files and new
    processes): every template the template engines can load (a card's own and every one it includes or
    extends), the translation catalogues, and the static files' manifest (the hashed names of the files a
    card links to). Digested by content, so every machine of one deploy computes the same."""
    digest = hashlib.blake2b(digest_size=12)
    folders = [Path(folder) for engine in settings.TEMPLATES for folder in engine.get("DIRS", ())]
    folders += [Path(folder) for folder in get_app_template_dirs("templates")]
    files = [path for folder in folders for path in sorted(folder.rglob("*")) if path.is_file()]
    files += sorted(path for folder in settings.LOCALE_PATHS for path in Path(folder).rglob("*.mo"))
    files.append(Path(settings.STATIC_ROOT) / "staticfiles.json")
    for path in files:
        with contextlib.suppress(OSError):
            digest.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@receiver(file_changed, dispatch_uid="gallery.fragments.site_digest")
def _file_changed(sender, file_path, **kwargs) -> None:
    """The development server saw a file change (a template, a catalogue): digested again for the next card
    (a deploy starts new processes instead). Returns nothing, so the server reloads or not as before."""
    site_digest.cache_clear()


def cards_render(
    request: HttpRequest, template_name: str, cards: Sequence[dict], *, shared: dict | None = None
) -> list[SafeString]:
    """Each card of `cards` (a template context) rendered with `template_name` for `request`'s viewer, from
    the shared cache where kept (one round trip for all), the others rendered and kept (one more).

    `shared`: context every card is given (in every card's key too)."""
    if not cards:
        return []
    template = get_template(template_name)
    viewer = request.user.pk
    common = (
        FORMAT,
        template_name,
        site_digest(),
        viewer,
        translation.get_language(),
        timezone.get_current_timezone_name(),
        get_script_prefix(),
        value_state(shared or {}),
    )
    prefix = repr(common).encode()
    keys = [
        f"card:{FORMAT}:{viewer}:{hashlib.blake2b(prefix + repr(value_state(c)).encode(), digest_size=20).hexdigest()}"
        for c in cards
    ]
    found = cache.get_many(keys)
    missing = {}
    base = {**(shared or {}), "user": request.user, "request": SimpleNamespace(user=request.user)}
    for key, card in zip(keys, cards, strict=True):
        if key in found:
            continue
        before = value_state(card)
        html = template.render({**base, **card, "csrf_token": CSRF_STAND_IN})
        found[key] = html
        if value_state(card) == before:
            missing[key] = html
        else:
            logger.error("A card of %s loaded more than its key covers: shown, not kept.", template_name)
    if missing:
        cache.set_many(missing, FRAGMENT_SECONDS)
    token = None
    shown = []
    for key in keys:
        html = found[key]
        if CSRF_STAND_IN in html:
            token = token or get_token(request)
            html = html.replace(CSRF_STAND_IN, token)
        shown.append(mark_safe(html))
    return shown
