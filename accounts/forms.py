from allauth.account import forms as allauth_forms
from django import forms
from django.utils.translation import gettext_lazy as _

# allauth's labels and placeholders in the site's own words (sentence case, "log in").
_WORDING = {
    "login": (_("Username or email"), _("Your username or email")),
    "remember": (_("Keep me logged in on this device"), None),
    "email": (_("Email"), "you@example.com"),
    "username": (_("Username"), _("How you appear on the site")),
    "password": (_("Password"), None),
    "oldpassword": (_("Current password"), None),
    "password1": (_("Password"), None),
    "password2": (_("Password again"), _("Type it once more")),
}
_NEW_WORDING = {"password1": _("New password"), "password2": _("New password again")}


def _reword(form: forms.Form, *, new: bool = False) -> None:
    for name, field in form.fields.items():
        label, placeholder = _WORDING.get(name, (None, None))
        if label:
            field.label = _NEW_WORDING[name] if new and name in _NEW_WORDING else label
        if placeholder is not None or "placeholder" in field.widget.attrs:
            field.widget.attrs["placeholder"] = placeholder or ""


class LoginForm(allauth_forms.LoginForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _reword(self)


class SignupForm(allauth_forms.SignupForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _reword(self)


class ChangePasswordForm(allauth_forms.ChangePasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _reword(self, new=True)


class AccountDeleteForm(forms.Form):
    """Deleting an account cannot be undone, so the person confirms with their password."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("Type your password to confirm that you want to delete your account."),
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("That is not your password. Your account has not been deleted."))
        return password
