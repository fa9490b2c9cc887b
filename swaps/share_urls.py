"""Public share links (/s/<token>/): only the result picture of a swap its owner chose to share."""

from django.urls import path

from . import report_views, views, views_provenance

app_name = "share"

urlpatterns = [
    path("<str:token>/", views.share_view, name="view"),
    # Named .jpg for link previews; a transparent template's PNG result is sent with its own type.
    path("<str:token>/picture.jpg", views.share_picture, name="picture"),
    path("<str:token>/provenance/", views_provenance.share_provenance, name="provenance"),
    path("<str:token>/report/", report_views.share_report, name="report"),
]
