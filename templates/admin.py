from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.html import format_html
from taggit.models import Tag

from . import services
from .forms import TemplateAddForm, TemplateChangeForm
from .models import Template


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


class TagFilter(admin.SimpleListFilter):
    title = "tag"
    parameter_name = "tag"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        tags = Tag.objects.filter(
            taggit_taggeditem_items__content_type__app_label="gallery",
            taggit_taggeditem_items__content_type__model="image",
            taggit_taggeditem_items__object_id__in=Template.objects.values("image_id"),
        ).distinct()
        return [(tag.slug, tag.name) for tag in tags.order_by("name")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Template]) -> QuerySet[Template]:
        if self.value():
            return queryset.filter(image__tags__slug=self.value())
        return queryset


class ActiveFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "active"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", "Active (in the gallery)"), ("no", "Inactive")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Template]) -> QuerySet[Template]:
        if self.value() == "yes":
            return queryset.filter(is_active=True)
        if self.value() == "no":
            return queryset.exclude(is_active=True)
        return queryset


def _couple_faces(template: Template) -> list[dict]:
    """The two partners' faces side by side on the change page: an SVG viewBox around each face."""
    faces = []
    for role, label in (("husband", "Partner 1 (husband column)"), ("wife", "Partner 2 (wife column)")):
        entry = next((face for face in template.face_positions or [] if face.get("role") == role), None)
        if entry is None:
            continue
        x1, y1, x2, y2 = entry["box"]
        margin = 0.3 * max(x2 - x1, y2 - y1)
        side = max(x2 - x1, y2 - y1) + 2 * margin
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        faces.append(
            {"role": role, "label": label, "view_box": f"{cx - side / 2:.1f} {cy - side / 2:.1f} {side:.1f} {side:.1f}"}
        )
    return faces


# --- takedown: an action with a page asking why (the review queue uses it too) ---------------------------


class TakedownForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 70}),
        help_text="Recorded with each template, e.g. “The artist asked us to remove it (mail of 2 Dec)”.",
    )


@admin.action(description="Take down selected templates (with a reason)", permissions=["change"])
def take_down(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Template]) -> HttpResponse | None:
    """Ask for the reason first; on "Take down" archive every selected template and record why."""
    form = TakedownForm(request.POST if "apply" in request.POST else None)
    if "apply" in request.POST and form.is_valid():
        for template in queryset:
            services.template_takedown(template=template, reason=form.cleaned_data["reason"])
        count = queryset.count()
        modeladmin.message_user(request, f"Took down {plural(count, 'template')}.")
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": "Take down templates",
        "templates": queryset.select_related("image"),
        "form": form,
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
        "opts": modeladmin.model._meta,
        "action": "take_down",
    }
    return TemplateResponse(request, "couple_templates/admin/takedown.html", context)


