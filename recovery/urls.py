"""URLs of the whole site."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from plans import views as plan_views

admin.site.site_header = "Deficit recovery plans: administration"
admin.site.site_title = "Recovery plans admin"

urlpatterns = [
    path("", plan_views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("plans/", include("plans.urls")),
    path("monitoring/", include("monitoring.urls")),
    path("reports/", include("recovery.reporting.urls")),
    path("admin/", admin.site.urls),
]
