"""Single sign-on's settings from the environment, and the provider's discovery document."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from plans.roles import Role
from recovery.accounts.config import single_sign_on
from recovery.accounts.discovery import ProviderUnavailable, provider_metadata
from tests.accounts.conftest import configure

pytestmark = pytest.mark.django_db


FORM_ACTION = "import recovery.settings as s; print(s.CONTENT_SECURITY_POLICY['DIRECTIVES']['form-action'])"


def settings_from(env: dict[str, str], code: str = FORM_ACTION) -> subprocess.CompletedProcess[str]:
    """Import the real settings module in a fresh interpreter with ``env`` and run ``code`` (by
    default: print the CSP's form-action)."""
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("OIDC_", "DJANGO_LOCAL_LOGIN", "ORGANISATION_NAME"))
    }
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        env={**clean, "DJANGO_DEBUG": "1", **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_with_nothing_set_single_sign_on_is_off(settings):
    result = settings_from({})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[\"'self'\"]"


def test_the_providers_host_may_receive_the_sign_out_form():
    result = settings_from(
        {"OIDC_ISSUER": "https://login.microsoftonline.com/tenant-id/v2.0", "OIDC_CLIENT_ID": "client"}
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[\"'self'\", 'https://login.microsoftonline.com']"


# What single_sign_on() and the library read, printed from the settings a fresh process builds.
SINGLE_SIGN_ON_AS_CONFIGURED = """
import json
import django
django.setup()
from django.conf import settings
from recovery.accounts.config import local_login_for_superusers_only, single_sign_on
config = single_sign_on()
print(json.dumps(None if config is None else {
    "issuer": config.issuer,
    "discovery_url": config.discovery_url,
    "client_id": config.client_id,
    "client_secret": settings.OIDC_RP_CLIENT_SECRET,
    "scopes": settings.OIDC_RP_SCOPES,
    "groups_claim": config.groups_claim,
    "role_groups": config.role_groups,
    "provider_name": config.provider_name,
    "superusers_only": local_login_for_superusers_only(),
}))
"""


def single_sign_on_from(env: dict[str, str]) -> Any:
    result = settings_from({"DJANGO_SETTINGS_MODULE": "recovery.settings", **env}, SINGLE_SIGN_ON_AS_CONFIGURED)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_with_nothing_set_there_is_no_single_sign_on_and_passwords_are_for_everyone():
    assert single_sign_on_from({}) is None
    assert settings_from({}, "import recovery.settings as s; print(s.LOCAL_LOGIN)").stdout.strip() == "all"


def test_every_single_sign_on_setting_comes_from_the_environment():
    configured = single_sign_on_from(
        {
            "OIDC_ISSUER": " https://login.microsoftonline.com/tenant-id/v2.0 ",
            "OIDC_DISCOVERY_URL": "https://login.microsoftonline.com/tenant-id/v2.0/.well-known/openid-configuration",
            "OIDC_CLIENT_ID": "client-id",
            "OIDC_CLIENT_SECRET": "client-secret",
            "OIDC_SCOPES": "openid email profile offline_access",
            "OIDC_GROUPS_CLAIM": "roles",
            "OIDC_GROUPS_SERVICE_MANAGER": "Recovery.Managers",
            "OIDC_GROUPS_FINANCE_OFFICER": "Recovery.Finance, Finance-Leads",
            "OIDC_GROUPS_EXECUTIVE": "Recovery.Executives",
            "OIDC_GROUPS_ADMINISTRATOR": "Recovery.Admins",
            "OIDC_PROVIDER_NAME": "Borsetshire Council",
            "DJANGO_LOCAL_LOGIN": "superusers",
        }
    )
    assert configured == {
        "issuer": "https://login.microsoftonline.com/tenant-id/v2.0",
        "discovery_url": "https://login.microsoftonline.com/tenant-id/v2.0/.well-known/openid-configuration",
        "client_id": "client-id",
        "client_secret": "client-secret",
        "scopes": "openid email profile offline_access",
        "groups_claim": "roles",
        "role_groups": {
            "Service manager": ["Recovery.Managers"],
            "Finance officer": ["Recovery.Finance", "Finance-Leads"],
            "Executive": ["Recovery.Executives"],
            "Administrator": ["Recovery.Admins"],
        },
        "provider_name": "Borsetshire Council",
        "superusers_only": True,
    }


def test_the_defaults_of_a_minimal_configuration():
    configured = single_sign_on_from(
        {"OIDC_ISSUER": "https://sso.example.gov.uk/realms/council/", "OIDC_CLIENT_ID": "recovery-plans"}
    )
    assert configured["discovery_url"] == "https://sso.example.gov.uk/realms/council/.well-known/openid-configuration"
    assert configured["scopes"] == "openid email profile"
    assert configured["groups_claim"] == "groups"
    assert configured["role_groups"] == {role.value: [] for role in Role}
    assert configured["provider_name"] == "Example Council"  # ORGANISATION_NAME's default
    assert configured["superusers_only"] is False
    named = single_sign_on_from(
        {"OIDC_ISSUER": "https://idp.example", "OIDC_CLIENT_ID": "c", "ORGANISATION_NAME": "Ambridge Council"}
    )
    assert named["provider_name"] == "Ambridge Council"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"OIDC_ISSUER": "https://idp.example"}, "both OIDC_ISSUER and OIDC_CLIENT_ID"),
        ({"OIDC_CLIENT_ID": "client"}, "both OIDC_ISSUER and OIDC_CLIENT_ID"),
        ({"DJANGO_LOCAL_LOGIN": "nobody"}, 'DJANGO_LOCAL_LOGIN must be "all" or "superusers"'),
    ],
)
def test_half_a_configuration_stops_the_app_with_a_message(env, message):
    result = settings_from(env)
    assert result.returncode != 0
    assert message in result.stderr


