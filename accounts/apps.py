from allauth.account.apps import AccountConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")


class AllauthAccountConfig(AccountConfig):
    """allauth's account app, named for what the admin shows of it: beside our "Accounts" (the people), its
    own section was a second "Accounts" holding only e-mail addresses."""

    verbose_name = _("Sign-in e-mail addresses")
