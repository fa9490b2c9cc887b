"""The partner's side of consent (/consent/...): no account needed, only the link's token.

The page shows the partner nothing of the holder but their display name, and nothing of the photo but
the partner's own face crop. Agreeing or declining uses the token up (a used or expired link answers
404); agreeing gives the partner a link to withdraw at any time.
"""

from __future__ import annotations

import io

from django.contrib.auth import login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from PIL import Image as PILImage
from PIL import ImageOps

from . import services
from .forms import PartnerLoginForm
from .models import PartnerConsent

# The largest side of the face crop the partner sees.
CROP_SIDE = 320


def _private(response: HttpResponse) -> HttpResponse:
    # The token is in the address: never kept by shared caches, never sent on as a referrer, never indexed.
    response["Cache-Control"] = "private, no-store"
    # same-origin, not no-referrer: with no-referrer Chromium sends "Origin: null" and CSRF refuses the form.
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex"
    return response


def _open_invitation(token: str) -> PartnerConsent:
    consent = services.consent_open(token=token)
    if consent is None or consent.photo is None:
        raise Http404("This invitation link has been used, has expired or was never made.")
    return consent


@never_cache
def consent_invite(request: HttpRequest, token: str) -> HttpResponse:
    """The invitation: the partner's face crop, who asks, what it is for; Agree / Decline."""
    consent = _open_invitation(token)
    context = {
        "consent": consent,
        "holder": services.holder_name(consent.user),
        # The holder opening their own link: it is for the partner, so no buttons.
        "is_holder": request.user.is_authenticated and request.user.pk == consent.user_id,
    }
    return _private(render(request, "swaps/consent/invite.html", context))


@never_cache
def consent_face(request: HttpRequest, token: str) -> HttpResponse:
    """The partner's own face, cut from the photo with a margin (nothing else of the photo)."""
    consent = _open_invitation(token)
    with consent.photo.file.open("rb") as fp, PILImage.open(fp) as picture:
        picture = ImageOps.exif_transpose(picture).convert("RGB")
        if consent.face_box:
            x1, y1, x2, y2 = consent.face_box
            margin = 0.25 * max(x2 - x1, y2 - y1)
            box = (
                max(0, x1 - margin),
                max(0, y1 - margin),
                min(picture.width, x2 + margin),
                min(picture.height, y2 + margin),
            )
            picture = picture.crop(tuple(round(v) for v in box))
        picture.thumbnail((CROP_SIDE, CROP_SIDE))
        buffer = io.BytesIO()
        picture.save(buffer, "JPEG", quality=85)
    return _private(HttpResponse(buffer.getvalue(), content_type="image/jpeg"))


def _refuse_holder(request: HttpRequest, consent: PartnerConsent) -> None:
    if request.user.is_authenticated and request.user.pk == consent.user_id:
        raise Http404("Only your partner can answer this invitation.")


@require_POST
def consent_agree(request: HttpRequest, token: str) -> HttpResponse:
    consent = _open_invitation(token)
    _refuse_holder(request, consent)
    withdraw_token = services.consent_agree(consent=consent)
    if withdraw_token is None:
        raise Http404("This invitation link has been used or has expired.")
    return redirect("consent:agreed", withdraw_token)


@require_POST
def consent_decline(request: HttpRequest, token: str) -> HttpResponse:
    consent = _open_invitation(token)
    _refuse_holder(request, consent)
    if not services.consent_decline(consent=consent):
        raise Http404("This invitation link has been used or has expired.")
    context = {"holder": services.holder_name(consent.user)}
    return _private(render(request, "swaps/consent/declined.html", context))


@never_cache
@require_http_methods(["GET", "POST"])
def consent_agreed(request: HttpRequest, token: str) -> HttpResponse:
    """The partner's agreement and its withdrawal: the page to keep (its link withdraws, once)."""
    consent = services.consent_withdrawable(token=token)
    if consent is None:
        raise Http404("This agreement was already withdrawn, or the link is wrong.")
    holder = services.holder_name(consent.user)
    if request.method == "POST":
        _refuse_holder(request, consent)
        services.consent_withdraw(consent=consent)
        return _private(render(request, "swaps/consent/withdrawn.html", {"holder": holder}))
    url = request.build_absolute_uri()
    context = {"holder": holder, "withdraw_url": url, "consent": consent, "token": token}
    if consent.partner_user_id is None and not request.user.is_authenticated:
        context["login_form"] = PartnerLoginForm()
    return _private(render(request, "swaps/consent/agreed.html", context))


@require_POST
def consent_partner_login(request: HttpRequest, token: str) -> HttpResponse:
    """After agreeing: the partner's own login, linked to the holder; logged in, to My swaps."""
    consent = services.consent_withdrawable(token=token)
    if consent is None or consent.partner_user_id is not None or request.user.is_authenticated:
        raise Http404("This agreement cannot take a login.")
    form = PartnerLoginForm(request.POST)
    if form.is_valid():
        user = services.consent_partner_login(consent=consent, **form.cleaned_data)
        if user is not None:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("swaps:list")
    context = {
        "holder": services.holder_name(consent.user),
        "withdraw_url": request.build_absolute_uri(reverse("consent:agreed", args=[token])),
        "consent": consent,
        "token": token,
        "login_form": form,
    }
    return _private(render(request, "swaps/consent/agreed.html", context, status=400))
