"""Admin for template crawls: crawl tasks (run, cancel, follow) and the review queue of crawled templates.

Imported by `templates.admin` (after TemplateAdmin, which the review queue extends). Every write goes
through `templates.crawl_services` and `templates.services`.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.translation import gettext

from . import crawl_services, services
from .admin import TemplateAdmin, take_down
from .crawlers import CrawlFilters
from .models import CrawledTemplate, CrawlTask, Review, Template

# The name of the "Save and run crawl" button on a crawl task's page.
RUN_BUTTON = "_run"

PREVIEW_WIDTH = 260
TAGS_SHOWN = 8


# --- the review queue -------------------------------------------------------------------------------------


class ReviewStatusFilter(admin.SimpleListFilter):
    """Waiting templates by default (needs faces and ready), newest first; decided ones on request."""

    title = "review status"
    parameter_name = "review"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [
            ("needs_faces", "Needs faces"),
            ("ready", "Ready"),
            ("rejected", "Rejected"),
            ("approved", "Approved"),
            ("taken_down", "Taken down"),
            ("all", "All crawled"),
        ]

    def choices(self, changelist: Any) -> Any:
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": "Waiting for review",
        }
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet[Template]) -> QuerySet[Template]:
        value = self.value()
        if value == "all":
            return queryset
        if value == "taken_down":
            return queryset.filter(taken_down_at__isnull=False)
        if value in ("rejected", "approved"):
            return queryset.filter(review=value, taken_down_at__isnull=True)
        waiting = queryset.filter(review=Review.WAITING, taken_down_at__isnull=True).exclude(is_active=True)
        if value in ("needs_faces", "ready"):
            # Whether both roles are marked lives in the faces JSON: decided here, the queue is small.
            ready = [
                pk
                for pk, faces in waiting.values_list("pk", "face_positions")
                if Template(face_positions=faces).roles_complete
            ]
            return waiting.filter(pk__in=ready) if value == "ready" else waiting.exclude(pk__in=ready)
        return waiting


class SourceFilter(admin.SimpleListFilter):
    title = "source"
    parameter_name = "source"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return list(CrawlTask.SourceType.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet[Template]) -> QuerySet[Template]:
        return queryset.filter(crawl_task__source_type=self.value()) if self.value() else queryset


class CrawlFilter(admin.SimpleListFilter):
    title = "crawl"
    parameter_name = "crawl"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        recent = list(CrawlTask.objects.order_by("-created_at", "-id")[:15])
        if self.value() and self.value().isdigit() and all(str(t.pk) != self.value() for t in recent):
            recent += list(CrawlTask.objects.filter(pk=int(self.value())))
        return [(str(t.pk), f"#{t.pk} {Truncator(str(t)).chars(40)}") for t in recent]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Template]) -> QuerySet[Template]:
        if self.value() and self.value().isdigit():
            return queryset.filter(crawl_task_id=int(self.value()))
        return queryset


@admin.register(CrawledTemplate)
class CrawledTemplateAdmin(TemplateAdmin):
    """Crawled templates waiting for a curator: a large preview, the source's details, and quick decisions."""

    list_display = ["preview", "summary", "status_badge", "faces", "crawl", "created_at"]
    list_display_links = ["preview"]
    list_filter = [ReviewStatusFilter, SourceFilter, CrawlFilter, "category"]
    list_per_page = 24
    ordering = ["-created_at", "-id"]
    actions = ["approve_templates", "reject_templates", "detect_faces_again", take_down]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Template]:
        return (
            super()
            .get_queryset(request)
            .filter(review__isnull=False)
            .select_related("crawl_task", "owner", "submitted_by")
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_list_display_links(self, request: HttpRequest, list_display: Any) -> list[str]:
        return ["preview"]

    @admin.display(description="Preview")
    def preview(self, template: Template) -> str:
        image = template.image
        if image is None:
            return "—"
        markers = format_html_join(
            "",
            '<span class="tpl-review-marker is-{}" style="left:{}%;top:{}%;width:{}%;height:{}%"></span>',
            ((m["role"], m["left"], m["top"], m["width"], m["height"]) for m in template.role_markers()),
        )
        return format_html(
            '<span class="tpl-review-preview" style="width:{}px">'
            '<img src="{}" alt="" width="{}" loading="lazy">{}</span>',
            PREVIEW_WIDTH,
            image.get_thumbnail_url(),
            PREVIEW_WIDTH,
            markers,
        )

    @admin.display(description="Picture", ordering="title")
    def summary(self, template: Template) -> str:
        image = template.image
        tags = sorted(image.tags.names()) if image else []
        shown = ", ".join(tags[:TAGS_SHOWN]) + (f" and {len(tags) - TAGS_SHOWN} more" if len(tags) > TAGS_SHOWN else "")
        source = (
            format_html('<a href="{}" target="_blank" rel="noopener noreferrer">source ↗</a>', template.source_url)
            if template.source_url
            else ""
        )
        return format_html(
            '<div class="tpl-review-summary"><a href="{}"><strong>{}</strong></a>'
            '<div>by {} · {}</div><div class="help">{} x {} px · {}</div><div class="help">{}</div></div>',
            reverse("admin:couple_templates_crawledtemplate_change", args=[template.pk]),
            Truncator(template.title).chars(80),
            template.artist or "unknown artist",
            source,
            image.width if image else "?",
            image.height if image else "?",
            template.get_category_display_short() or "—",
            shown or "no tags",
        )

    @admin.display(description="Status")
    def status_badge(self, template: Template) -> str:
        label = template.review_label
        title = template.takedown_reason or ""
        return format_html(
            '<span class="tpl-review-badge is-{}" title="{}">{}</span>', label.replace(" ", "-"), title, label
        )

    @admin.display(description="From", ordering="crawl_task")
    def crawl(self, template: Template) -> str:
        task = template.crawl_task
        if task is None and template.suggested_at is not None:
            # A person's own picture suggested for the gallery: who suggested it, and their licence word.
            who = template.submitted_by.username if template.submitted_by else "a deleted account"
            return format_html(
                '<span class="tpl-review-submitter">Suggested by <strong>{}</strong>{}</span>',
                who,
                " (licence confirmed)" if template.licence_confirmed else "",
            )
        if task is None and template.owner_id is not None:
            content = (template.image.metadata or {}).get("content") or {} if template.image else {}
            return format_html(
                '<span class="tpl-review-submitter">Own picture of <strong>{}</strong>, held: content score {}</span>',
                template.owner.username,
                content.get("score", "?"),
            )
        if task is None:
            return "—"
        return format_html(
            '<a href="{}">#{} {}</a>',
            reverse("admin:couple_templates_crawltask_change", args=[task.pk]),
            task.pk,
            task.get_source_type_display(),
        )

    @admin.action(description="Approve and activate selected templates", permissions=["change"])
    def approve_templates(self, request: HttpRequest, queryset: QuerySet[Template]) -> None:
        self.run_on_each(
            request, queryset, services.template_approve, done="Approved and activated {}.", refused="Not approved"
        )

    @admin.action(description="Reject selected templates", permissions=["change"])
    def reject_templates(self, request: HttpRequest, queryset: QuerySet[Template]) -> None:
        self.run_on_each(
            request, queryset, services.template_reject, done="Rejected {}; later crawls skip them as duplicates."
        )

    class Media:
        css = {"all": ["css/couple_templates/admin.css"]}


# --- crawl tasks --------------------------------------------------------------------------------------------


class _FiltersField(forms.JSONField):
    """No filters reads as an empty box, not a raw {}."""

    def prepare_value(self, value):
        return "" if value in ({}, None, "{}") else super().prepare_value(value)


class CrawlTaskForm(forms.ModelForm):
    filters = _FiltersField(
        required=False,
        initial=dict,
        help_text='JSON, e.g. {"min_width": 1200, "extra_tags": ["couple"], "exclude_tags": ["text"], '
        '"ratings": ["g"], "max_images": 30, "detect_faces": false}.',
    )

    class Meta:
        model = CrawlTask
        fields = ["source_type", "search_query", "filters", "limit"]
        help_texts = {
            "search_query": "Danbooru and pixiv: tags. Custom: picture URLs, one per line, or one folder on the server "
            "(under CRAWL_FOLDER_ROOTS).",
        }

    def clean_filters(self) -> dict:
        value = self.cleaned_data.get("filters") or {}
        CrawlFilters.parse(value)
        return value


@admin.register(CrawlTask)
class CrawlTaskAdmin(admin.ModelAdmin):
    form = CrawlTaskForm
    list_display = ["id", "source_type", "query", "status_badge", "images_collected", "totals", "started_at", "error"]
    list_filter = ["source_type", "status"]
    search_fields = ["search_query"]
    date_hierarchy = "created_at"
    actions = ["run_crawl", "cancel_crawl"]
    # "Save and run crawl" on the task's own page, beside Save.
    change_form_template = "couple_templates/admin/crawltask_change_form.html"
    readonly_fields = ["status", "images_collected", "created_at", "started_at", "completed_at", "error_message", "log"]

    def get_readonly_fields(self, request: HttpRequest, obj: CrawlTask | None = None) -> list[str]:
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request: HttpRequest, obj: CrawlTask | None = None) -> list[str]:
        fields = ["source_type", "search_query", "filters", "limit"]
        return fields if obj is None else [*fields, *self.readonly_fields]

    def save_model(self, request: HttpRequest, obj: CrawlTask, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change and RUN_BUTTON not in request.POST:
            self.message_user(request, gettext("Saved. Press “Save and run crawl” to start collecting."))

    def response_add(self, request: HttpRequest, obj: CrawlTask, post_url_continue: str | None = None):
        return self._run_from_page(request, obj) or super().response_add(request, obj, post_url_continue)

    def response_change(self, request: HttpRequest, obj: CrawlTask):
        return self._run_from_page(request, obj) or super().response_change(request, obj)

    def _run_from_page(self, request: HttpRequest, obj: CrawlTask) -> HttpResponse | None:
        """After "Save and run crawl": queue it and stay on its page, where its status and log show."""
        if RUN_BUTTON not in request.POST:
            return None
        try:
            crawl_services.crawl_start(crawl=obj)
            self.message_user(request, gettext("Crawl #%(id)s queued on the crawl queue.") % {"id": obj.pk})
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.WARNING)
        return HttpResponseRedirect(reverse("admin:couple_templates_crawltask_change", args=[obj.pk]))

    @admin.display(description="Query")
    def query(self, task: CrawlTask) -> str:
        return Truncator(task.search_query or "").chars(60)

    @admin.display(description="Status", ordering="status")
    def status_badge(self, task: CrawlTask) -> str:
        return format_html('<span class="crawl-status is-{}">{}</span>', task.status, task.get_status_display())

    @admin.display(description="Skipped / refused")
    def totals(self, task: CrawlTask) -> str:
        report = task.report or {}
        if not report:
            return "—"
        skipped = report.get("duplicate", 0) + report.get("near_duplicate", 0)
        return f"{skipped} / {report.get('refused', 0)}"

    @admin.display(description="Error")
    def error(self, task: CrawlTask) -> str:
        return Truncator(task.error_message or "").chars(80)

    @admin.display(description="Last lines of the run")
    def log(self, task: CrawlTask) -> str:
        report = task.report or {}
        lines = report.get("lines") or []
        queue = reverse("admin:couple_templates_crawledtemplate_changelist") + f"?review=all&crawl={task.pk}"
        counts = {k: v for k, v in report.items() if k != "lines"}
        # In words, not a raw {} (a task never run has no report yet).
        summary = (
            " · ".join(f"{k.replace('_', ' ')}: {v}" for k, v in counts.items()) if counts else gettext("Not run yet.")
        )
        return format_html(
            '<p><a href="{}">Templates from this crawl in the review queue</a></p><p class="help">{}</p>'
            '<pre style="max-height:28em;overflow:auto;white-space:pre-wrap">{}</pre>',
            queue,
            summary,
            "\n".join(lines) or "—",
        )

    @admin.action(description="Run crawl", permissions=["change"])
    def run_crawl(self, request: HttpRequest, queryset: QuerySet[CrawlTask]) -> None:
        for task in queryset:
            try:
                crawl_services.crawl_start(crawl=task)
                self.message_user(request, f"Crawl #{task.pk} queued on the crawl queue.")
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.WARNING)

    @admin.action(description="Cancel crawl", permissions=["change"])
    def cancel_crawl(self, request: HttpRequest, queryset: QuerySet[CrawlTask]) -> None:
        for task in queryset:
            if crawl_services.crawl_cancel(crawl=task):
                self.message_user(request, f"Crawl #{task.pk} cancelled; what it collected so far is kept.")
            else:
                self.message_user(request, f"Crawl #{task.pk} had already finished ({task.status}).", messages.WARNING)
