"""System checks for settings that production must set (they only apply with DEBUG=False)."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security)
def storage_backend_check(app_configs, **kwargs) -> list[Error]:
    if settings.STORAGE_BACKEND in ("local", "s3"):
        return []
    return [Error("STORAGE_BACKEND must be 'local' or 's3'.", id="faceswap_site.E006")]


@register(Tags.security)
def production_settings_check(app_configs, **kwargs) -> list[Error]:
    if settings.DEBUG:
        return []
    errors = []
    if settings.SECRET_KEY == settings.DEV_SECRET_KEY or len(settings.SECRET_KEY) < 40:
        errors.append(Error("SECRET_KEY must be set to a long random value when DEBUG=False.", id="faceswap_site.E001"))
    if not settings.ALLOWED_HOSTS:
        errors.append(Error("ALLOWED_HOSTS must name the site's host names.", id="faceswap_site.E002"))
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        errors.append(Error("DATABASE_URL must point at PostgreSQL when DEBUG=False.", id="faceswap_site.E003"))
    if not settings.REDIS_CONFIGURED:
        errors.append(Error("REDIS_URL must be set when DEBUG=False.", id="faceswap_site.E004"))
    if settings.STORAGE_BACKEND == "s3" and not settings.STORAGES["default"]["OPTIONS"]["bucket_name"]:
        errors.append(Error("AWS_STORAGE_BUCKET_NAME must be set with STORAGE_BACKEND=s3.", id="faceswap_site.E005"))
    return errors
