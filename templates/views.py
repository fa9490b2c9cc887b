from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from gallery.models import Category

from . import selectors, services
from .cache import cache_anonymous_page
from .models import CATEGORY_SHORT, Template

PAGE_SIZE = 24


def use_template_url(request: HttpRequest, template: Template) -> str:
    """Where "Use this template" leads: the swap form (which sends visitors to log in first)."""
    return reverse("swaps:new", args=[template.pk])


def home(request: HttpRequest) -> HttpResponse:
    """The site's front page: what it does and the most popular templates."""
    return render(
        request, "couple_templates/home.html", {"popular_templates": selectors.template_list_popular(limit=8)}
    )


@cache_anonymous_page
def gallery(request: HttpRequest) -> HttpResponse:
    category = request.GET.get("category", "")
    category = category if category in Category.values else ""
    tag = request.GET.get("tag", "").strip()
    search = request.GET.get("q", "").strip()[:100]
    sort = request.GET.get("sort", selectors.DEFAULT_SORT)
    sort = sort if sort in selectors.SORTS else selectors.DEFAULT_SORT
    templates = selectors.template_list_active(category=category, tag=tag, search=search, sort=sort)
    page = Paginator(templates, PAGE_SIZE).get_page(request.GET.get("page"))
    # The filters without the page number, for the pagination links and the category chips.
    params = {key: value for key, value in (("category", category), ("tag", tag), ("q", search)) if value}
    if sort != selectors.DEFAULT_SORT:
        params["sort"] = sort
    return render(
        request,
        "couple_templates/gallery.html",
        {
            "page": page,
            "category_chips": list(CATEGORY_SHORT.items()),
            "category_label": CATEGORY_SHORT.get(category, ""),
            "tags": selectors.template_tags_in_use(),
            "category": category,
            "tag": tag,
            "search": search,
            "sort": sort,
            "filtering": bool(category or tag or search),
            "query": urlencode(params),
            "query_without_category": urlencode({k: v for k, v in params.items() if k != "category"}),
            "query_without_tag": urlencode({k: v for k, v in params.items() if k != "tag"}),
        },
    )


@cache_anonymous_page
def template_detail(request: HttpRequest, pk: int) -> HttpResponse:
    template = selectors.template_get_active(pk=pk)
    return render(
        request,
        "couple_templates/template_detail.html",
        {
            "template": template,
            "role_faces": template.role_markers(),
            "use_template_url": use_template_url(request, template),
        },
    )


@login_required
@require_POST
def favourite_toggle(request: HttpRequest, template_pk: int) -> HttpResponse:
    """The heart on a template: mark or unmark it, then back to the page it was pressed on."""
    template = get_object_or_404(Template, pk=template_pk, is_active=True)
    now = services.favourite_toggle(user=request.user, template=template)
    messages.success(request, f"“{template.title}” {'added to' if now else 'removed from'} My favourites.")
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        # A URL, never a view name: redirect() would try to reverse "0" and fail with a 500.
        return HttpResponseRedirect(back)
    return redirect("couple_templates:favourites")


@login_required
def favourite_list(request: HttpRequest) -> HttpResponse:
    """My favourites: the templates I marked with a heart, and a way to try them all in one album."""
    return render(
        request, "couple_templates/favourites.html", {"templates": selectors.favourite_templates(user=request.user)}
    )
