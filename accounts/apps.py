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

        from .services import user_language_remember

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
