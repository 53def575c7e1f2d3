"""Single sign-on in a real browser: a finance officer signs in through the identity provider's
own page (oidc-provider-mock), works, and signs out of both the app and the provider."""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
import requests
from django.core.cache import cache
from playwright.sync_api import expect

from recovery.accounts.models import ExternalIdentity, SignInEvent
from recovery.settings import oidc_origins
from tests.e2e.helpers import Visits, describe_violations, run_axe, structure_problems

pytestmark = pytest.mark.e2e


@pytest.fixture
def provider(settings: Any) -> Iterator[str]:
    os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")
    import oidc_provider_mock

    with oidc_provider_mock.run_server_in_thread() as server:
        url = f"http://localhost:{server.server_port}"
        settings.OIDC_ISSUER = url
        settings.OIDC_RP_CLIENT_ID = "recovery-app"
        settings.OIDC_RP_CLIENT_SECRET = "e2e-secret"
        settings.OIDC_ROLE_GROUPS = {"Finance officer": ["finance-officers"]}
        settings.OIDC_PROVIDER_NAME = "Example Council"
        settings.LOCAL_LOGIN = "superusers"
        # As recovery/settings.py does from OIDC_ISSUER: the sign-out form may go to the provider.
        policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
        policy["DIRECTIVES"]["form-action"] = ["'self'", *oidc_origins(url)]
        settings.CONTENT_SECURITY_POLICY = policy
        cache.clear()
        yield url


def test_finance_officer_signs_in_through_the_provider_and_out_again(new_page, provider, prefix):
    claims = {"email": "fiona.finance@council.example", "name": "Fiona Finance", "groups": ["finance-officers"]}
    response = requests.put(f"{provider}/users/{quote('fiona-subject')}", json=claims, timeout=10)
    assert response.status_code == 204
    page = new_page()
    visit = Visits(page, prefix)
    csp_violations: list[str] = []
    page.on(
        "console",
        lambda message: csp_violations.append(message.text) if "Content Security Policy" in message.text else None,
    )

    page.goto("/plans/")
    expect(page.get_by_role("link", name="Sign in with Example Council")).to_be_visible()
    expect(page.get_by_label("Password")).to_be_hidden()  # folded under break-glass sign-in
    visit("sso-sign-in")
    page.get_by_role("link", name="Sign in with Example Council").click()

    # The identity provider's own page.
    page.wait_for_url(f"{provider}/oauth2/authorize?*")
    visit("sso-provider")
    page.get_by_placeholder("sub").fill("fiona-subject")
    page.get_by_role("button", name="Authorize").click()

    # Back in the app, on the page asked for, as a finance officer.
    page.wait_for_url("**/plans/")
    expect(page.get_by_text("Signed in as Fiona Finance")).to_be_attached()
    visit("sso-signed-in")
    page.goto("/monitoring/import/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Import")
    assert ExternalIdentity.objects.get(subject="fiona-subject").user.groups.get().name == "Finance officer"

    # Sign out: the browser goes to the provider's end-session page, and from there back here.
    page.goto("/plans/")
    page.locator("form[action$='/logout/'] button").click(force=True)
    page.wait_for_url(f"{provider}/oauth2/end_session?*")
    visit("sso-provider-sign-out")
    page.get_by_role("button", name="End session").click()
    page.wait_for_url("**/accounts/login/")
    page.goto("/plans/")
    page.wait_for_url("**/accounts/login/?next=/plans/")
    assert not csp_violations, csp_violations
    assert list(SignInEvent.objects.order_by("pk").values_list("kind", flat=True)) == ["account_created", "signed_in"]


def test_the_sign_in_page_with_single_sign_on_is_accessible(new_page, provider):
    page = new_page(bypass_csp=True)  # axe is injected as an inline script
    page.goto("/accounts/login/")
    page.get_by_text("Break-glass administrator sign-in").click()
    expect(page.get_by_label("Password")).to_be_visible()
    problems = describe_violations(page.url, run_axe(page)) + structure_problems(page)
    assert not problems, problems
