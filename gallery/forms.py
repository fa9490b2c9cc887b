from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file field that accepts several files at once and cleans to a list."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        files = [file for file in (data if isinstance(data, list | tuple) else [data]) if file]
        if not files:
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return []
        most = settings.UPLOAD_MAX_FILES_PER_REQUEST
        if len(files) > most:
            raise forms.ValidationError(
                _("Please upload at most %(most)s photos at a time.") % {"most": most}, code="too_many_files"
            )
        return [single(file, initial) for file in files]


class PhotoUploadForm(forms.Form):
    photos = MultipleFileField(
        label=_("Add photos"),
        # Empty files reach image_upload, whose message names the file like every other refusal.
        allow_empty_file=True,
        help_text=_(
            "JPEG, PNG, WebP or iPhone (HEIC), up to %(mb)s MB each. Faces looking at the camera, in good light, "
            "work best; a photo of the two of you is fine."
        ),
        error_messages={
            "required": _("Please choose a photo to upload."),
            "invalid": _("No file was received. Please choose the photo again and upload it."),
        },
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/heic,image/heif,.heic,.heif"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["photos"]
        field.help_text = field.help_text % {"mb": settings.UPLOAD_MAX_BYTES // (1024 * 1024)}
