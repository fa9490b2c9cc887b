from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from . import catalogue, selectors, services
from .cache import cache_anonymous_page, canonical_params
from .models import CATEGORY_SHORT, Template

PAGE_SIZE = catalogue.PAGE_SIZE


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
    # The same canonical values the shared cache keys the page by (unknown ones dropped).
    params = canonical_params(request)
    category, tag, search = params.get("category", ""), params.get("tag", ""), params.get("q", "")
    sort = params.get("sort", selectors.DEFAULT_SORT)
    templates = selectors.template_list_active(category=category, tag=tag, search=search, sort=sort)
    # The filters without the position, for the Previous/Next links and the category chips.
    filters = {key: value for key, value in params.items() if key not in ("after", "before")}
    query = urlencode(filters)
    after, before = params.get("after"), params.get("before")
    page = catalogue.gallery_page(
        templates, sort=sort, after=int(after) if after else None, before=int(before) if before else None
    )
    page.paginator.count = catalogue.count_active(templates, key=query, tag=tag)
    tags = catalogue.tags_in_use()
    response = render(
        request,
        "couple_templates/gallery.html",
        {
            "page": page,
            "category_chips": list(CATEGORY_SHORT.items()),
            "category_label": CATEGORY_SHORT.get(category, ""),
            "tags": tags,
            "category": category,
            "tag": tag,
            "search": search,
            "sort": sort,
            "filtering": bool(category or tag or search),
            "query": query,
            "query_without_category": urlencode({k: v for k, v in filters.items() if k != "category"}),
            "query_without_tag": urlencode({k: v for k, v in filters.items() if k != "tag"}),
        },
    )
    # A position that is no template, or a tag no active template has, is shown but not kept in the cache.
    response.cache_not_kept = bool((after or before) and not page.anchored) or bool(
        tag and not catalogue.tag_known(tag)
    )
    return response


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
    if now:
        said = gettext("“%(title)s” added to My favourites.") % {"title": template.title}
    else:
        said = gettext("“%(title)s” removed from My favourites.") % {"title": template.title}
    if "application/json" in request.headers.get("Accept", ""):
        # The heart's script (static/js/favourite.js): the page stays where it was, the heart turns.
        label = (
            gettext("Remove “%(title)s” from My favourites") if now else gettext("Add “%(title)s” to My favourites")
        ) % {"title": template.title}
        return JsonResponse({"favourite": now, "label": label, "message": said})
    messages.success(request, said)
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
