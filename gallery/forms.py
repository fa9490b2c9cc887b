from django import forms
from django.conf import settings


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
            raise forms.ValidationError(f"Please upload at most {most} photos at a time.", code="too_many_files")
        return [single(file, initial) for file in files]


class PhotoUploadForm(forms.Form):
    photos = MultipleFileField(
        label="Add photos",
        # Empty files reach image_upload, whose message names the file like every other refusal.
        allow_empty_file=True,
        help_text="JPEG, PNG, WebP or iPhone (HEIC), up to {mb} MB each. Faces looking at the camera, in good light, "
        "work best; a photo of the two of you is fine.",
        error_messages={
            "required": "Please choose a photo to upload.",
            "invalid": "No file was received. Please choose the photo again and upload it.",
        },
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/heic,image/heif,.heic,.heif"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["photos"]
        field.help_text = field.help_text.format(mb=settings.UPLOAD_MAX_BYTES // (1024 * 1024))
