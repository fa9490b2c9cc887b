# ruff: noqa: E501 (the engine's sentences, matched whole, read best on one line each)
"""The face engine's messages in the visitor's language.

The engine (faceengine/) knows nothing of Django, so it says why a photo cannot be used in English. Those
sentences are also kept with the photo (its face check), so they are translated when shown, here: each
sentence the engine makes about a person's photo, matched with its numbers, and said again through gettext.
A sentence not listed stays as the engine wrote it.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _

_SENTENCES = [
    (
        r"This photo is only (?P<width>\d+)x(?P<height>\d+) pixels, too small to show a face; please upload a larger photo\.",
        _("This photo is only %(width)sx%(height)s pixels, too small to show a face; please upload a larger photo."),
    ),
    (
        r"This photo shows the face turned away or partly hidden; please upload a photo looking straight at the camera\.",
        _(
            "This photo shows the face turned away or partly hidden; please upload a photo looking straight at the camera."
        ),
    ),
    (
        r"This photo shows no face we can find; please upload a clear photo of the face\.",
        _("This photo shows no face we can find; please upload a clear photo of the face."),
    ),
    (
        r"The face in this photo is too small \((?P<size>\d+) pixels across\); please upload a closer or larger photo\.",
        _("The face in this photo is too small (%(size)s pixels across); please upload a closer or larger photo."),
    ),
    (
        r"This photo shows the face from the side; please upload a photo looking at the camera\.",
        _("This photo shows the face from the side; please upload a photo looking at the camera."),
    ),
    (
        r"The photo is too large \((?P<width>\d+)x(?P<height>\d+) pixels\)\.",
        _("The photo is too large (%(width)sx%(height)s pixels)."),
    ),
    (
        r"The photo is not a readable picture \(JPEG, PNG or WebP\)\.",
        _("The photo is not a readable picture (JPEG, PNG or WebP)."),
    ),
    (
        r"This template has no (?P<roles>husband|wife|husband and no wife) face marked; please choose another template\.",
        _("This template is missing a face to swap; please choose another template."),
    ),
]
_COMPILED = [(re.compile(pattern), words) for pattern, words in _SENTENCES]


def engine_words(message: str | None) -> str | None:
    """`message` (one of the engine's sentences) in the active language; anything else unchanged."""
    if not message:
        return message
    for pattern, words in _COMPILED:
        found = pattern.fullmatch(message.strip())
        if found:
            return str(words) % found.groupdict() if found.groupdict() else str(words)
    return message
