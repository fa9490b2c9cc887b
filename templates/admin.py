from django.contrib import admin

from .models import CrawlTask, Template


@admin.register(Template)
class TemplateAdmin(admin.ModelAdmin):
    list_display = ["title", "category", "face_count", "is_active", "popularity_score", "created_at"]
    list_filter = ["category", "is_active"]
    search_fields = ["title", "artist", "description"]
    list_select_related = ["image"]
    raw_id_fields = ["image"]


@admin.register(CrawlTask)
class CrawlTaskAdmin(admin.ModelAdmin):
    list_display = ["id", "source_type", "search_query", "status", "images_collected", "created_at"]
    list_filter = ["source_type", "status"]
    search_fields = ["search_query"]
