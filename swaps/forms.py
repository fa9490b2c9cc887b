from django import forms

from gallery.models import Image

from .services import PersonPhoto


class SwapForm(forms.Form):
    """For each of husband and wife: a photo from My photos, or a new upload (which wins).

    Only parsing: what makes a photo usable is decided by `swaps.services.swap_submit`.
    """

    husband_photo = forms.ModelChoiceField(queryset=Image.objects.none(), required=False, widget=forms.RadioSelect)
    husband_upload = forms.FileField(required=False, label="Upload a new husband photo")
    wife_photo = forms.ModelChoiceField(queryset=Image.objects.none(), required=False, widget=forms.RadioSelect)
    wife_upload = forms.FileField(required=False, label="Upload a new wife photo")

    def __init__(self, *args, photos, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["husband_photo"].queryset = photos
        self.fields["wife_photo"].queryset = photos

    def person(self, role: str) -> PersonPhoto:
        """What was given for a role (after is_valid())."""
        return PersonPhoto(image=self.cleaned_data.get(f"{role}_photo"), upload=self.cleaned_data.get(f"{role}_upload"))
