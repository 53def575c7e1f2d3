"""The four roles, as Django groups. A user's role decides what they may see and do."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


class Role(enum.StrEnum):
    SERVICE_MANAGER = "Service manager"
    FINANCE_OFFICER = "Finance officer"
    EXECUTIVE = "Executive"
    ADMINISTRATOR = "Administrator"


def user_roles(user: AbstractBaseUser | AnonymousUser) -> frozenset[Role]:
    """The roles a user holds, read once per request object and cached on it."""
    if not user.is_authenticated:
        return frozenset()
    cached: frozenset[Role] | None = getattr(user, "_recovery_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))  # type: ignore[attr-defined]
        cached = frozenset(role for role in Role if role.value in names)
        if getattr(user, "is_superuser", False):
            cached = cached | {Role.ADMINISTRATOR}
        user._recovery_roles = cached  # type: ignore[attr-defined]
    return cached


def has_role(user: AbstractBaseUser | AnonymousUser, *roles: Role) -> bool:
    return bool(user_roles(user) & set(roles))
