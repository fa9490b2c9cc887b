from django.apps import AppConfig


class FaceswapSiteConfig(AppConfig):
    name = "faceswap_site"
    verbose_name = "Site"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the production system checks)
