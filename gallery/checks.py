"""System checks of the gallery app: the content gate's model is there, and its licence is known."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from .content_gate import MODELS


@register(Tags.compatibility)
def content_gate_check(app_configs, **kwargs) -> list[Error | Warning]:
    """The configured content model exists inside its installed package; with FACESWAP_COMMERCIAL_USE=True,
    a warning that NudeNet's AGPL-3.0 reaches a site offered over a network."""
    model = MODELS.get(settings.CONTENT_GATE_MODEL)
    if model is None:
        return [
            Error(
                f"CONTENT_GATE_MODEL is {settings.CONTENT_GATE_MODEL!r}; it must be one of {', '.join(MODELS)}.",
                id="gallery.E001",
            )
        ]
    try:
        present = model.model_file().is_file()
    except ModuleNotFoundError:
        present = False
    if not present:
        return [
            Error(
                f"The content gate's {model.name} model is not installed (pip install -r requirements.txt); "
                "every upload would fail.",
                id="gallery.E002",
            )
        ]
    if settings.FACESWAP_COMMERCIAL_USE and model.name == "nudenet":
        return [
            Warning(
                f"The content gate uses NudeNet ({model.licence}): running it in a site offered over a network "
                "obliges you to offer that site's source to its users (AGPL-3.0 section 13).",
                hint="Set CONTENT_GATE_MODEL=opennsfw for the Apache-2.0 model (it holds suggestive drawings for "
                "review more often; see README, Content gate).",
                id="gallery.W001",
            )
        ]
    return []