def test_the_check_warns_when_local_login_is_off_without_single_sign_on(settings):
    settings.LOCAL_LOGIN = "superusers"
    with pytest.raises(SystemCheckError, match=r"accounts\.W001"):
        call_command("check", fail_level="WARNING")


def test_the_check_warns_when_no_group_gives_a_role(settings):
    configure(settings, "https://idp.example")
    settings.OIDC_ROLE_GROUPS = {}
    with pytest.raises(SystemCheckError, match=r"accounts\.W002"):
        call_command("check", fail_level="WARNING")


def test_the_discovery_document_must_name_the_configured_issuer(client, settings, fake_provider):
    settings.OIDC_ISSUER = fake_provider.issuer + "/other"
    settings.OIDC_DISCOVERY_URL = fake_provider.issuer + "/.well-known/openid-configuration"
    with pytest.raises(ProviderUnavailable, match="issuer"):
        provider_metadata(single_sign_on())
    response = client.get("/oidc/authenticate/")
    assert response.status_code == 503
    assert "did not answer as expected" in response.content.decode()


def test_a_provider_that_does_not_answer_gives_a_page_not_an_error(client, settings):
    configure(settings, "http://localhost:9")  # nothing listens on the discard port
    response = client.get("/oidc/authenticate/")
    assert response.status_code == 503
    assert "Try again in a few minutes" in response.content.decode()


def test_a_provider_away_during_the_callback_gives_a_page_not_an_error(client, settings, fake_provider):
    start = client.get("/oidc/authenticate/")
    assert start.status_code == 302
    configure(settings, "http://localhost:9")  # and the cached document is gone
    state = next(iter(client.session["oidc_states"]))
    response = client.get("/oidc/callback/", {"code": "x", "state": state})
    assert response.status_code == 503


@pytest.mark.parametrize("url", ["http://idp.example/.well-known/openid-configuration", "ftp://idp.example/x"])
def test_the_provider_must_be_reached_over_https(settings, url):
    configure(settings, "http://idp.example")
    settings.OIDC_DISCOVERY_URL = url
    with pytest.raises(ProviderUnavailable, match="https"):
        provider_metadata(single_sign_on())
