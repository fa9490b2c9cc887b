from django.db import models
from django.db.models.functions import Now
from django.utils import timezone

from gallery.models import Category


class Template(models.Model):
    """A couple template (table `templates`): a picture with a husband face and a wife face to replace."""

    # PROTECT: a template's picture cannot be deleted while the template uses it; archive instead.
    image = models.OneToOneField(
        "gallery.Image",
        on_delete=models.PROTECT,
        null=True,
        db_column="image_id",
        related_name="template",
    )
    title = models.CharField(max_length=255)
    description = models.TextField(null=True, blank=True)
    artist = models.CharField(max_length=255, null=True, blank=True)
    source_url = models.URLField(max_length=500, null=True, blank=True)
    # Not in the seed's table, which nevertheless indexes templates(category): the gallery filters on it.
    category = models.CharField(max_length=50, choices=Category.choices, null=True, blank=True)
    face_count = models.IntegerField(default=2, db_default=2, null=True)
    face_positions = models.JSONField(default=list, blank=True, null=True)
    popularity_score = models.IntegerField(default=0, db_default=0, null=True)
    is_active = models.BooleanField(default=True, db_default=True, null=True)
    created_at = models.DateTimeField(default=timezone.now, db_default=Now(), null=True, editable=False)

    class Meta:
        db_table = "templates"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["category"], name="idx_templates_category")]

    def __str__(self) -> str:
        return self.title


class CrawlTask(models.Model):
    """A request to collect template candidates from an image site (table `crawl_tasks`)."""

    class SourceType(models.TextChoices):
        PIXIV = "pixiv", "Pixiv"
        DANBOORU = "danbooru", "Danbooru"
        CUSTOM = "custom", "Custom"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"

    source_type = models.CharField(max_length=50, choices=SourceType.choices, null=True)
    search_query = models.TextField(null=True, blank=True)
    filters = models.JSONField(default=dict, blank=True, null=True)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PENDING, db_default=Status.PENDING, null=True
    )
    images_collected = models.IntegerField(default=0, db_default=0, null=True)
    created_at = models.DateTimeField(default=timezone.now, db_default=Now(), null=True, editable=False)

    class Meta:
        db_table = "crawl_tasks"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_source_type_display()}: {self.search_query or '-'}"
