"""A shared demo account stays usable by everyone: nobody can change its password or e-mail, or delete it."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve
from django.utils.translation import gettext

# The pages that change how one signs in to an account, or delete it (allauth's and ours).
LOCKED_FOR_DEMO = {
    "account_change_password",
    "account_set_password",
    "account_email",
    "account_reset_password",
    "account_reset_password_from_key",
    "account_confirm_email",
    "accounts:delete",
}


def user_is_demo(user) -> bool:
    """Whether this is one of the shared demo accounts (settings.DEMO_USERNAMES), whose password is public."""
    return bool(getattr(user, "is_authenticated", False)) and user.get_username() in settings.DEMO_USERNAMES


class DemoAccountReadOnlyMiddleware:
    """Send a demo account from the pages that would change its password or e-mail, or delete it, back to
    My account with the reason (those pages and their forms, GET and POST alike)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if user_is_demo(getattr(request, "user", None)):
            try:
                match = resolve(request.path_info)
            except Resolver404:
                match = None
            if match is not None and match.view_name in LOCKED_FOR_DEMO:
                messages.info(
                    request,
                    gettext(
                        "This is the shared demo account: its password and e-mail address cannot be changed, "
                        "and it cannot be deleted. Sign up for your own account to do that."
                    ),
                )
                return redirect("accounts:profile")
        return self.get_response(request)
