from django.apps import AppConfig


class SwapsConfig(AppConfig):
    name = "swaps"
    verbose_name = "Face swaps"

    def ready(self) -> None:
        # Gallery imports nothing of ours: swaps tells it which photos a waiting swap still needs.
        from gallery.selectors import image_in_use_register

        from . import checks  # noqa: F401  (registers the system checks)
        from .selectors import photos_in_waiting_swap

        image_in_use_register(photos_in_waiting_swap)
