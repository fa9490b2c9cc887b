from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from . import provenance
from .models import FaceSwapTask, PartnerConsent


@admin.register(FaceSwapTask)
class FaceSwapTaskAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "template", "status", "progress", "processing_time", "created_at", "completed_at"]
    list_filter = ["status"]
    # A picture found elsewhere names its task by the public id in its invisible mark (verify_result).
    search_fields = ["user__username", "user__email", "template__title", "error_message", "=public_id"]
    list_select_related = ["user", "template"]
    raw_id_fields = ["user", "template", "husband_image", "wife_image", "result_image", "consent"]
    readonly_fields = ["created_at", "started_at", "completed_at", "processing_time", "public_id", "provenance"]

    @admin.display(description=_("Provenance of the result"))
    def provenance(self, task: FaceSwapTask) -> str:
        return provenance.result_provenance_html(task)


@admin.register(PartnerConsent)
class PartnerConsentAdmin(admin.ModelAdmin):
    """Partners' agreements, to look at only: staff see who asked, the state and when, never the links'
    tokens (they would let anyone answer or withdraw for the partner) nor the face descriptor."""

    list_display = ["id", "user", "status", "created_at", "expires_at", "decided_at"]
    list_filter = ["status"]
    search_fields = ["user__username", "user__email"]
    list_select_related = ["user"]
    fields = ["user", "status", "photo", "face_index", "created_at", "expires_at", "decided_at", "removed"]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


from . import report_admin  # noqa: E402, F401  (the reported pictures' queue)
