from django.urls import path

from . import views

app_name = "gallery"

urlpatterns = [
    path("", views.photo_list, name="photo_list"),
    path("<int:pk>/", views.image_detail, name="image_detail"),
    path("<int:pk>/file/", views.image_file, name="image_file"),
    path("<int:pk>/thumbnail/", views.image_thumbnail, name="image_thumbnail"),
    path("<int:pk>/delete/", views.image_delete_view, name="image_delete"),
    path("tried/delete/", views.tried_delete_view, name="tried_delete"),
    path("<int:pk>/rotate/", views.image_rotate_view, name="image_rotate"),
    path("public/<path:key>", views.public_file, name="public_file"),
]
