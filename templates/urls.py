from django.urls import path

from . import views

app_name = "couple_templates"

urlpatterns = [
    path("", views.gallery, name="list"),
    path("<int:pk>/", views.template_detail, name="detail"),
    path("favourites/", views.favourite_list, name="favourites"),
    path("favourites/<int:template_pk>/", views.favourite_toggle, name="favourite"),
]
