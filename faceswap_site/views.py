import sys

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.template import loader
from django.templatetags.static import static
from django.utils.translation import gettext


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors: the error may come from the database or the session.
    if isinstance(sys.exc_info()[1], DatabaseError) and _database_down():
        # The database is unreachable (not a bad query): a plain "back soon" page, and the next request
        # simply connects again.
        page = loader.get_template("plain.html").render(
            {
                "title": gettext("We will be right back"),
                "message": gettext(
                    "The site is briefly unavailable. Nothing you uploaded was lost; please try again in a minute."
                ),
            }
        )
        return HttpResponse(page, status=503, headers={"Retry-After": "30"})
    return HttpResponse(loader.get_template("500.html").render(), status=500)


def _database_down() -> bool:
    try:
        connection.close()
        connection.ensure_connection()
    except DatabaseError:
        return True
    return False


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers and feed readers ask for /favicon.ico whatever the page says. The static URL is worked out
    per request: with the production static storage it needs collectstatic's manifest, not at import."""
    return HttpResponsePermanentRedirect(static("images/favicon.ico"))
