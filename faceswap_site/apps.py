from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FaceswapSiteConfig(AppConfig):
    name = "faceswap_site"
    verbose_name = _("Site")

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the production system checks)
