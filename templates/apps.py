from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoupleTemplatesConfig(AppConfig):
    # The package is called "templates"; the label keeps it clear of Django's template machinery.
    name = "templates"
    label = "couple_templates"
    verbose_name = _("Couple templates")

    def ready(self) -> None:
        from django.db.models.signals import m2m_changed, post_delete, post_save
        from taggit.models import TaggedItem

        from gallery.models import Image

        from .cache import pages_invalidate_on_commit, template_image_changed
        from .models import Template

        # Any change a gallery or template page shows makes the cached pages out of date (templates/cache.py).
        uid = "couple_templates.pages"
        for model, receiver in (
            (Template, pages_invalidate_on_commit),
            (Image, template_image_changed),
            (TaggedItem, pages_invalidate_on_commit),
        ):
            post_save.connect(receiver, sender=model, dispatch_uid=f"{uid}.save.{model.__name__}")
            post_delete.connect(receiver, sender=model, dispatch_uid=f"{uid}.delete.{model.__name__}")
        m2m_changed.connect(pages_invalidate_on_commit, sender=TaggedItem, dispatch_uid=f"{uid}.tags")

        # The tag chips' counts follow the same changes (templates/tag_counts.py).
        from .tag_counts import tagged_item_changed, template_changed

        uid = "couple_templates.tag_counts"
        for model, receiver in ((Template, template_changed), (TaggedItem, tagged_item_changed)):
            post_save.connect(receiver, sender=model, dispatch_uid=f"{uid}.save.{model.__name__}")
            post_delete.connect(receiver, sender=model, dispatch_uid=f"{uid}.delete.{model.__name__}")

        # A signed-in person's parts of the shared pages are kept until their account or hearts change
        # (templates/personal.py).
        from django.conf import settings

        from .models import Favourite
        from .personal import favourite_changed, user_changed

        uid = "couple_templates.personal"
        for model, receiver in ((settings.AUTH_USER_MODEL, user_changed), (Favourite, favourite_changed)):
            name = model if isinstance(model, str) else model.__name__
            post_save.connect(receiver, sender=model, dispatch_uid=f"{uid}.save.{name}")
            post_delete.connect(receiver, sender=model, dispatch_uid=f"{uid}.delete.{name}")

        # A template's picture is public only while the template is shown (templates/visibility.py).
        from .visibility import template_picture_follow

        post_save.connect(template_picture_follow, sender=Template, dispatch_uid="couple_templates.picture")

        # The crawl tasks' and review queue's admin pages extend TemplateAdmin, so they are registered
        # here, after the admin module (importing them from it would make an import cycle).
        from . import crawl_admin  # noqa: F401
