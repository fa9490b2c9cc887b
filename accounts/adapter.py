from allauth.account.adapter import DefaultAccountAdapter
from django.urls import reverse


class AccountAdapter(DefaultAccountAdapter):
    """allauth hooks: where people land after account changes."""

    def get_password_change_redirect_url(self, request) -> str:
        # Back to "My account", where the change password link is, rather than the empty form again.
        return reverse("accounts:profile")
