"""The admin's queue of reported shared pictures: open reports first, with the picture, the reason and the
swap's owner; a curator dismisses a report or takes the picture down (its share links, and when chosen its
template), and the owner is told by e-mail. Imported by swaps.admin."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from . import provenance, services
from .models import ShareReport


@admin.register(ShareReport)
class ShareReportAdmin(admin.ModelAdmin):
    list_display = ["preview", "reason", "text", "status", "owner", "template", "created_at"]
    list_filter = ["status", "reason"]
    list_select_related = ["link__task__user", "link__task__template", "link__task__result_image"]
    readonly_fields = ["link", "reason", "text", "status", "created_at", "handled_at", "handled_by", "provenance"]
    exclude = ["reporter_hash"]
    actions = ["take_down_links", "take_down_links_and_template", "dismiss"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ShareReport]:
        # Open reports first, newest first within each status.
        return super().get_queryset(request).order_by("-status", "-created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="Picture")
    def preview(self, report: ShareReport) -> str:
        result = report.link.task.result_image
        if result is None:
            return "—"
        # Staff may see every picture through the access-checked view.
        return format_html(
            '<img src="{}" alt="" width="160" loading="lazy">', reverse("gallery:image_thumbnail", args=[result.pk])
        )

    @admin.display(description="Made here?")
    def provenance(self, report: ShareReport) -> str:
        # The picture's own signed manifest and invisible mark, and the swap they name.
        return provenance.result_provenance_html(report.link.task)

    @admin.display(description="Owner")
    def owner(self, report: ShareReport) -> str:
        user = report.link.task.user
        return f"{user.username} <{user.email}>" if user else "—"

    @admin.display(description="Template")
    def template(self, report: ShareReport) -> str:
        template = report.link.task.template
        return template.title if template else "—"

    def _each(self, request: HttpRequest, queryset: QuerySet[ShareReport], action, done: str, **kwargs) -> None:
        count = 0
        for report in queryset.filter(status=ShareReport.Status.OPEN):
            action(report=report, curator=request.user, **kwargs)
            count += 1
        self.message_user(request, done.format(count=count), messages.SUCCESS)

    @admin.action(description="Take down the share links (the owner is e-mailed)", permissions=["change"])
    def take_down_links(self, request: HttpRequest, queryset: QuerySet[ShareReport]) -> None:
        self._each(request, queryset, services.report_takedown, "Took down {count} reported pictures.")

    @admin.action(
        description="Take down the share links and the template (the owner is e-mailed)", permissions=["change"]
    )
    def take_down_links_and_template(self, request: HttpRequest, queryset: QuerySet[ShareReport]) -> None:
        self._each(
            request,
            queryset,
            services.report_takedown,
            "Took down {count} reported pictures and their templates.",
            template_too=True,
        )

    @admin.action(description="Dismiss (nothing wrong)", permissions=["change"])
    def dismiss(self, request: HttpRequest, queryset: QuerySet[ShareReport]) -> None:
        self._each(request, queryset, services.report_dismiss, "Dismissed {count} reports.")
