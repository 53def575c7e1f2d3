"""Sign-in pages: the sign-in page (password and "Sign in with …"), the start of a single sign-on
and the provider's callback (mozilla-django-oidc's views, with endpoints from discovery and clear
pages instead of errors), and sign-out, which also ends the provider's session where it can."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django.views.generic import View
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView, OIDCLogoutView

from recovery.accounts import services
from recovery.accounts.config import SingleSignOn, local_login_for_superusers_only, single_sign_on
from recovery.accounts.discovery import ProviderUnavailable, provider_metadata
from recovery.accounts.forms import LocalPasswordResetForm

logger = logging.getLogger(__name__)


class SignInView(auth_views.LoginView):
    """Django's sign-in page, with "Sign in with <organisation>" when single sign-on is on."""

    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        config = single_sign_on()
        context["sso"] = config
        if config is not None:
            start = reverse("oidc_authentication_init")
            next_url = context.get(self.redirect_field_name)
            context["sso_start_url"] = f"{start}?{urlencode({'next': next_url})}" if next_url else start
        context["local_login_superusers_only"] = local_login_for_superusers_only()
        return context


class PasswordResetView(auth_views.PasswordResetView):
    """Django's, sending links only to accounts that may sign in with a password."""

    form_class = LocalPasswordResetForm


def _problem(request: HttpRequest, *, title: str, message: str, status: int) -> HttpResponse:
    config = single_sign_on()
    return render(
        request,
        "registration/sso_problem.html",
        {"title": title, "message": message, "sso": config},
        status=status,
    )


def _unavailable_message(config: SingleSignOn) -> str:
    return f"{config.provider_name}'s sign-in service did not answer as expected. Try again in a few minutes."


def _configured() -> SingleSignOn:
    config = single_sign_on()
    if config is None:
        raise Http404("Single sign-on is not configured.")
    return config


class SingleSignOnStartView(OIDCAuthenticationRequestView):
    """Sends the browser to the provider with a fresh state, nonce and PKCE challenge (the
    library's view; the authorization endpoint comes from discovery)."""

    def __init__(self, **kwargs: Any) -> None:
        View.__init__(self, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        config = _configured()
        try:
            metadata = provider_metadata(config)
        except ProviderUnavailable as exc:
            logger.error("single sign-on: %s", exc)
            return _problem(
                request,
                title="The sign-in service is not available",
                message=_unavailable_message(config),
                status=503,
            )
        self.OIDC_OP_AUTH_ENDPOINT = metadata.authorization_endpoint
        self.OIDC_RP_CLIENT_ID = config.client_id
        response: HttpResponse = super().get(request)
        return response


class SingleSignOnCallbackView(OIDCAuthenticationCallbackView):
    """Where the provider sends the browser back. A refusal of any kind is recorded and shown on a
    page that says what happened; nothing is signed in and, for a refusal, no account created."""

    def get(self, request: HttpRequest) -> HttpResponse:
        config = _configured()
        # Only a browser that started a sign-in gets a line in the sign-in audit: a callback
        # anyone can request is otherwise a way to fill the audit table (it goes to the log).
        self.started_here = bool(request.session.get("oidc_states"))
        error = request.GET.get("error")
        if error and request.GET.get("state") not in request.session.get("oidc_states", {}):
            # Not an answer to a sign-in this browser started, so a link anyone could send: the
            # library would sign out whoever follows it, and its text would be shown as ours.
            return self._not_completed(
                request, detail=f"The provider's answer {error[:100]} was for no sign-in started in this browser."
            )
        try:
            response: HttpResponse = super().get(request)
            return response
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else 0
            if 400 <= status < 500:  # the provider refused the code (reused, expired, PKCE mismatch)
                return self._not_verified(request, exc)
            return self._unavailable(request, config, exc)
        except (SuspiciousOperation, services.SignInNotVerified) as exc:
            return self._not_verified(request, exc)
        except (ProviderUnavailable, requests.RequestException, ValueError) as exc:
            return self._unavailable(request, config, exc)

    def _not_verified(self, request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.warning("single sign-on refused: %s", exc)
        self._record(request, detail=f"Not verified: {exc}")
        return _problem(
            request,
            title="Sign-in could not be verified",
            message=(
                "The answer from the sign-in service could not be verified, so you have not been signed in. "
                "Start again from the sign-in page."
            ),
            status=400,
        )

    def _unavailable(self, request: HttpRequest, config: SingleSignOn, exc: Exception) -> HttpResponse:
        logger.error("single sign-on: %s", exc)
        self._record(request, detail=f"Provider unavailable: {exc}")
        return _problem(
            request,
            title="The sign-in service is not available",
            message=_unavailable_message(config),
            status=503,
        )

    def login_failure(self) -> HttpResponse:
        request = self.request
        refusal = getattr(request, "sso_refusal", None)
        if refusal is not None:
            return _problem(request, title="You cannot sign in to this service", message=refusal.message, status=403)
        error = request.GET.get("error")
        if error:
            description = request.GET.get("error_description", "")[:500]
            self._record(request, detail=f"The provider answered {error[:100]}: {description}".strip(": "))
            message = "The sign-in service did not sign you in"
            message += f": {description}" if description else f" ({error[:100]})."
            return _problem(request, title="You have not been signed in", message=message, status=403)
        return self._not_completed(
            request, detail="The sign-in was not started here, or it expired, or the account is inactive."
        )

    def _record(self, request: HttpRequest, *, detail: str) -> None:
        if getattr(self, "started_here", True):
            services.sso_refuse(request=request, message="", detail=detail)
        else:
            logger.warning("single sign-on callback with no sign-in started in this browser: %s", detail)

    def _not_completed(self, request: HttpRequest, *, detail: str) -> HttpResponse:
        self._record(request, detail=detail)
        return _problem(
            request,
            title="You have not been signed in",
            message=(
                "The sign-in did not complete: it may have taken too long, or been started in another browser. "
                "Start again from the sign-in page."
            ),
            status=403,
        )


def provider_logout_url(request: HttpRequest) -> str:
    """Where sign-out goes (the library calls this before signing out here): the provider's
    end-session endpoint for someone who signed in through it (OpenID Connect RP-initiated
    logout), coming back to the sign-in page; else the sign-in page."""
    here = resolve_url(settings.LOGOUT_REDIRECT_URL)
    id_token = request.session.get("oidc_id_token")
    config = single_sign_on()
    if not id_token or config is None:
        return here
    try:
        end_session = provider_metadata(config).end_session_endpoint
    except ProviderUnavailable as exc:
        logger.warning("single sign-on: signed out here only: %s", exc)
        return here
    if not end_session:
        return here
    query = urlencode(
        {
            "id_token_hint": id_token,
            "client_id": config.client_id,
            "post_logout_redirect_uri": request.build_absolute_uri(here),
        }
    )
    return f"{end_session}{'&' if '?' in end_session else '?'}{query}"


class SignOutView(OIDCLogoutView):
    """Sign out (POST only, as Django's own view): here, then at the provider where it applies."""
