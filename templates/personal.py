"""Signed-in visitors get the gallery and template pages from the same shared cache as everyone else.

A cached page is the anonymous visitor's; the few parts of it that differ for a signed-in person (the menu,
the hearts, the "Use this template" label) are marked in the HTML as

    <!--personal:<include template>[:<template id>]-->what a visitor sees<!--/personal-->

and for a signed-in request each marked part is replaced by the same include rendered for that person
(the pages render those parts through the very same includes, so both ways give the same HTML). The rest
of the page (the grid, the count, the tag chips: 70 % of a render) is never rendered for them.

AnonymousPageCacheMiddleware finds the cached page before sessions run and leaves it on the request;
SharedPagePersonalMiddleware, placed after authentication, CSRF and messages, answers with it personalised.
A request with messages waiting, or whose page is not cached, is rendered in full as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from types import SimpleNamespace

from django.http import HttpRequest, HttpResponse
from django.template.loader import get_template
from django.utils.html import escape

from .models import Template

PART = re.compile(rb"<!--personal:([\w/.-]+\.html)(?::(\d+))?-->.*?<!--/personal-->", re.S)
SHARED_PAGE_ATTRIBUTE = "shared_page"
PERSONAL_HEADER_VALUE = "hit-personal"
# A card no catalogue reaches, and a title no person types, standing in for each card's own (see fill()).
STAND_IN_PK = 4_611_686_018_427_387_917
STAND_IN_TITLE = "\x00title\x00"


def personalise(request: HttpRequest, content: bytes) -> bytes:
    """`content` with each marked part rendered for `request`'s visitor (one query for the cards' titles)."""
    parts = PART.findall(content)
    if not parts:
        return content
    ids = {int(pk) for _, pk in parts if pk}
    templates = {
        pk: SimpleNamespace(pk=pk, title=title)
        for pk, title in Template.objects.filter(pk__in=ids).values_list("pk", "title")
    }
    rendered: dict[tuple[bytes, bytes], bytes] = {}
    # The context processors (the person, their favourites, the CSRF token) run once for all the parts, not
    # once per part as render(context, request) would: 25 hearts are one favourites query, not 25.
    shared: dict | None = None
    # A card's part differs from another card's only by the card's id, its title and whether it is one of
    # the person's favourites: each kind is rendered once, for a stand-in card, and the stand-in's id and
    # title replaced by each card's (the title escaped as the template would).
    stand_ins: dict[tuple[bytes, bool], str] = {}

    def fill(match: re.Match) -> bytes:
        nonlocal shared
        name, pk = match.group(1), match.group(2)
        if pk and int(pk) not in templates:  # gone since the page was kept: leave the visitor's part
            return match.group(0)
        if (name, pk) not in rendered:
            part = get_template(name.decode())
            if shared is None:
                shared = {}
                for processor in part.template.engine.template_context_processors:
                    shared.update(processor(request))
            if not pk:
                html = part.render(shared)
            elif "favourite_template_ids" in shared:
                template = templates[int(pk)]
                liked = template.pk in shared["favourite_template_ids"]
                if (name, liked) not in stand_ins:
                    stand_ins[(name, liked)] = part.render(
                        {
                            **shared,
                            "template": SimpleNamespace(pk=STAND_IN_PK, title=STAND_IN_TITLE),
                            "favourite_template_ids": frozenset({STAND_IN_PK} if liked else ()),
                        }
                    )
                html = (
                    stand_ins[(name, liked)]
                    .replace(str(STAND_IN_PK), str(template.pk))
                    .replace(STAND_IN_TITLE, escape(template.title))
                )
            else:
                html = part.render({**shared, "template": templates[int(pk)]})
            rendered[(name, pk)] = b"<!--personal:%s%s-->%s<!--/personal-->" % (
                name,
                b":" + pk if pk else b"",
                html.encode(),
            )
        return rendered[(name, pk)]

    return PART.sub(fill, content)


def _messages_waiting(request: HttpRequest) -> bool:
    # Messages kept in the session (the cookie kind keeps the request away from the cache altogether).
    session = getattr(request, "session", None)
    return bool(session is not None and session.get("_messages"))


class SharedPagePersonalMiddleware:
    """Answer a signed-in request whose page the cache holds with that page personalised (see the module
    docstring). Place it after AuthenticationMiddleware, CsrfViewMiddleware and MessageMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        shared = getattr(request, SHARED_PAGE_ATTRIBUTE, None)
        if shared is None or _messages_waiting(request):
            return self.get_response(request)
        content, headers, header_name = shared
        response = HttpResponse(personalise(request, content))
        for name, value in headers:
            response[name] = value
        response[header_name] = PERSONAL_HEADER_VALUE
        return response
