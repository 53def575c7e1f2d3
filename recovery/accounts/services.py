"""Every write of signing in: the account a provider's user gets (or the refusal), their roles
from the groups in the token, and the audit line for each."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import Group, User
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from plans.roles import Role
from recovery.accounts.claims import group_values, groups_overage, profile_from_claims, roles_for_groups
from recovery.accounts.config import SingleSignOn, local_login_for_superusers_only
from recovery.accounts.models import ExternalIdentity, SignInEvent

logger = logging.getLogger(__name__)
ROLE_NAMES = frozenset(role.value for role in Role)


class SignInNotVerified(Exception):
    """The provider's answer could not be trusted or used; the message says why (for the audit)."""


@dataclass(frozen=True)
class Refusal:
    """Why a sign-in was refused, in words for the person refused."""

    message: str


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return getattr(request, "axes_ip_address", None) or request.META.get("REMOTE_ADDR") or None


def audit_record(
    *,
    kind: SignInEvent.Kind,
    method: SignInEvent.Method,
    request: HttpRequest | None,
    user: User | None = None,
    username: str = "",
    subject: str = "",
    detail: str = "",
) -> SignInEvent:
    """Write one audit line (with the time and the client's address)."""
    event = SignInEvent.objects.create(
        kind=kind,
        method=method,
        user=user,
        username=(user.get_username() if user is not None else username)[:300],
        subject=subject[:255],
        ip_address=client_ip(request),
        detail=detail,
    )
    logger.info("sign-in audit: %s", event)
    return event


def password_sign_in_allowed(*, user: Any) -> bool:
    """Whether ``user`` may sign in with a password (and be sent a reset link). With
    DJANGO_LOCAL_LOGIN=superusers only break-glass accounts may: local superusers. A superuser
    linked to the identity provider (its administrators' group makes one) signs in there, so that
    disabling them at the provider shuts them out here too, whatever password they may have."""
    if not local_login_for_superusers_only():
        return True
    if not getattr(user, "is_superuser", False):
        return False
    return not ExternalIdentity.objects.filter(user_id=user.pk).exists()


def _names(roles: frozenset[str]) -> str:
    return ", ".join(sorted(roles)) or "none"


def role_names(user: User) -> frozenset[str]:
    return frozenset(user.groups.filter(name__in=ROLE_NAMES).values_list("name", flat=True))


def _set_roles(user: User, roles: frozenset[str]) -> None:
    """Give ``user`` exactly ``roles`` among the four role groups (other groups are left alone).
    The Administrator role also opens the Django admin, as for the demo administrator."""
    current = role_names(user)
    if current - roles:
        user.groups.remove(*Group.objects.filter(name__in=current - roles))
    for name in sorted(roles - current):
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    administrator = Role.ADMINISTRATOR.value in roles
    if user.is_staff != administrator or user.is_superuser != administrator:
        user.is_staff = user.is_superuser = administrator
        user.save(update_fields=["is_staff", "is_superuser"])


def _unique_username(wanted: str) -> str:
    candidate, number = wanted, 1
    while User.objects.filter(username__iexact=candidate).exists():
        number += 1
        candidate = f"{wanted}-{number}"
    return candidate


def sso_refuse(
    *, request: HttpRequest | None, message: str, detail: str, subject: str = "", username: str = ""
) -> Refusal:
    """Record a refused single sign-on and return what to tell the person."""
    audit_record(
        kind=SignInEvent.Kind.REFUSED,
        method=SignInEvent.Method.SINGLE_SIGN_ON,
        request=request,
        username=username,
        subject=subject,
        detail=detail,
    )
    return Refusal(message)


def sso_sign_in(
    *, config: SingleSignOn, issuer: str, claims: Mapping[str, Any], request: HttpRequest | None
) -> User | Refusal:
    """The account for a provider's user whose ID token has been verified, with their roles set
    from the groups in ``claims``; or a Refusal (recorded) when no group gives a role.

    The account is found by (issuer, subject) only. A new subject gets a new account, without a
    usable password, only if it has a role. Roles follow the token at every sign-in; service-area
    assignments are the app's own and are never touched here.
    """
    try:
        return _sso_sign_in(config=config, issuer=issuer, claims=claims, request=request)
    except IntegrityError:
        # Two first sign-ins of one subject at once (two tabs): the other created the account
        # (or took the username) first. Its transaction has committed; this one finds it.
        return _sso_sign_in(config=config, issuer=issuer, claims=claims, request=request)


