from django.apps import AppConfig


class CoupleTemplatesConfig(AppConfig):
    # The package is called "templates"; the label keeps it clear of Django's template machinery.
    name = "templates"
    label = "couple_templates"
    verbose_name = "Couple templates"
