"""A site template's picture is public exactly while couples may see the template: active, not taken
down, not rejected and not waiting for review. Every save of a template moves its picture where it
belongs (gallery.services.image_set_public), so a takedown, a rejection or an archive makes the picture's
immutable URL answer 404 as soon as the change commits, whichever service, admin action or command made it."""

from __future__ import annotations

from gallery.models import Image
from gallery.services import image_set_public

from .models import Review, Template


def template_picture_public(template: Template) -> bool:
    """Whether the template's picture may be public now."""
    return (
        template.owner_id is None
        and bool(template.is_active)
        and template.taken_down_at is None
        and template.review not in (Review.WAITING, Review.REJECTED)
    )


def template_picture_follow(sender, instance: Template, raw: bool = False, **kwargs) -> None:
    """post_save receiver: the template's picture public or hidden, as the template now is."""
    if raw or instance.image_id is None or instance.owner_id is not None:
        return
    try:
        image = instance.image  # the template's own copy, so what the caller holds stays true
    except Image.DoesNotExist:
        return
    image_set_public(image=image, public=template_picture_public(instance))
