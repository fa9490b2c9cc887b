"""My account: a summary of the account, and deleting it."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from .forms import AccountDeleteForm
from .middleware import user_is_demo
from .selectors import account_summary
from .services import user_delete


@login_required
@require_GET
def profile(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/profile.html",
        {"summary": account_summary(user=request.user), "is_demo": user_is_demo(request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def account_delete(request: HttpRequest) -> HttpResponse:
    """Confirm with the password, then delete the account, its photos, swaps and results."""
    form = AccountDeleteForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        user_delete(user=request.user)
        logout(request)
        messages.success(request, _("Your account, your photos and your swaps have been deleted. Goodbye!"))
        # Signed out now: where signing out leads (the site's front page), set by the site, not by accounts.
        return redirect(settings.ACCOUNT_LOGOUT_REDIRECT_URL)
    return render(
        request, "accounts/account_delete.html", {"form": form, "summary": account_summary(user=request.user)}
    )
