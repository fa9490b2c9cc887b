from django import forms
from django.utils.translation import gettext_lazy as _

from gallery.models import Image
from templates.models import Template

from .models import Album
from .services import PersonPhoto


class SwapForm(forms.Form):
    """For you and your partner (the seed's husband and wife roles): a photo from My photos, or a new upload
    (which wins), and which of the photo's faces is theirs.

    Only parsing: what makes a photo usable is decided by `swaps.services.swap_submit`.
    """

    husband_photo = forms.ModelChoiceField(queryset=Image.objects.none(), required=False, widget=forms.RadioSelect)
    husband_upload = forms.FileField(required=False, label=_("Upload a new photo of you"))
    husband_face = forms.IntegerField(required=False, min_value=0, max_value=99)
    wife_photo = forms.ModelChoiceField(queryset=Image.objects.none(), required=False, widget=forms.RadioSelect)
    wife_upload = forms.FileField(required=False, label=_("Upload a new photo of your partner"))
    wife_face = forms.IntegerField(required=False, min_value=0, max_value=99)
    # Asked once per account (swaps.services.holder_face_check): the "you" face is the holder's own.
    this_is_me = forms.BooleanField(required=False, label=_("This is me: the face I chose as mine is my own face"))

    def __init__(self, *args, photos, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["husband_photo"].queryset = photos
        self.fields["wife_photo"].queryset = photos

    def person(self, role: str) -> PersonPhoto:
        """What was given for a role (after is_valid())."""
        data = self.cleaned_data
        upload = data.get(f"{role}_upload")
        # A face index belongs to the photo it was picked on, not to a new upload.
        face = None if upload is not None else data.get(f"{role}_face")
        return PersonPhoto(image=data.get(f"{role}_photo"), upload=upload, face=face)


class AlbumForm(SwapForm):
    """ "Try on several templates": the templates (up to Album.MAX_TEMPLATES) and the two people once."""

    templates = forms.ModelMultipleChoiceField(
        queryset=Template.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Pick at least one template.")},
    )

    def __init__(self, *args, templates, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["templates"].queryset = templates

    def clean_templates(self):
        chosen = self.cleaned_data["templates"]
        if len(chosen) > Album.MAX_TEMPLATES:
            raise forms.ValidationError(
                _("Pick up to %(most)s templates (%(ticked)s are ticked).")
                % {"most": Album.MAX_TEMPLATES, "ticked": len(chosen)}
            )
        return chosen


class PartnerEmailForm(forms.Form):
    """Where to send the partner's invitation link (used once, never stored)."""

    email = forms.EmailField(label=_("Your partner's e-mail address"), max_length=254)


class PartnerLoginForm(forms.Form):
    """A partner who agreed makes their own login, linked to the holder's (the couple's second login)."""

    username = forms.CharField(label=_("Username"), min_length=3, max_length=150)
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)

    def clean_username(self) -> str:
        from django.contrib.auth import get_user_model

        User = get_user_model()
        username = self.cleaned_data["username"]
        User.username_validator(username)
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("This username is taken; please choose another."))
        return username

    def clean_email(self) -> str:
        from django.contrib.auth import get_user_model

        email = self.cleaned_data["email"]
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("An account already uses this e-mail address; log in with it instead."))
        return email

    def clean(self):
        from django.contrib.auth.password_validation import validate_password

        data = super().clean()
        if data.get("password"):
            try:
                validate_password(data["password"])
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data
