from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/", include("allauth.urls")),
    path("swaps/", include("swaps.urls")),
    path("admin/django-rq/", include("django_rq.urls")),
    path("admin/", admin.site.urls),
]

handler404 = "faceswap_site.views.page_not_found"
handler500 = "faceswap_site.views.server_error"
