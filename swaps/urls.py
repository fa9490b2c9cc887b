from django.urls import path

from . import views, views_provenance, views_push

app_name = "swaps"

urlpatterns = [
    path("", views.swap_list, name="list"),
    path("new/<int:template_pk>/", views.swap_new, name="new"),
    path("photos/check/", views.photo_check, name="photo_check"),
    path("photos/<int:pk>/face/<int:index>/", views.photo_face, name="photo_face"),
    path("<int:pk>/", views.swap_detail, name="detail"),
    path("<int:pk>/status/", views.swap_status, name="status"),
    path("<int:pk>/events/", views_push.swap_events, name="events"),
    path("<int:pk>/retry/", views.swap_retry, name="retry"),
    path("<int:pk>/delete/", views.swap_delete, name="delete"),
    path("<int:pk>/restore/", views.swap_restore, name="restore"),
    path("<int:pk>/delete-forever/", views.swap_delete_forever, name="delete_forever"),
    path("trash/", views.swap_trash_list, name="trash"),
    path("trash/empty/", views.swap_trash_empty, name="trash_empty"),
    path("albums/", views.album_list, name="albums"),
    path("albums/new/", views.album_new, name="album_new"),
    path("albums/<int:pk>/", views.album_detail, name="album"),
    path("albums/<int:pk>/status/", views.album_status, name="album_status"),
    path("albums/<int:pk>/events/", views_push.album_events, name="album_events"),
    path("albums/<int:pk>/download/", views.album_zip, name="album_zip"),
    path("<int:pk>/share/", views.share_create, name="share"),
    path("<int:pk>/share/<int:link_pk>/revoke/", views.share_revoke, name="share_revoke"),
    path("<int:pk>/reuse-photos/", views.swap_reuse_photos, name="reuse_photos"),
    path("<int:pk>/provenance/", views_provenance.swap_provenance, name="provenance"),
    path("partner/<int:pk>/renew/", views.consent_renew, name="consent_renew"),
    path("partner/<int:pk>/email/", views.consent_email, name="consent_email"),
    path("me/forget/", views.holder_face_forget, name="holder_face_forget"),
    path("<int:pk>/invite-again/", views.consent_invite_again, name="invite_again"),
    path("agreements/<int:pk>/withdraw/", views.agreement_withdraw, name="agreement_withdraw"),
    path("agreements/<int:pk>/end/", views.agreement_end, name="agreement_end"),
]
