from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict:
    return {"retention_days": settings.UPLOAD_RETENTION_DAYS}
