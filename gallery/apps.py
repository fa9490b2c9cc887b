from django.apps import AppConfig
from django.db.models.signals import post_delete
from django.utils.translation import gettext_lazy as _


class GalleryConfig(AppConfig):
    name = "gallery"
    verbose_name = _("Images")

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
        from .models import Image
        from .services import image_files_follow_row

        post_delete.connect(image_files_follow_row, sender=Image, dispatch_uid="gallery.image_files_follow_row")
