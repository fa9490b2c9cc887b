"""The partner's invitation pages (/consent/<token>/): no account needed."""

from django.urls import path

from . import consent_views

app_name = "consent"

urlpatterns = [
    path("<str:token>/", consent_views.consent_invite, name="invite"),
    path("<str:token>/face.jpg", consent_views.consent_face, name="face"),
    path("<str:token>/agree/", consent_views.consent_agree, name="agree"),
    path("<str:token>/decline/", consent_views.consent_decline, name="decline"),
    path("agreed/<str:token>/", consent_views.consent_agreed, name="agreed"),
    path("agreed/<str:token>/login/", consent_views.consent_partner_login, name="partner_login"),
]
