"""The "Details" pages behind the AI-edited notice: what a result's own file says about where it comes from."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from . import provenance, selectors


@login_required
def swap_provenance(request: HttpRequest, pk: int) -> HttpResponse:
    # The couple's partner who agreed may read it too (swaps_visible_to_user).
    task = get_object_or_404(
        selectors.swaps_visible_to_user(user=request.user).filter(result_image__isnull=False), pk=pk
    )
    context = {"task": task, "check": provenance.result_provenance(task), "back_url": task.get_absolute_url()}
    return render(request, "swaps/provenance.html", context)


def share_provenance(request: HttpRequest, token: str) -> HttpResponse:
    link = selectors.share_link_live(token=token)
    if link is None:
        raise Http404("This link has expired or was turned off by its owner.")
    context = {
        "task": link.task,
        "check": provenance.result_provenance(link.task),
        "back_url": reverse("share:view", args=[token]),
        "shared": True,
    }
    response = render(request, "swaps/provenance.html", context)
    response["Cache-Control"] = "private, no-cache"
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response
