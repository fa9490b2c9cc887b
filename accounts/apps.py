from allauth.account.apps import AccountConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    # The app's own config ("accounts" in INSTALLED_APPS), though this module also holds allauth's.
    default = True
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_delete, post_save

        from .cached_user import user_changed
        from .services import user_language_remember

        # The row kept for each signed-in request (accounts/cached_user.py) is dropped whenever it changes.
        post_save.connect(user_changed, sender="accounts.User", dispatch_uid="accounts.cached_user.save")
        post_delete.connect(user_changed, sender="accounts.User", dispatch_uid="accounts.cached_user.delete")

        # Each log-in records the language the person uses the site in (their e-mails are written in it).
        user_logged_in.connect(
            lambda sender, request, user, **kwargs: user_language_remember(user=user, request=request),
            dispatch_uid="accounts.user_language_remember",
            weak=False,
        )


class AllauthAccountConfig(AccountConfig):
    """allauth's account app, named for what the admin shows of it: beside our "Accounts" (the people), its
    own section was a second "Accounts" holding only e-mail addresses."""

    verbose_name = _("Sign-in e-mail addresses")
