"""Reads for the account pages."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

from .models import User


def account_summary(*, user: User) -> dict[str, Any]:
    """What "My account" shows (photo, result and swap counts, the latest photos).

    Accounts imports no other app of ours: the apps that own those things provide the parts, named in
    the setting ACCOUNT_SUMMARY_PARTS (dotted paths of functions taking the user and returning a dict).
    """
    summary: dict[str, Any] = {}
    for path in settings.ACCOUNT_SUMMARY_PARTS:
        summary.update(import_string(path)(user))
    return summary
