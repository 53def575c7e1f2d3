"""Password reset that follows DJANGO_LOCAL_LOGIN (with passwords for local superusers only, nobody
else is sent a reset link: they could not sign in with the new password anyway), and the People
page's form."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.validators import UnicodeUsernameValidator

from plans.models import ServiceArea
from plans.roles import Role
from recovery.accounts.people import PersonData
from recovery.accounts.services import password_sign_in_allowed
from recovery.formtools import CleanTextMixin


class LocalPasswordResetForm(PasswordResetForm):
    def get_users(self, email: str) -> Iterator[Any]:
        for user in super().get_users(email):
            if password_sign_in_allowed(user=user):
                yield user


class PersonForm(CleanTextMixin, forms.Form):
    """One person on the People page: who they are, their roles and service areas."""

    username = forms.CharField(
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text="What they sign in with: letters, digits and @ . + - _ only.",
    )
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(required=False, label="E-mail address", help_text="Needed to send them a password reset.")
    roles = forms.TypedMultipleChoiceField(
        choices=[(role.value, role.value) for role in Role],
        coerce=Role,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="With no role a person can sign in but see nothing.",
    )
    service_areas = forms.ModelMultipleChoiceField(
        queryset=ServiceArea.objects.select_related("portfolio__directorate").order_by("name"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=(
            "For a service manager: the service areas whose plans they write. "
            "Hold Ctrl (⌘ on a Mac) to choose more than one."
        ),
    )
    is_active = forms.BooleanField(
        required=False,
        initial=True,
        label="Active",
        help_text="Untick to deactivate: they are signed out and cannot sign in; nothing they wrote is lost.",
    )

    def data_for_service(self) -> PersonData:
        values = self.cleaned_data
        return PersonData(
            username=values["username"],
            first_name=values["first_name"],
            last_name=values["last_name"],
            email=values["email"],
            roles=frozenset(values["roles"]),
            service_areas=frozenset(area.pk for area in values["service_areas"]),
            is_active=values["is_active"],
        )


def person_initial(person: Any) -> dict[str, Any]:
    """The People form's values for an existing person."""
    return {
        "username": person.username,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "email": person.email,
        "roles": [role.value for role in Role if role.value in {group.name for group in person.groups.all()}],
        "service_areas": list(person.assigned_service_areas.all()),
        "is_active": person.is_active,
    }
