"""The site's languages: the footer's switch and the scripts' catalogue of translated words.

The language of a request is the footer's choice (Django's language cookie), else the browser's
Accept-Language, else English (LocaleMiddleware; templates/cache.py keys its cached pages the same way).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views import i18n as django_i18n
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import last_modified, require_POST


# Django's own view (POST, a `language` and a safe `next`), without a CSRF token: the footer's form is on
# pages kept in the shared cache for every visitor, which cannot carry anyone's token, and a forged request
# can do no more than change the visitor's language.
@require_POST
@csrf_exempt
def set_language(request: HttpRequest) -> HttpResponse:
    response = django_i18n.set_language(request)
    language = request.POST.get(django_i18n.LANGUAGE_QUERY_PARAMETER, "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        # A signed-in person's choice is also theirs for the e-mails the site sends them.
        # Saved (not updated) so the row kept for the person's requests is dropped (accounts/cached_user.py).
        request.user.language = language
        request.user.save(update_fields=["language"])
    return response


# The words of our scripts (static/js, locale/*/djangojs.po) in the request's language. The page asks for it
# with the language in the URL (base.html), so a browser never keeps one language's catalogue for another;
# it changes only with a deploy, so a browser's conditional request is answered 304 until the next start.
_STARTED = timezone.now()
javascript_catalog = last_modified(lambda request, **kwargs: _STARTED)(django_i18n.JavaScriptCatalog.as_view())
