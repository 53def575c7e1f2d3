"""Django admin: administrators manage the organisation (directorates, portfolios, service
areas and who is assigned to them) and users. Plans are listed read-mostly for support."""

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from plans.models import Attachment, DeficitRecoveryPlan, Directorate, Milestone, Portfolio, ServiceArea


class PortfolioInline(admin.TabularInline):
    model = Portfolio
    extra = 0


@admin.register(Directorate)
class DirectorateAdmin(SimpleHistoryAdmin):
    search_fields = ["name"]
    inlines = [PortfolioInline]


@admin.register(Portfolio)
class PortfolioAdmin(SimpleHistoryAdmin):
    list_display = ["name", "directorate", "order"]
    list_filter = ["directorate"]
    search_fields = ["name"]


@admin.register(ServiceArea)
class ServiceAreaAdmin(SimpleHistoryAdmin):
    list_display = ["name", "portfolio", "order"]
    list_filter = ["portfolio__directorate", "portfolio"]
    search_fields = ["name"]
    filter_horizontal = ["managers"]
    list_select_related = ["portfolio"]


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0
    fields = ["order", "details", "amount", "per_year", "due_text", "due_date"]
    readonly_fields = ["due_date"]


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
    readonly_fields = ["created_by", "created_at", "updated_at", "submitted_by", "submitted_at"]
    inlines = [MilestoneInline, AttachmentInline]


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
