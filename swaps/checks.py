"""System checks of the swaps app."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from faceengine import EngineError, engine_model_files


@register(Tags.compatibility)
def model_licence_check(app_configs, **kwargs) -> list[Warning]:
    """Warn when FACESWAP_COMMERCIAL_USE=True and an active face model's licence forbids commercial use."""
    if not settings.FACESWAP_COMMERCIAL_USE:
        return []
    try:
        backend, files = engine_model_files(
            settings.FACESWAP_ENGINE,
            model_dir=settings.FACESWAP_INSIGHTFACE_DIR,
            providers=settings.FACESWAP_ONNX_PROVIDERS,
        )
    except EngineError as exc:
        return [Warning(exc.message, id="swaps.W002")]
    forbidden = [file for file in files if not file.commercial_use]
    return [
        Warning(
            f"FACESWAP_COMMERCIAL_USE is True but the {backend} engine's {file.role} model ({file.path.name}) "
            "may not be used commercially.",
            hint=file.terms,
            id="swaps.W001",
        )
        for file in forbidden
    ]


@register(Tags.security)
def provenance_signing_check(app_configs, **kwargs) -> list[Error]:
    """Results are signed with the configured C2PA key and chain; with C2PA_REQUIRED nothing starts without them."""
    from .provenance.signing import signer_check

    # Unconfigured and not required: a throwaway development chain signs (made on first use).
    if not (settings.C2PA_REQUIRED or settings.C2PA_SIGNING_KEY or settings.C2PA_CERT_CHAIN):
        return []
    problem = signer_check()
    if problem is None:
        return []
    return [Error(problem, hint="See C2PA_* in .env.example.", id="swaps.E001")]
