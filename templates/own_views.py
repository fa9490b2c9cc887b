"""Pages of a person's own templates: "Use your own picture", who goes where, My templates (rename, delete,
suggest for the gallery). Owner only: anyone else gets 404, whether or not the template exists."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from faceengine import ROLES

from . import own_services
from .models import Template
from .own_forms import CoupleForm, DeleteForm, OwnTemplateUploadForm, RenameForm, SuggestForm


def _get_own_template_for_user(request: HttpRequest, pk: int) -> Template:
    return get_object_or_404(own_services.own_templates_for(owner=request.user), pk=pk)


def _rings(template: Template) -> list[dict]:
    """Every face as a numbered ellipse around its box (picture pixels), with its role."""
    rings = []
    for index, face in enumerate(template.face_positions or []):
        x1, y1, x2, y2 = face["box"]
        rings.append(
            {
                "index": index,
                "number": index + 1,
                "role": face.get("role") or "",
                "manual": face.get("source") == "manual",
                "cx": round((x1 + x2) / 2, 1),
                "cy": round((y1 + y2) / 2, 1),
                "rx": round(0.62 * (x2 - x1), 1),
                "ry": round(0.7 * (y2 - y1), 1),
            }
        )
    return rings


@login_required
@require_http_methods(["GET", "POST"])
def own_new(request: HttpRequest) -> HttpResponse:
    """ "Use your own picture": upload a scene; it becomes a private template and its faces are looked for."""
    form = OwnTemplateUploadForm(request.POST or None, request.FILES or None)
    if form.is_bound and form.is_valid():
        try:
            template = own_services.own_template_create(
                owner=request.user, file=form.cleaned_data["picture"], title=form.cleaned_data["title"]
            )
        except ValidationError as exc:
            form.add_error("picture", exc.messages)
        else:
            return redirect("couple_templates:own_detail", pk=template.pk)
    return render(request, "couple_templates/own_new.html", {"form": form})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def own_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The scene with its faces ringed: tap who goes where, mark faces the search missed, then swap."""
    template = _get_own_template_for_user(request, pk)
    form = CoupleForm(request.POST or None)
    if form.is_bound and form.is_valid():
        try:
            own_services.own_template_set_couple(
                template=template,
                you=form.cleaned_data["you"],
                partner=form.cleaned_data["partner"],
                marked=form.cleaned_data["marked"],
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            return redirect("swaps:new", template_pk=template.pk)
    state = own_services.own_faces_state(template=template)
    chosen = {face.get("role"): index for index, face in enumerate(template.face_positions or []) if face.get("role")}
    return render(
        request,
        "couple_templates/own_detail.html",
        {
            "template": template,
            "state": state,
            "rings": _rings(template),
            "you": chosen.get(ROLES[0]),
            "partner": chosen.get(ROLES[1]),
            "form": form,
            "status_url": reverse("couple_templates:own_status", args=[template.pk]),
        },
    )


@never_cache
@login_required
def own_status(request: HttpRequest, pk: int) -> JsonResponse:
    """The face search's progress, polled by the page."""
    template = _get_own_template_for_user(request, pk)
    state = own_services.own_faces_state(template=template)
    return JsonResponse({key: state[key] for key in ("status", "progress", "finished", "detected", "message")})


@login_required
def own_list(request: HttpRequest) -> HttpResponse:
    """My templates: the scenes I brought, to use, rename, delete or suggest for the gallery."""
    templates = own_services.own_templates_for(owner=request.user).order_by("-created_at", "-id")
    return render(request, "couple_templates/own_list.html", {"templates": templates, "rename_form": RenameForm()})


@login_required
@require_POST
def own_rename(request: HttpRequest, pk: int) -> HttpResponse:
    template = _get_own_template_for_user(request, pk)
    form = RenameForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Give your template a name."))
        own_services.own_template_rename(template=template, title=form.cleaned_data["title"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Renamed to “%(title)s”.") % {"title": template.title})
    return redirect("couple_templates:own_list")


@login_required
@require_http_methods(["GET", "POST"])
def own_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm, asking whether the swaps made with it are kept, then delete."""
    template = _get_own_template_for_user(request, pk)
    form = DeleteForm(request.POST or None)
    if form.is_bound and form.is_valid():
        own_services.own_template_delete(template=template, delete_swaps=form.cleaned_data["swaps"] == "delete")
        messages.success(request, _("Deleted “%(title)s”.") % {"title": template.title})
        return redirect("couple_templates:own_list")
    swap_count = own_services.own_template_swap_count(template=template)
    return render(
        request, "couple_templates/own_delete.html", {"template": template, "form": form, "swap_count": swap_count}
    )


@login_required
@require_http_methods(["GET", "POST"])
def own_suggest(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Suggest for the gallery": attribution and the licence tick, then into the curators' review queue."""
    template = _get_own_template_for_user(request, pk)
    form = SuggestForm(
        request.POST or None,
        initial={"title": template.title, "artist": template.artist, "source_url": template.source_url},
    )
    if form.is_bound and form.is_valid():
        try:
            own_services.own_template_suggest(
                template=template,
                title=form.cleaned_data["title"],
                artist=form.cleaned_data["artist"],
                source_url=form.cleaned_data["source_url"],
                licence_confirmed=form.cleaned_data["licence"],
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(
                request,
                _("Thank you: a curator will look at “%(title)s” before it joins the gallery.")
                % {"title": template.title},
            )
            return redirect("couple_templates:own_list")
    return render(request, "couple_templates/own_suggest.html", {"template": template, "form": form})
