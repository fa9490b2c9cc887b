from django.contrib import admin

from .models import FaceSwapTask


@admin.register(FaceSwapTask)
class FaceSwapTaskAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "template", "status", "progress", "processing_time", "created_at", "completed_at"]
    list_filter = ["status"]
    search_fields = ["user__username", "user__email", "template__title", "error_message"]
    list_select_related = ["user", "template"]
    raw_id_fields = ["user", "template", "husband_image", "wife_image", "result_image"]
    readonly_fields = ["created_at", "started_at", "completed_at", "processing_time"]


from . import report_admin  # noqa: E402, F401  (the reported pictures' queue)
