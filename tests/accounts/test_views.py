"""The permission matrix of the sign-in addresses this app adds (tests/test_url_coverage.py
requires every URL to be in one): every kind of visitor, with single sign-on on and off."""

from __future__ import annotations

import pytest

from plans.roles import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

VISITORS = ["anonymous", *[role.value for role in Role]]
# URL name: (path, status with single sign-on on, status with it off), the same for every visitor:
# anyone may start a sign-in (to the provider); a callback the provider did not send is refused.
MATRIX = {
    "oidc_authentication_init": ("/oidc/authenticate/", 302, 404),
    "oidc_authentication_callback": ("/oidc/callback/", 403, 404),
}


@pytest.mark.parametrize("visitor", VISITORS)
@pytest.mark.parametrize("name", MATRIX)
@pytest.mark.parametrize("configured", [True, False], ids=["sso-on", "sso-off"])
def test_sign_in_address_matrix(client, request, name, visitor, configured):
    if configured:
        request.getfixturevalue("fake_provider")
    if visitor != "anonymous":
        client.force_login(UserFactory(role=visitor))
    path, on, off = MATRIX[name]
    response = client.get(path)
    assert response.status_code == (on if configured else off)
    if configured and name == "oidc_authentication_init":
        assert response["Location"].startswith(request.getfixturevalue("fake_provider").base_url + "/authorize?")


@pytest.mark.parametrize("name", MATRIX)
def test_sign_in_addresses_refuse_other_methods(client, fake_provider, name):
    assert client.post(MATRIX[name][0]).status_code == 405
