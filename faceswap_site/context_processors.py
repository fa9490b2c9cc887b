from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict:
    return {
        "retention_days": settings.UPLOAD_RETENTION_DAYS,
        # Read by the forms script, which refuses a too-large file before it is sent.
        "upload_max_bytes": settings.UPLOAD_MAX_BYTES,
        # A form sent too large or unreadable comes back as its page with this message (limits.py).
        "form_refusal": getattr(request, "form_refusal", ""),
    }
