from django.apps import AppConfig


class SwapsConfig(AppConfig):
    name = "swaps"
    verbose_name = "Face swaps"

    def ready(self) -> None:
        # Gallery imports nothing of ours: swaps tells it which photos a waiting swap still needs.
        from gallery.selectors import image_in_use_register
        from gallery.services import image_photo_added_register

        from . import checks  # noqa: F401  (registers the system checks)
        from .selectors import photos_in_waiting_swap

        image_in_use_register(photos_in_waiting_swap)
        # A photo added in My photos is checked for faces at once, so one without a usable face is marked
        # there and left out of the swap form's picker.
        image_photo_added_register(_check_photo_faces)


def _check_photo_faces(image) -> None:
    from .services import swap_photo_check

    swap_photo_check(image=image)
