from django.contrib import admin

from .models import Image


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    list_display = ["id", "filename", "image_type", "category", "owner", "width", "height", "file_size", "uploaded_at"]
    list_filter = ["image_type", "category"]
    search_fields = ["filename", "owner__username", "owner__email"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]
    readonly_fields = ["uploaded_at"]
    date_hierarchy = "uploaded_at"
