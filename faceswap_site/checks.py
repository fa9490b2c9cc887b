"""System checks for settings that production must set (they only apply with DEBUG=False)."""

from django.conf import settings
from django.core.checks import ERROR, Error, Tags, Warning, register, run_checks
from django.core.exceptions import ImproperlyConfigured


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
    if settings.STORAGE_BACKEND != "s3" or not settings.STORAGES["default"]["OPTIONS"].get("bucket_name"):
        # Web and worker processes on several machines share no disk: pictures must live in S3.
        errors.append(
            Error(
                "Pictures must be stored in S3 when DEBUG=False: set STORAGE_BACKEND=s3 and AWS_STORAGE_BUCKET_NAME.",
                id="faceswap_site.E005",
            )
        )
    return errors


@register(Tags.security, deploy=True)
def trusted_proxy_check(app_configs, **kwargs) -> list[Warning]:
    """Behind a proxy, every visitor arrives from the proxy's address: unless the site is told how many
    proxies to trust, the rate limits lump everyone together (an attacker locks out every visitor)."""
    if not settings.BEHIND_PROXY or settings.TRUSTED_PROXY_COUNT > 0 or settings.TRUSTED_CLIENT_IP_HEADER:
        return []
    return [
        Warning(
            "BEHIND_PROXY is set but neither TRUSTED_PROXY_COUNT nor TRUSTED_CLIENT_IP_HEADER is: every visitor "
            "looks like the proxy's address, so log-in and sign-up limits apply to everyone at once.",
            hint="Set TRUSTED_PROXY_COUNT to the number of proxies of yours in front of the site (usually 1).",
            id="faceswap_site.W001",
        )
    ]


def refuse_to_start_unconfigured() -> None:
    """Raise ImproperlyConfigured naming every missing production setting (DEBUG=False only).

    Management commands run the system checks themselves; a WSGI server does not, so wsgi.py calls this
    and gunicorn's workers refuse to boot instead of serving with development defaults.
    """
    if settings.DEBUG:
        return
    errors = [message for message in run_checks(include_deployment_checks=True) if message.level >= ERROR]
    if errors:
        details = "\n".join(f"- {error.id}: {error.msg}" for error in errors)
        raise ImproperlyConfigured(f"The production settings are incomplete:\n{details}")
