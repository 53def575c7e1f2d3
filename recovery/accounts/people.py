"""People: the administrator's page for the users of the app — add someone, give or take away
their roles and service areas, deactivate an account, send a password reset. One service writes
every change (the permission checked here, once), with a line in the sign-in audit for each
change of roles or of active state; django-admin's user pages remain for superusers' support.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from plans.models import ServiceArea
from plans.roles import Role
from plans.rules import can
from recovery.accounts.models import SignInEvent
from recovery.accounts.services import (
    _names,
    _set_roles,
    audit_record,
    password_sign_in_allowed,
    role_change,
    role_names,
)

MANAGE = "accounts.manage_people"


@dataclass(frozen=True)
class PersonData:
    """What the People form gives for one person."""

    username: str
    first_name: str
    last_name: str
    email: str
    roles: frozenset[Role]
    service_areas: frozenset[int]
    is_active: bool = True


def _require(user: User) -> None:
    if not can(user, MANAGE):
        raise PermissionDenied("Only administrators manage people.")


def people(*, user: User, query: str = "", include_inactive: bool = True) -> QuerySet[User]:
    """Everyone, with their roles and service areas, for the People page."""
    _require(user)
    found = User.objects.order_by("-is_active", "last_name", "first_name", "username").prefetch_related(
        Prefetch("groups"),
        Prefetch("assigned_service_areas", queryset=ServiceArea.objects.order_by("name")),
    )
    if query:
        found = found.filter(
            Q(username__icontains=query)
            | Q(first_name__icontains=query)
            | Q(last_name__icontains=query)
            | Q(email__icontains=query)
        )
    if not include_inactive:
        found = found.filter(is_active=True)
    return found


def person(*, user: User, pk: int) -> User:
    _require(user)
    return User.objects.get(pk=pk)


def _active_administrators() -> QuerySet[User]:
    return User.objects.filter(is_active=True, groups__name=Role.ADMINISTRATOR.value).distinct()


def _check(*, person: User | None, data: PersonData, by: User) -> None:
    errors: dict[str, str] = {}
    others = User.objects.filter(username__iexact=data.username)
    if person is not None:
        others = others.exclude(pk=person.pk)
    if others.exists():
        errors["username"] = f"Someone already has the username “{data.username}”."
    if data.service_areas and Role.SERVICE_MANAGER not in data.roles:
        errors["service_areas"] = "Only a service manager is assigned to service areas: give the role, or clear them."
    if person is not None and person.pk == by.pk:
        if not data.is_active:
            errors["is_active"] = "You cannot deactivate your own account: ask another administrator."
        elif Role.ADMINISTRATOR not in data.roles:
            errors["roles"] = "You cannot take away your own Administrator role: ask another administrator."
    if (
        person is not None
        and Role.ADMINISTRATOR.value in role_names(person)
        and person.is_active
        and (Role.ADMINISTRATOR not in data.roles or not data.is_active)
        and not _active_administrators().exclude(pk=person.pk).exists()
    ):
        errors.setdefault("roles", "This is the last active administrator: give someone else the role first.")
    if errors:
        raise ValidationError(errors)


def person_save(*, person: User | None, data: PersonData, by: User, request: HttpRequest | None = None) -> User:
    """Add a person (``person`` None) or change one: details, roles, service areas, active.

    A new person has no password: they sign in through single sign-on, or an administrator sends
    them a password reset (``person_send_password_reset``)."""
    _require(by)
    with transaction.atomic():
        _check(person=person, data=data, by=by)
        created = person is None
        if person is None:
            person = User(username=data.username)
            person.set_unusable_password()
        before_roles = frozenset() if created else role_names(person)
        was_active = True if created else person.is_active
        person.username = data.username
        person.first_name, person.last_name, person.email = data.first_name, data.last_name, data.email
        person.is_active = data.is_active
        person.save()
        _set_roles(person, frozenset(role.value for role in data.roles))
        _set_areas(person, data.service_areas)
        _audit(person=person, created=created, before=before_roles, was_active=was_active, by=by, request=request)
    return person


def _set_areas(person: User, wanted: Iterable[int]) -> None:
    # Through each service area, not person.assigned_service_areas.set(): the areas' managers are
    # kept in their history (django-simple-history), which the reverse side would not record.
    wanted_ids = set(wanted)
    current = set(person.assigned_service_areas.values_list("pk", flat=True))
    for area in ServiceArea.objects.filter(pk__in=current - wanted_ids):
        area.managers.remove(person)
    for area in ServiceArea.objects.filter(pk__in=wanted_ids - current):
        area.managers.add(person)


def _audit(
    *, person: User, created: bool, before: frozenset[str], was_active: bool, by: User, request: HttpRequest | None
) -> None:
    after = role_names(person)
    lines: list[tuple[SignInEvent.Kind, str]] = []
    if created:
        lines.append((SignInEvent.Kind.ACCOUNT_CREATED, f"added on the People page with roles {_names(after)}"))
    elif change := role_change(before, after):
        lines.append((SignInEvent.Kind.ROLES_CHANGED, change))
    if was_active != person.is_active:
        lines.append((SignInEvent.Kind.ROLES_CHANGED, "reactivated" if person.is_active else "deactivated"))
    for kind, detail in lines:
        _record(kind=kind, person=person, detail=detail, by=by, request=request)


def _record(*, kind: SignInEvent.Kind, person: User, detail: str, by: User, request: HttpRequest | None) -> None:
    audit_record(
        kind=kind,
        method=SignInEvent.Method.ADMIN,
        request=request,
        user=person,
        detail=f"{detail} (by {by.get_username()})",
    )


def person_send_password_reset(*, person: User, by: User, request: HttpRequest) -> None:
    """E-mail ``person`` a link to set a new password (the same e-mail as "Forgotten your
    password?"). Refused, with the reason, where it could not work."""
    _require(by)
    if not person.is_active:
        raise ValidationError("This account is deactivated: reactivate it first.")
    if not person.email:
        raise ValidationError("This person has no e-mail address: add one first.")
    if not password_sign_in_allowed(user=person):
        raise ValidationError("People sign in through single sign-on here: a password would not let them in.")
    # Django's own reset e-mail and link; sent directly because its form skips anyone who has
    # no password yet, which is everyone added here.
    context = {
        "email": person.email,
        "domain": request.get_host(),
        "site_name": settings.ORGANISATION_NAME,
        "uid": urlsafe_base64_encode(force_bytes(person.pk)),
        "user": person,
        "token": default_token_generator.make_token(person),
        "protocol": "https" if request.is_secure() else "http",
    }
    PasswordResetForm().send_mail(
        "registration/password_reset_subject.txt",
        "registration/password_reset_email.html",
        context,
        None,
        person.email,
    )
    _record(
        kind=SignInEvent.Kind.ROLES_CHANGED, person=person, detail="password reset e-mail sent", by=by, request=request
    )
