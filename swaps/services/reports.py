"""Reports on shared pictures: "Report this picture" (no login, a few per address per hour), the admin's
queue, and a curator's takedown of the share links and, when asked, of the template, with the owner told
by e-mail."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.services import user_language
from templates.services import template_takedown

from ..models import ShareLink, ShareReport

RATE_WINDOW = 3600


def _reporter_hash(client_ip: str) -> str:
    return hashlib.sha256(f"{settings.SECRET_KEY}|report|{client_ip}".encode()).hexdigest()


def report_create(*, link: ShareLink, reason: str, text: str, client_ip: str) -> ShareReport:
    """A visitor reports a shared picture. At most REPORTS_PER_IP_PER_HOUR per address (ValidationError
    with code "rate" beyond that); the address itself is not stored, only a salted hash of it."""
    if reason not in ShareReport.Reason.values:
        raise ValidationError({"reason": _("Choose why you report this picture.")}, code="reason")
    key = f"share-report:{_reporter_hash(client_ip)}"
    cache.add(key, 0, RATE_WINDOW)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, RATE_WINDOW)
        count = 1
    if count > settings.REPORTS_PER_IP_PER_HOUR:
        raise ValidationError(_("You have sent several reports in the last hour. Please try again later."), code="rate")
    return ShareReport.objects.create(
        link=link, reason=reason, text=(text or "").strip()[:2000], reporter_hash=_reporter_hash(client_ip)
    )


def report_dismiss(*, report: ShareReport, curator) -> ShareReport:
    """Nothing wrong found: the report leaves the queue."""
    ShareReport.objects.filter(pk=report.pk, status=ShareReport.Status.OPEN).update(
        status=ShareReport.Status.DISMISSED, handled_at=timezone.now(), handled_by=curator
    )
    report.refresh_from_db()
    return report


def report_takedown(*, report: ShareReport, curator, template_too: bool = False) -> ShareReport:
    """Take the reported picture down: every share link of that swap stops at once (404), with
    `template_too` the template leaves the gallery (or its owner's hands) for good, and the swap's owner is
    told by e-mail why. Every open report of that swap is closed with it."""
    task = report.link.task
    now = timezone.now()
    reason = report.get_reason_display()
    with transaction.atomic():
        ShareLink.objects.filter(task=task, revoked_at__isnull=True).update(revoked_at=now)
        if template_too and task.template is not None and task.template.taken_down_at is None:
            template_takedown(template=task.template, reason=f"Reported shared picture: {reason}")
        ShareReport.objects.filter(link__task=task, status=ShareReport.Status.OPEN).update(
            status=ShareReport.Status.TAKEN_DOWN, handled_at=now, handled_by=curator
        )
    owner = task.user
    if owner is not None and owner.email:
        # Written in the owner's language, not the curator's.
        with translation.override(user_language(owner)):
            lines = [
                _("Hello %(name)s,") % {"name": owner.username},
                "",
                _(
                    "A picture you shared was reported, and a curator has taken it down: its share link no "
                    "longer works."
                ),
                _("Reason: %(reason)s") % {"reason": report.get_reason_display()},
            ]
            if template_too and task.template is not None:
                lines.append(_("The template “%(title)s” was taken down too.") % {"title": task.template.title})
            lines += [
                "",
                _(
                    "Our rules: only pictures you have the right to use, no one's face without their agreement, "
                    "no minors."
                ),
            ]
            subject = _("A picture you shared was taken down")
        send_mail(subject, "\n".join(lines), settings.DEFAULT_FROM_EMAIL, [owner.email], fail_silently=True)
    report.refresh_from_db()
    return report