def _sso_sign_in(
    *, config: SingleSignOn, issuer: str, claims: Mapping[str, Any], request: HttpRequest | None
) -> User | Refusal:
    subject = claims.get("sub")
    profile = profile_from_claims(claims)
    shown = profile.email or profile.username
    if not isinstance(subject, str) or not subject:
        return sso_refuse(
            request=request,
            message="The sign-in service did not say who you are.",
            detail="The ID token has no subject (sub).",
            username=shown,
        )
    groups = group_values(claims, config.groups_claim)
    roles = roles_for_groups(groups, config.role_groups)
    with transaction.atomic():
        identity = (
            ExternalIdentity.objects.select_for_update()
            .select_related("user")
            .filter(issuer=issuer, subject=subject)
            .first()
        )
        user = identity.user if identity is not None else None
        if not roles:
            if groups_overage(claims, config.groups_claim):
                reason = (
                    f"The token has no {config.groups_claim!r} claim: the provider left it out because the user is "
                    "in too many groups (Entra ID: assign groups to the application, or use app roles)."
                )
            else:
                sent = sorted(groups)
                listed = ", ".join(sent[:20]) + (f" and {len(sent) - 20} more" if len(sent) > 20 else "")
                reason = f"No group in the {config.groups_claim!r} claim gives a role; groups sent: {listed or 'none'}."
            if user is not None:
                held = role_names(user)
                _set_roles(user, frozenset())
                if held:
                    audit_record(
                        kind=SignInEvent.Kind.ROLES_CHANGED,
                        method=SignInEvent.Method.SINGLE_SIGN_ON,
                        request=request,
                        user=user,
                        subject=subject,
                        detail=f"{_names(held)} → none (no mapped group at sign-in)",
                    )
            return sso_refuse(
                request=request,
                message=(
                    f"You signed in as {shown}, but your account is not in any of the groups that give access "
                    "to this service. Ask your IT service desk to add you to the right group."
                ),
                detail=reason,
                subject=subject,
                username=user.get_username() if user is not None else shown,
            )
        if user is not None and not user.is_active:
            return sso_refuse(
                request=request,
                message="Your account here has been deactivated. Ask an administrator if you need access again.",
                detail="The account is deactivated in the app.",
                subject=subject,
                username=user.get_username(),
            )
        if user is None:
            user = User(
                username=_unique_username(profile.username),
                email=profile.email,
                first_name=profile.first_name,
                last_name=profile.last_name,
            )
            user.set_unusable_password()
            user.save()
            identity = ExternalIdentity.objects.create(user=user, issuer=issuer, subject=subject)
            before: frozenset[str] | None = None
        else:
            before = role_names(user)
            changed = [
                field
                for field in ("email", "first_name", "last_name")
                if getattr(profile, field) and getattr(user, field) != getattr(profile, field)
            ]
            for field in changed:
                setattr(user, field, getattr(profile, field))
            if changed:
                user.save(update_fields=changed)
        _set_roles(user, roles)
        assert identity is not None
        identity.last_sign_in_at = timezone.now()
        identity.save(update_fields=["last_sign_in_at"])
        if before is None:
            audit_record(
                kind=SignInEvent.Kind.ACCOUNT_CREATED,
                method=SignInEvent.Method.SINGLE_SIGN_ON,
                request=request,
                user=user,
                subject=subject,
                detail=f"roles: {_names(roles)}",
            )
        elif before != roles:
            audit_record(
                kind=SignInEvent.Kind.ROLES_CHANGED,
                method=SignInEvent.Method.SINGLE_SIGN_ON,
                request=request,
                user=user,
                subject=subject,
                detail=f"{_names(before)} → {_names(roles)}",
            )
    return user


def roles_changed_in_admin(
    *, user: User, before: frozenset[str], after: frozenset[str], by: Any, request: HttpRequest | None
) -> None:
    """Record a change of ``user``'s roles made by an administrator (nothing if none changed)."""
    change = role_change(before, after)
    if not change:
        return
    audit_record(
        kind=SignInEvent.Kind.ROLES_CHANGED,
        method=SignInEvent.Method.ADMIN,
        request=request,
        user=user,
        detail=f"{change} (by {by.get_username()})",
    )


def role_change(before: frozenset[str], after: frozenset[str]) -> str:
    """The roles added and removed, in words ("added Executive; removed Finance officer"), or ""."""
    added, removed = after - before, before - after
    parts = [f"added {_names(added)}"] if added else []
    parts += [f"removed {_names(removed)}"] if removed else []
    return "; ".join(parts)


class IdentityMoveRefused(Exception):
    """Why the single sign-on identity cannot be moved; the message says what to do."""


def identity_move(*, from_user: User, to_user: User, by: str) -> ExternalIdentity:
    """Move ``from_user``'s single sign-on identity onto ``to_user`` (an account that existed before
    single sign-on, with its plans and service areas), and deactivate ``from_user`` (made at the
    person's first sign-in). From their next sign-in they are ``to_user``, with roles from the token.
    """
    if from_user == to_user:
        raise IdentityMoveRefused("The two accounts are the same.")
    if to_user.is_superuser:
        raise IdentityMoveRefused(
            f"{to_user.get_username()} is a superuser: keep break-glass accounts local (signing in through the "
            "provider would set its roles from the token)."
        )
    with transaction.atomic():
        identities = list(ExternalIdentity.objects.select_for_update().filter(user=from_user))
        if len(identities) != 1:
            raise IdentityMoveRefused(
                f"{from_user.get_username()} has {len(identities)} single sign-on identities; exactly one can be moved."
            )
        (identity,) = identities
        if ExternalIdentity.objects.filter(user=to_user, issuer=identity.issuer).exists():
            raise IdentityMoveRefused(f"{to_user.get_username()} already signs in through this provider.")
        identity.user = to_user
        identity.save(update_fields=["user"])
        from_user.is_active = False
        from_user.save(update_fields=["is_active"])
        audit_record(
            kind=SignInEvent.Kind.IDENTITY_MOVED,
            method=SignInEvent.Method.ADMIN,
            request=None,
            user=to_user,
            subject=identity.subject,
            detail=f"from {from_user.get_username()} (now deactivated), by {by}",
        )
    return identity
