"""Forms of a person's own templates: the upload, who goes where, rename, delete and the suggestion."""

from __future__ import annotations

import json

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

ACCEPT = "image/jpeg,image/png,image/webp,image/heic,image/heif,.heic,.heif"


class OwnTemplateUploadForm(forms.Form):
    picture = forms.FileField(
        label=_("Your picture"),
        allow_empty_file=True,
        error_messages={"required": _("Please choose a picture to upload.")},
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )
    title = forms.CharField(label=_("Name (optional)"), max_length=255, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["picture"].help_text = _(
            "A scene with two people: a film still, a wedding photo, an anime screenshot. JPEG, PNG, WebP or "
            "iPhone (HEIC), up to %(mb)d MB. Only you will see it."
        ) % {"mb": settings.UPLOAD_MAX_BYTES // (1024 * 1024)}


class CoupleForm(forms.Form):
    """Who goes where: face numbers (0-based) for you and your partner, and the faces marked by hand (a JSON
    list of {box, kps}) that come after the faces already known."""

    you = forms.IntegerField(min_value=0, error_messages={"required": _("Tap the face that will be you.")})
    partner = forms.IntegerField(min_value=0, error_messages={"required": _("Tap the face for your partner.")})
    marked = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_marked(self) -> list[dict]:
        text = self.cleaned_data.get("marked") or ""
        if not text.strip():
            return []
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise forms.ValidationError(_("The marked faces could not be read: mark them again.")) from exc
        if not isinstance(value, list) or len(value) > 20:
            raise forms.ValidationError(_("The marked faces could not be read: mark them again."))
        return value


class RenameForm(forms.Form):
    title = forms.CharField(label=_("Name"), max_length=255)


class DeleteForm(forms.Form):
    swaps = forms.ChoiceField(
        label=_("The swaps you made with it"),
        choices=[("keep", _("Keep my swaps")), ("delete", _("Delete them too"))],
        initial="keep",
        widget=forms.RadioSelect,
    )


class SuggestForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=255)
    artist = forms.CharField(label=_("Artist or photographer"), max_length=255, required=False)
    source_url = forms.URLField(
        label=_("Where it comes from (web address)"), max_length=500, required=False, assume_scheme="https"
    )
    licence = forms.BooleanField(
        label=_("I have the right to share this picture with everyone, and the people in it agree."),
        error_messages={"required": _("Confirm that you have the right to share this picture with everyone.")},
    )
