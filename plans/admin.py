"""Django admin: administrators manage the organisation (directorates, portfolios, service
areas and who is assigned to them) and users. Plans are listed read-mostly for support: the
workflow (status, who submitted and when) is never edited here, and a submitted plan is read-only
but for who may edit it (its managers); its content changes only through the app's services,
which keep the rules and the history. Text nobody changed is saved exactly as it was."""

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from plans.models import Attachment, DeficitRecoveryPlan, Directorate, Milestone, Portfolio, ServiceArea
from recovery.formtools import AdminTextForm


class PortfolioInline(admin.TabularInline):
    model = Portfolio
    form = AdminTextForm
    extra = 0


@admin.register(Directorate)
class DirectorateAdmin(SimpleHistoryAdmin):
    form = AdminTextForm
    search_fields = ["name"]
    inlines = [PortfolioInline]


@admin.register(Portfolio)
class PortfolioAdmin(SimpleHistoryAdmin):
    form = AdminTextForm
    list_display = ["name", "directorate", "order"]
    list_filter = ["directorate"]
    search_fields = ["name"]


@admin.register(ServiceArea)
class ServiceAreaAdmin(SimpleHistoryAdmin):
    form = AdminTextForm
    list_display = ["name", "portfolio", "order"]
    list_filter = ["portfolio__directorate", "portfolio"]
    search_fields = ["name"]
    filter_horizontal = ["managers"]
    list_select_related = ["portfolio"]


def _is_submitted(obj: Any) -> bool:
    return isinstance(obj, DeficitRecoveryPlan) and not obj.is_draft


class MilestoneInline(admin.TabularInline):
    model = Milestone
    form = AdminTextForm
    extra = 0
    fields = ["order", "details", "amount", "per_year", "due_text", "due_date"]
    readonly_fields = ["due_date"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.fields if _is_submitted(obj) else self.readonly_fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not _is_submitted(obj) and super().has_add_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not _is_submitted(obj) and super().has_delete_permission(request, obj)


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0
    fields = ["original_name", "content_type", "size", "uploaded_by", "uploaded_at"]
    readonly_fields = ["original_name", "content_type", "size", "uploaded_by", "uploaded_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(DeficitRecoveryPlan)
class DeficitRecoveryPlanAdmin(SimpleHistoryAdmin):
    list_display = ["service_area", "financial_year", "tracker_ref", "status"]
    list_filter = ["status", "service_area__portfolio__directorate"]
    search_fields = ["tracker_ref", "service_area__name", "service_manager", "service_director"]
    list_select_related = ["service_area"]
    filter_horizontal = ["managers"]
    form = AdminTextForm
    readonly_fields = ["status", "version", "created_by", "created_at", "updated_at", "submitted_by", "submitted_at"]
    inlines = [MilestoneInline, AttachmentInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if _is_submitted(obj):
            return [field.name for field in DeficitRecoveryPlan._meta.fields if field.name != "id"]
        return self.readonly_fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a plan is started in the app by its service manager


admin.site.unregister(User)


@admin.register(User)
class RecoveryUserAdmin(UserAdmin):
    """Users, with deleting a plan's responsible user refused on the admin's own confirmation
    page (as Django does for PROTECT), rather than failing when the delete is attempted."""

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        plans = DeficitRecoveryPlan.objects.filter(managers__in=list(objs)).select_related("service_area").distinct()
        protected = list(protected) + [
            f"Deficit recovery plan: {plan} (the user is responsible for it)" for plan in plans
        ]
        return deleted, model_count, perms_needed, protected
