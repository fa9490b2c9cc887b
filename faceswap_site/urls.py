from django.contrib import admin
from django.http import Http404
from django.urls import include, path
from django.views.generic import RedirectView

from templates import views as template_views

from . import health, i18n
from . import views as site_views


@admin.site.admin_view
def _admin_view_on_site(request, content_type_id: int, object_id: str):
    """The admin's "view on site" redirect (/admin/r/<type>/<id>/), 404 for a type without a table of its
    own (django-rq's dashboard entry is an unmanaged model: the lookup was a database error, a 500)."""
    from django.contrib.contenttypes.models import ContentType
    from django.contrib.contenttypes.views import shortcut

    content_type = ContentType.objects.filter(pk=content_type_id).first()
    model = content_type.model_class() if content_type is not None else None
    if model is None or not model._meta.managed:
        raise Http404("No such object.")
    return shortcut(request, content_type_id, object_id)


urlpatterns = [
    # The home page shows the most popular templates: the templates app owns it.
    path("", template_views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    # The footer's language switch and the JavaScript catalogue of the scripts' words (faceswap_site/i18n.py).
    path("i18n/setlang/", i18n.set_language, name="set_language"),
    path("i18n/js/", i18n.javascript_catalog, name="javascript-catalog"),
    # Ours first: "My account" at /accounts/ and /accounts/delete/, which allauth does not use.
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("templates/", include("templates.urls")),
    path("photos/", include("gallery.urls")),
    # My favourites lived under /swaps/ before they moved to the templates app: bookmarks still lead there.
    path("swaps/favourites/", RedirectView.as_view(pattern_name="couple_templates:favourites", permanent=True)),
    path("swaps/", include("swaps.urls")),
    path("s/", include("swaps.share_urls")),
    # A partner's invitation to agree to their face being used: no account needed.
    path("consent/", include("swaps.consent_urls")),
    path("admin/django-rq/", include("django_rq.urls")),
    path("admin/r/<int:content_type_id>/<path:object_id>/", _admin_view_on_site, name="admin_view_on_site"),
    path("admin/", admin.site.urls),
    # Browsers and feed readers ask for /favicon.ico whatever the page says.
    path("favicon.ico", site_views.favicon),
]

handler400 = "faceswap_site.limits.bad_request"
handler404 = "faceswap_site.views.page_not_found"
handler500 = "faceswap_site.views.server_error"
