"""“Report this picture” on a shared page: anyone may report it, without an account."""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from . import selectors, services
from .models import ShareReport


class ReportForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("What is wrong with this picture?"),
        choices=[("", _("Choose a reason")), *ShareReport.Reason.choices],
        error_messages={"required": _("Choose why you report this picture.")},
    )
    text = forms.CharField(
        label=_("Anything else we should know (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


@require_http_methods(["GET", "POST"])
def share_report(request: HttpRequest, token: str) -> HttpResponse:
    """The report form of a shared picture, and its thanks; 404 once the link no longer works."""
    link = selectors.share_link_live(token=token)
    if link is None:
        raise Http404("This link has expired or was turned off by its owner.")
    form = ReportForm(request.POST or None)
    status = 200
    if form.is_bound and form.is_valid():
        try:
            services.report_create(
                link=link,
                reason=form.cleaned_data["reason"],
                text=form.cleaned_data["text"],
                client_ip=get_adapter(request).get_client_ip(request),
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
            status = 429 if exc.code == "rate" else 200
        else:
            return render(request, "swaps/share_report.html", {"link": link, "sent": True}, status=201)
    response = render(request, "swaps/share_report.html", {"link": link, "form": form}, status=status)
    response["X-Robots-Tag"] = "noindex"
    return response
