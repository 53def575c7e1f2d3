"""Single sign-on as configured (from the environment, through settings), read at each use so a
test or a reload sees the current values. ``single_sign_on()`` is None when it is switched off."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from plans.roles import Role


@dataclass(frozen=True)
class SingleSignOn:
    issuer: str
    discovery_url: str
    client_id: str
    groups_claim: str
    role_groups: dict[str, tuple[str, ...]]
    provider_name: str

    def roles(self, names: frozenset[str]) -> frozenset[Role]:
        return frozenset(Role(name) for name in names)


def single_sign_on() -> SingleSignOn | None:
    issuer = getattr(settings, "OIDC_ISSUER", "")
    client_id = getattr(settings, "OIDC_RP_CLIENT_ID", "")
    if not (issuer and client_id):
        return None
    discovery_url = getattr(settings, "OIDC_DISCOVERY_URL", "") or (
        issuer.rstrip("/") + "/.well-known/openid-configuration"
    )
    configured = getattr(settings, "OIDC_ROLE_GROUPS", {})
    role_groups = {role.value: tuple(configured.get(role.value, ())) for role in Role}
    return SingleSignOn(
        issuer=issuer,
        discovery_url=discovery_url,
        client_id=client_id,
        groups_claim=getattr(settings, "OIDC_GROUPS_CLAIM", "groups") or "groups",
        role_groups=role_groups,
        provider_name=provider_name(),
    )


def provider_name() -> str:
    """Whose accounts single sign-on uses: "Sign in with <this>"."""
    return getattr(settings, "OIDC_PROVIDER_NAME", "") or settings.ORGANISATION_NAME


def local_login_for_superusers_only() -> bool:
    """DJANGO_LOCAL_LOGIN=superusers: passwords only for break-glass superuser accounts."""
    return getattr(settings, "LOCAL_LOGIN", "all") == "superusers"