@admin.register(Template)
class TemplateAdmin(admin.ModelAdmin):
    list_display = [
        "thumbnail",
        "title",
        "category_short",
        "faces",
        "roles_complete",
        "active",
        "uses",
        "created_at",
    ]
    list_display_links = ["thumbnail", "title"]
    list_filter = ["category", ActiveFilter, TagFilter]
    search_fields = ["title", "artist", "description"]
    list_select_related = ["image"]
    list_per_page = 50
    actions = ["activate_templates", "archive_templates", "detect_faces_again", take_down]
    readonly_fields = ["picture", "face_count", "popularity_score", "created_at"]
    fieldsets = [
        (None, {"fields": ["picture", "title", "category", "artist", "source_url", "description", "tags"]}),
        ("Status", {"fields": ["is_active", "face_count", "popularity_score", "created_at"]}),
    ]
    add_fieldsets = [
        (None, {"fields": ["image_file", "title", "category", "artist", "source_url", "description", "tags"]}),
        ("Status", {"fields": ["activate"]}),
    ]
    form = TemplateChangeForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    add_form = TemplateAddForm
    add_form_template = "admin/change_form.html"
    change_form_template = "couple_templates/admin/template_change_form.html"

    # --- list ---------------------------------------------------------------------------------------

    @admin.display(description="")
    def thumbnail(self, template: Template) -> str:
        if template.image is None:
            return "—"
        return format_html(
            '<img src="{}" alt="" style="width:72px;height:54px;object-fit:cover;border-radius:6px" loading="lazy">',
            template.image.get_thumbnail_url(),
        )

    @admin.display(boolean=True, description="Roles complete")
    def roles_complete(self, template: Template) -> bool:
        return template.roles_complete

    @admin.display(description="Category", ordering="category")
    def category_short(self, template: Template) -> str:
        return template.get_category_display_short() or "—"

    @admin.display(description="Faces", ordering="face_count")
    def faces(self, template: Template) -> int | None:
        return template.face_count

    @admin.display(boolean=True, description="Active", ordering="is_active")
    def active(self, template: Template) -> bool:
        return bool(template.is_active)

    @admin.display(description="Uses", ordering="popularity_score")
    def uses(self, template: Template) -> int | None:
        return template.popularity_score

    @admin.display(description="Picture")
    def picture(self, template: Template) -> str:
        if template.image is None:
            return "—"
        image = template.image
        return format_html(
            '<a href="{}" target="_blank">{} ({} x {} px, {} KB)</a>',
            image.get_file_url(),
            image.filename,
            image.width,
            image.height,
            (image.file_size or 0) // 1024,
        )

    # --- add and change -----------------------------------------------------------------------------

    def get_fieldsets(self, request: HttpRequest, obj: Template | None = None) -> list:
        return self.add_fieldsets if obj is None else self.fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Template | None = None) -> list[str]:
        return [] if obj is None else self.readonly_fields

    def get_form(self, request: HttpRequest, obj: Template | None = None, change: bool = False, **kwargs: Any):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, change=change, **kwargs)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Template]:
        return super().get_queryset(request).select_related("image")

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None):
        template = self.get_object(request, object_id)
        extra_context = dict(extra_context or {})
        if template is not None:
            extra_context["activation_problems"] = template.activation_problems()
            extra_context["template_image"] = template.image
            extra_context["couple_faces"] = _couple_faces(template)
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request: HttpRequest, obj: Template, form: Any, change: bool) -> None:
        if not change:
            # The add form's save() (called by the admin before this) created the template.
            note = getattr(form, "activation_note", "")
            if note:
                self.message_user(request, f"Not activated: {note}", messages.WARNING)
            return
        data = form.cleaned_data
        was_active = bool(form.initial.get("is_active"))
        obj.is_active = was_active
        obj.save(update_fields=["title", "category", "artist", "source_url", "description"])
        try:
            if was_active and not data["is_active"]:
                services.template_archive(template=obj)
            if data["faces"] != obj.face_positions:
                services.template_set_faces(template=obj, faces=data["faces"])
            if data["is_active"] and not was_active:
                services.template_activate(template=obj)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
        if obj.image_id and "tags" in form.changed_data:
            services.template_set_tags(template=obj, tags=data["tags"])

    def response_change(self, request: HttpRequest, obj: Template) -> HttpResponse:
        # "Switch roles" on the change page: saved first with the rest of the form, then switched.
        if "_switch_roles" in request.POST:
            try:
                services.template_switch_roles(template=obj)
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
            else:
                self.message_user(request, "The two people were switched: each face now takes the other partner.")
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def delete_model(self, request: HttpRequest, obj: Template) -> None:
        services.template_delete(template=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Template]) -> None:
        for template in queryset.select_related("image"):
            services.template_delete(template=template)

    # --- actions ------------------------------------------------------------------------------------

    def run_on_each(
        self,
        request: HttpRequest,
        queryset: QuerySet[Template],
        service: Callable[..., object],
        *,
        done: str,
        refused: str = "Not changed",
    ) -> None:
        """An action's work: a template service run on each selected template, then one message with how
        many it did (`done`, e.g. "Activated {}.") and a warning with the reasons for each it refused."""
        count, refusals = 0, []
        for template in queryset:
            try:
                service(template=template)
                count += 1
            except ValidationError as exc:
                refusals.append(f"“{template.title}”: {' '.join(exc.messages)}")
        if count:
            self.message_user(request, done.format(plural(count, "template")))
        for reason in refusals:
            self.message_user(request, f"{refused}: {reason}", messages.WARNING)

    @admin.action(description="Activate selected templates", permissions=["change"])
    def activate_templates(self, request: HttpRequest, queryset: QuerySet[Template]) -> None:
        self.run_on_each(request, queryset, services.template_activate, done="Activated {}.", refused="Not activated")

    @admin.action(description="Archive selected templates", permissions=["change"])
    def archive_templates(self, request: HttpRequest, queryset: QuerySet[Template]) -> None:
        self.run_on_each(request, queryset, services.template_archive, done="Archived {}.")

    @admin.action(description="Detect faces again", permissions=["change"])
    def detect_faces_again(self, request: HttpRequest, queryset: QuerySet[Template]) -> None:
        for template in queryset:
            was_active = template.is_active
            services.template_detect_faces(template=template)
            summary = f"“{template.title}”: {template.face_count} face{'s' if template.face_count != 1 else ''} found"
            problems = template.activation_problems()
            if not problems:
                self.message_user(request, f"{summary}, husband and wife proposed.")
            elif was_active and not template.is_active:
                self.message_user(request, f"{summary}; archived: {' '.join(problems)}", messages.WARNING)
            else:
                self.message_user(request, f"{summary}; {' '.join(problems)}", messages.WARNING)
