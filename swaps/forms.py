from django import forms

from gallery.models import Image
from swaps.engine import ROLES


class SwapForm(forms.Form):
    """For each of husband and wife: a photo from My photos, or a new upload (which wins)."""

    husband_photo = forms.ModelChoiceField(queryset=Image.objects.none(), required=False, widget=forms.RadioSelect)
    husband_upload = forms.FileField(required=False, label="Upload a new husband photo")
    wife_photo = forms.ModelChoiceField(queryset=Image.objects.none(), required=False, widget=forms.RadioSelect)
    wife_upload = forms.FileField(required=False, label="Upload a new wife photo")

    def __init__(self, *args, photos, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["husband_photo"].queryset = photos
        self.fields["wife_photo"].queryset = photos

    def clean(self) -> dict:
        data = super().clean()
        for role in ROLES:
            if not data.get(f"{role}_photo") and not data.get(f"{role}_upload"):
                self.add_error(f"{role}_photo", f"Choose a {role} photo from your photos, or upload one.")
        return data
