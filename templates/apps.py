from django.apps import AppConfig


class CoupleTemplatesConfig(AppConfig):
    # The package is called "templates"; the label keeps it clear of Django's template machinery.
    name = "templates"
    label = "couple_templates"
    verbose_name = "Couple templates"

    def ready(self) -> None:
        # The crawl tasks' and review queue's admin pages extend TemplateAdmin, so they are registered
        # here, after the admin module (importing them from it would make an import cycle).
        from . import crawl_admin  # noqa: F401
