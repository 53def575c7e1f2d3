"""URLs of the whole site."""

from django.contrib import admin
from django.urls import include, path

from plans import views as plan_views
from recovery.accounts import views as account_views
from recovery.operations import views as operations_views

admin.site.site_header = "Deficit recovery plans: administration"
admin.site.site_title = "Recovery plans admin"

urlpatterns = [
    path("", plan_views.home, name="home"),
    path("healthz", operations_views.healthz, name="healthz"),
    path("accounts/login/", account_views.SignInView.as_view(), name="login"),
    path("accounts/logout/", account_views.SignOutView.as_view(), name="logout"),
    path("accounts/password_reset/", account_views.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("oidc/", include("recovery.accounts.urls")),
    path("plans/", include("plans.urls")),
    path("monitoring/", include("monitoring.urls")),
    path("reports/", include("recovery.reporting.urls")),
    path("tasks/", include("recovery.worklist.urls")),
    path("people/", include("recovery.accounts.people_urls")),
    path("admin/", admin.site.urls),
]
