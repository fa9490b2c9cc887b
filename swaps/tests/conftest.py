"""Fixtures shared by the swaps tests."""

import pytest


@pytest.fixture
def consent_on(settings):
    """Partner consent required (as in production), and the e-mails it sends kept in django.core.mail.outbox."""
    settings.PARTNER_CONSENT_REQUIRED = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
