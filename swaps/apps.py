from django.apps import AppConfig


class SwapsConfig(AppConfig):
    name = "swaps"
    verbose_name = "Face swaps"

    def ready(self) -> None:
        from swaps import checks  # noqa: F401  (registers the system checks)
