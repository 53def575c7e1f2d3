"""The People page (administrators): list, add, change, send a password reset. Thin: the form
parses, recovery.accounts.people decides and writes."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from recovery.accounts import people as service
from recovery.accounts.config import provider_name
from recovery.accounts.forms import PersonForm, person_initial
from recovery.accounts.services import password_sign_in_allowed
from recovery.formtools import add_validation_errors
from recovery.viewtools import current_user


@login_required
@require_http_methods(["GET"])
def people_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    found = service.people(user=current_user(request), query=query)
    page = Paginator(found, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/people.html", {"page": page, "query": query})


@login_required
@require_http_methods(["GET", "POST"])
def person_add(request: HttpRequest) -> HttpResponse:
    service.people(user=current_user(request))  # refuses anyone but an administrator
    return _person_page(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def person_change(request: HttpRequest, pk: int) -> HttpResponse:
    return _person_page(request, get_object_or_404(service.people(user=current_user(request)), pk=pk))


def _person_page(request: HttpRequest, person: User | None) -> HttpResponse:
    form = PersonForm(request.POST or None, initial=person_initial(person) if person else None)
    if request.method == "POST" and form.is_valid():
        try:
            saved = service.person_save(
                person=person, data=form.data_for_service(), by=current_user(request), request=request
            )
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            name = saved.get_full_name() or saved.username
            if person is None:
                messages.success(request, f"{name} has been added.")
                return redirect("people:change", pk=saved.pk)
            messages.success(request, f"{name}: saved.")
            return redirect("people:list")
    context = {
        "form": form,
        "person": person,
        # Their roles are set from the provider's groups at each sign-in (a change here is temporary).
        "signs_in_through_provider": person is not None and person.external_identities.exists(),
        "provider_name": provider_name(),
        "password_would_work": person is not None and password_sign_in_allowed(user=person),
    }
    return render(request, "accounts/person_form.html", context)


@login_required
@require_POST
def person_password_reset(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(service.people(user=current_user(request)), pk=pk)
    try:
        service.person_send_password_reset(person=person, by=current_user(request), request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"A password reset link has been e-mailed to {person.email}.")
    return redirect("people:change", pk=person.pk)
