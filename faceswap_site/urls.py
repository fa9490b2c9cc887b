from django.contrib import admin
from django.urls import include, path

from . import health, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    # Ours first: "My account" at /accounts/ and /accounts/delete/, which allauth does not use.
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("templates/", include("templates.urls")),
    path("photos/", include("gallery.urls")),
    path("swaps/", include("swaps.urls")),
    path("admin/django-rq/", include("django_rq.urls")),
    path("admin/", admin.site.urls),
]

handler404 = "faceswap_site.views.page_not_found"
handler500 = "faceswap_site.views.server_error"
