from django.urls import path

from . import own_views, views

app_name = "couple_templates"

urlpatterns = [
    path("", views.gallery, name="list"),
    path("<int:pk>/", views.template_detail, name="detail"),
    path("favourites/", views.favourite_list, name="favourites"),
    path("favourites/<int:template_pk>/", views.favourite_toggle, name="favourite"),
    path("mine/", own_views.own_list, name="own_list"),
    path("mine/new/", own_views.own_new, name="own_new"),
    path("mine/<int:pk>/", own_views.own_detail, name="own_detail"),
    path("mine/<int:pk>/status/", own_views.own_status, name="own_status"),
    path("mine/<int:pk>/rename/", own_views.own_rename, name="own_rename"),
    path("mine/<int:pk>/delete/", own_views.own_delete, name="own_delete"),
    path("mine/<int:pk>/suggest/", own_views.own_suggest, name="own_suggest"),
]
