"""Single sign-on's two addresses. The callback, /oidc/callback/, is the redirect URI to register
with the identity provider. Both answer 404 when single sign-on is not configured."""

from django.urls import path

from recovery.accounts import views

urlpatterns = [
    path("authenticate/", views.SingleSignOnStartView.as_view(), name="oidc_authentication_init"),
    path("callback/", views.SingleSignOnCallbackView.as_view(), name="oidc_authentication_callback"),
]
