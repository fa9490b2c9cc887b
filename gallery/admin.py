from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from .models import Image, ImageType
from .services import image_delete


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    list_display = [
        "thumbnail",
        "id",
        "filename",
        "image_type",
        "category",
        "owner",
        "dimensions",
        "file_size",
        "uploaded_at",
    ]
    list_display_links = ["thumbnail", "id", "filename"]
    list_filter = ["image_type", "category", "uploaded_at"]
    search_fields = ["filename", "owner__username", "owner__email"]
    list_select_related = ["owner"]
    list_per_page = 50
    raw_id_fields = ["owner"]
    readonly_fields = ["preview", "file", "file_size", "width", "height", "uploaded_at", "metadata"]
    fields = [
        "preview",
        "filename",
        "image_type",
        "category",
        "owner",
        "tags",
        "file",
        "width",
        "height",
        "file_size",
        "uploaded_at",
        "metadata",
    ]
    date_hierarchy = "uploaded_at"

    @admin.display(description="")
    def thumbnail(self, image: Image) -> str:
        return format_html(
            '<img src="{}" alt="" style="width:64px;height:48px;object-fit:cover;border-radius:6px" loading="lazy">',
            image.get_thumbnail_url(),
        )

    @admin.display(description="Size (px)")
    def dimensions(self, image: Image) -> str:
        return f"{image.width} x {image.height}" if image.width else "—"

    @admin.display(description="Preview")
    def preview(self, image: Image) -> str:
        return format_html(
            '<a href="{0}" target="_blank"><img src="{1}" alt="" style="max-width:480px;max-height:360px"></a>',
            image.get_file_url(),
            image.get_thumbnail_url(),
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Pictures enter through the upload service (validation, stripping, thumbnails): people's upload
        # page, or the template admin's add form.
        return False

    # Deleting goes through the service so the stored file and its thumbnail go too.
    def delete_model(self, request: HttpRequest, obj: Image) -> None:
        image_delete(image=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Image]) -> None:
        for image in queryset:
            image_delete(image=image)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Image]:
        return super().get_queryset(request).prefetch_related("tags")

    def get_readonly_fields(self, request: HttpRequest, obj: Image | None = None) -> list[str]:
        fields = list(self.readonly_fields)
        if obj is not None and obj.image_type != ImageType.TEMPLATE:
            # A person's photo or result is theirs: staff may look and delete, not relabel it.
            fields += ["filename", "image_type", "category", "owner"]
        return fields
