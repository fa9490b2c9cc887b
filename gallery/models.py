import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.db.models.fields.json import KeyTransform
from django.db.models.functions import Now
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from taggit.managers import TaggableManager

from .storage import is_public_key, uses_object_store

# A photo picked on the swap form and not yet used in a swap carries this metadata key: My photos shows it
# apart, so photos merely tried do not crowd out the ones a person keeps. The app that uses photos clears it.
PHOTO_TRIED_KEY = "tried"


class ImageType(models.TextChoices):
    SOURCE = "source", _("Source photo")
    TEMPLATE = "template", _("Template")
    RESULT = "result", _("Swap result")


class Category(models.TextChoices):
    ACG = "acg", _("ACG (anime, comics, games)")
    MOVIE = "movie", _("Movie")
    TV = "tv", _("TV")
    CUSTOM = "custom", _("Custom")


CONTENT_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp"}


def storage_key(image_type: str, suffix: str, *, when=None, content_hash: str = "") -> str:
    """A new storage key in the seed's path format `{storage_type}/{category}/{year}/{month}/{filename}`.

    The category part is the image type (source, template, result) as in the seed's examples; the
    filename is generated, so a client's filename never reaches storage. Public pictures pass the stored
    bytes' `content_hash`: their key (and so their URL) is content-addressed, cacheable forever.
    """
    when = when or timezone.now()
    name = f"{content_hash or uuid.uuid4().hex}{suffix.lower()}"
    return f"{settings.STORAGE_BACKEND}/{image_type}/{when:%Y}/{when:%m}/{name}"


def _upload_to(instance: "Image", filename: str) -> str:
    return storage_key(instance.image_type or ImageType.SOURCE, PurePosixPath(filename).suffix or ".jpg")


class Image(models.Model):
    """Any stored picture (table `images`): a couple's source photo, a template, or a swap result."""

    # CASCADE: deleting an account removes the person's photos and results with it (their files are
    # removed by accounts.services.user_delete). Null owner = a template image, owned by the site.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        db_column="user_id",
        db_index=False,  # idx_images_user below is the index
        related_name="images",
    )
    filename = models.CharField(max_length=255, help_text="The uploader's filename, sanitised; never used as a key.")
    file = models.FileField(max_length=500, db_column="storage_path", upload_to=_upload_to)
    file_size = models.IntegerField(null=True, blank=True)
    width = models.IntegerField(null=True, blank=True)
    height = models.IntegerField(null=True, blank=True)
    image_type = models.CharField(max_length=20, choices=ImageType.choices, null=True)
    category = models.CharField(max_length=50, choices=Category.choices, null=True, blank=True)
    # The seed's TEXT[] tags column lives in django-taggit's tables instead.
    tags = TaggableManager(blank=True)
    uploaded_at = models.DateTimeField(default=timezone.now, db_default=Now(), null=True, editable=False)
    metadata = models.JSONField(default=dict, blank=True, null=True)

    class Meta:
        db_table = "images"
        ordering = ["-uploaded_at", "-id"]
        indexes = [
            models.Index(fields=["owner"], name="idx_images_user"),
            models.Index(fields=["image_type"], name="idx_images_type"),
            # Exact-duplicate checks look a picture up by the sha256 of its clean copy (uploads, templates)
            # or the crawled source's md5, both kept in `metadata`: an index on each key, not a scan.
            models.Index(KeyTransform("sha256", "metadata"), name="idx_images_sha256"),
            models.Index(KeyTransform("source_md5", "metadata"), name="idx_images_source_md5"),
        ]

    def __str__(self) -> str:
        return f"{self.get_image_type_display()} #{self.pk}: {self.filename}"

    def get_absolute_url(self) -> str:
        return reverse("gallery:image_detail", args=[self.pk])

    @property
    def storage_path(self) -> str:
        return self.file.name

    @property
    def is_private(self) -> bool:
        """People's photos and results are private; template images are public, except a person's own
        scene (a template picture with an owner), which only its owner sees, and a site template's
        picture that is hidden (see gallery.services.visibility)."""
        # A site template's picture moved off the public prefix (taken down, rejected, in review) is
        # private too: staff only.
        return (
            self.image_type != ImageType.TEMPLATE
            or self.owner_id is not None
            or not is_public_key(self.file.name or "")
        )

    @property
    def thumbnail_key(self) -> str:
        """The thumbnail's storage key (made once at upload); empty for images stored another way."""
        return (self.metadata or {}).get("thumbnail") or ""

    @property
    def sha256(self) -> str:
        return (self.metadata or {}).get("sha256") or ""

    @property
    def content_type(self) -> str:
        suffix = PurePosixPath(self.file.name or "").suffix.lower()
        return CONTENT_TYPES.get(suffix, "application/octet-stream")

    @property
    def thumbnail_content_type(self) -> str:
        """JPEG, or WebP for a transparent picture's thumbnail (it keeps the alpha)."""
        suffix = PurePosixPath(self.thumbnail_key).suffix.lower()
        return CONTENT_TYPES.get(suffix, "image/jpeg")

    @property
    def has_alpha(self) -> bool:
        """Stored with transparency kept (a cut-out template, or a swap result made from one)."""
        return bool((self.metadata or {}).get("alpha"))

    def public_url_for(self, key: str) -> str:
        """The immutable URL of one of a public picture's files: the object store's, or ours locally."""
        storage = self.file.storage
        if uses_object_store(storage):
            return storage.public_url(key)
        return reverse("gallery:public_file", args=[key])

    def get_file_url(self, *, download: bool = False) -> str:
        """The URL of the full picture (`download=True`: served as an attachment).

        Template pictures get their immutable public URL; people's photos and results the access-checked
        view, which checks the owner and then hands out a short-lived presigned URL (S3) or the bytes.
        """
        if not download and not self.is_private and is_public_key(self.file.name or ""):
            return self.public_url_for(self.file.name)
        url = reverse("gallery:image_file", args=[self.pk])
        return f"{url}?download=1" if download else url

    def get_download_url(self) -> str:
        return self.get_file_url(download=True)

    def get_thumbnail_url(self) -> str:
        """The URL of the thumbnail (at most 480x480, JPEG; WebP with alpha for a transparent picture).

        Public and immutable for template pictures."""
        key = self.thumbnail_key
        if key and not self.is_private and is_public_key(key):
            return self.public_url_for(key)
        url = reverse("gallery:image_thumbnail", args=[self.pk])
        # Browsers keep a private thumbnail an hour: a turned photo's new one needs a new address.
        return f"{url}?v={self.sha256[:12]}" if self.sha256 else url
