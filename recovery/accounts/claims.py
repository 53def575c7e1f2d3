"""What an identity provider's claims mean here: which roles a user's groups give, and the
profile fields. Pure functions on plain data (no Django), tested with hypothesis."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

USERNAME_MAX_LENGTH = 150
_NOT_USERNAME = re.compile(r"[^\w.@+-]+")


def group_values(claims: Mapping[str, Any], claim: str) -> frozenset[str]:
    """The user's groups as the provider sent them in ``claim``: a list of names or IDs, or one
    name as a string; anything else (a number, an object) is not a group name."""
    value = claims.get(claim)
    if isinstance(value, str):
        items: Iterable[Any] = [value]
    elif isinstance(value, list | tuple):
        items = value
    else:
        return frozenset()
    return frozenset(item.strip() for item in items if isinstance(item, str) and item.strip())


def roles_for_groups(groups: Iterable[str], role_groups: Mapping[str, Iterable[str]]) -> frozenset[str]:
    """The roles (keys of ``role_groups``) whose configured groups include one of ``groups``.

    Group names are compared without regard to case or surrounding spaces: "Finance" in the
    settings matches "finance" in the token (identity providers are not consistent about case).
    """
    held = {group.strip().casefold() for group in groups}
    return frozenset(
        role
        for role, configured in role_groups.items()
        if any(name.strip().casefold() in held for name in configured if name.strip())
    )


def groups_overage(claims: Mapping[str, Any], claim: str) -> bool:
    """True when the provider left the groups out because there are too many (Entra ID's "groups
    overage": a ``_claim_names`` entry pointing elsewhere instead of the list)."""
    names = claims.get("_claim_names")
    return claim not in claims and isinstance(names, Mapping) and claim in names


@dataclass(frozen=True)
class Profile:
    username: str
    email: str
    first_name: str
    last_name: str


def _text(claims: Mapping[str, Any], name: str, limit: int) -> str:
    value = claims.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def profile_from_claims(claims: Mapping[str, Any]) -> Profile:
    """The account's name and e-mail from standard claims; the username proposed for a new account
    is the provider's preferred username, else the e-mail, else one made from the subject."""
    email = _text(claims, "email", 254)
    if "@" not in email:
        email = ""
    first = _text(claims, "given_name", 150)
    last = _text(claims, "family_name", 150)
    if not (first or last):
        first, _, last = _text(claims, "name", 301).partition(" ")
        first, last = first[:150], last.strip()[:150]
    wanted = _text(claims, "preferred_username", 300) or email or f"sso-{_text(claims, 'sub', 300)}"
    username = _NOT_USERNAME.sub("-", wanted).strip("-")[: USERNAME_MAX_LENGTH - 6] or "sso-user"
    return Profile(username=username, email=email, first_name=first, last_name=last)
