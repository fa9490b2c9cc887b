from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SwapsConfig(AppConfig):
    name = "swaps"
    verbose_name = _("Face swaps")

    def ready(self) -> None:
        # Gallery imports nothing of ours: swaps tells it which photos a waiting swap still needs.
        from gallery.selectors import image_in_use_register, image_viewer_register
        from gallery.services import image_photo_added_register

        from . import checks  # noqa: F401  (registers the system checks)
        from .selectors import photos_in_waiting_swap, results_shared_with

        image_in_use_register(photos_in_waiting_swap)
        # A couple's two logins: the partner who agreed sees the results of the swaps made with their face.
        image_viewer_register(results_shared_with)
        # A photo added in My photos is checked for faces at once, so one without a usable face is marked
        # there and left out of the swap form's picker.
        image_photo_added_register(_check_photo_faces)
        # Deleting an own template (templates) asks whether its swaps go too: swaps counts and deletes them.
        from templates.own_services import own_template_swaps_register

        own_template_swaps_register(count=_template_swap_count, delete=_template_swaps_delete)
        # A partner's own login deleted: the agreements it gave are withdrawn (photo and pictures deleted).
        from accounts.services import user_delete_register

        user_delete_register(_withdraw_agreements_given)


def _check_photo_faces(image) -> None:
    from .services import swap_photo_check

    swap_photo_check(image=image)


def _withdraw_agreements_given(user) -> None:
    from .services import consents_withdraw_for_account

    consents_withdraw_for_account(user=user)


def _template_swap_count(template) -> int:
    from .models import FaceSwapTask

    return FaceSwapTask.objects.filter(template=template).count()


def _template_swaps_delete(template) -> int:
    from .services import swaps_delete_for_template

    return swaps_delete_for_template(template)
