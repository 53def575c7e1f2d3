"""The sign-in audit and the single sign-on identities, for administrators (read-only), and the
user page recording the roles an administrator gives or takes away."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.models import User
from django.http import HttpRequest

from plans.admin import RecoveryUserAdmin
from recovery.accounts import services
from recovery.accounts.models import ExternalIdentity, SignInEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SignInEvent)
class SignInEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "kind", "method", "username", "ip_address", "detail"]
    list_filter = ["kind", "method", "at"]
    search_fields = ["username", "subject", "detail"]
    date_hierarchy = "at"


@admin.register(ExternalIdentity)
class ExternalIdentityAdmin(admin.ModelAdmin):
    list_display = ["user", "subject", "issuer", "created_at", "last_sign_in_at"]
    search_fields = ["user__username", "user__email", "subject"]
    readonly_fields = ["user", "issuer", "subject", "created_at", "last_sign_in_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class ExternalIdentityInline(admin.TabularInline):
    model = ExternalIdentity
    extra = 0
    fields = ("subject", "issuer", "created_at", "last_sign_in_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


admin.site.unregister(User)


@admin.register(User)
class AuditedUserAdmin(RecoveryUserAdmin):
    """The user page, with the user's single sign-on identity and the role changes audited."""

    inlines = [*RecoveryUserAdmin.inlines, ExternalIdentityInline]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        before = services.role_names(form.instance) if change else frozenset()
        super().save_related(request, form, formsets, change)
        services.roles_changed_in_admin(
            user=form.instance,
            before=before,
            after=services.role_names(form.instance),
            by=request.user,
            request=request,
        )
