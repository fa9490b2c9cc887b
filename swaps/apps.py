from django.apps import AppConfig


class SwapsConfig(AppConfig):
    name = "swaps"
    verbose_name = "Face swaps"
