from django.urls import path

from . import views

app_name = "couple_templates"

urlpatterns = [
    path("", views.gallery, name="list"),
    path("<int:pk>/", views.template_detail, name="detail"),
]
