"""Plan pages. Thin: read the request, call a selector or service, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from plans import selectors, services
from plans.filters import PlanFilter
from plans.forms import MILESTONES_GUIDANCE, AttachmentForm, MilestoneFormSet, PlanForm, milestone_initial
from plans.models import DeficitRecoveryPlan, ServiceArea
from recovery.concurrency import ConcurrentEdit, keep_typed, posted_version
from recovery.formtools import add_validation_errors, missing_version
from recovery.viewtools import confirmed, current_user

MILESTONE_PREFIX = "milestones"


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Every role starts at My tasks: the work waiting for them, each item linked to its page."""
    return redirect("worklist:my_tasks")


@login_required
@require_GET
def plan_list(request: HttpRequest) -> HttpResponse:
    data = request.GET.copy()
    if not data.get("scope"):
        data["scope"] = selectors.default_plan_scope(user=request.user)
    plan_filter = PlanFilter(data, queryset=selectors.plans_for_list(user=current_user(request)), request=request)
    page = Paginator(plan_filter.qs, 50).get_page(request.GET.get("page"))
    query = data.copy()
    query.pop("page", None)
    return render(
        request,
        "plans/plan_list.html",
        {
            "filter": plan_filter,
            "page": page,
            "query": query.urlencode(),
            "can_create": selectors.may_start_plan(user=request.user),
        },
    )


@login_required
@require_GET
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _plan_detail_page(request, selectors.plan_page(user=current_user(request), pk=pk))


def _plan_detail_page(
    request: HttpRequest, page: selectors.PlanPage, *, conflict: ConcurrentEdit | None = None
) -> HttpResponse:
    return render(
        request,
        "plans/plan_detail.html",
        {
            "plan": page.plan,
            "quarterly": page.quarterly,
            "history": page.history,
            "can_edit": page.can_edit,
            "attachment_form": AttachmentForm(),
            "conflict": conflict,
        },
        status=409 if conflict else 200,
    )


def _milestone_formset(request: HttpRequest, plan: DeficitRecoveryPlan | None) -> Any:
    if request.method != "POST":
        initial = milestone_initial(plan) if plan is not None else []
        return MilestoneFormSet(prefix=MILESTONE_PREFIX, initial=initial)
    data = request.POST.copy()
    if "add_milestone" in data:
        # "Add a milestone" without JavaScript: the same data back with one more blank row.
        total_key = f"{MILESTONE_PREFIX}-TOTAL_FORMS"
        try:
            data[total_key] = str(int(data.get(total_key, "0")) + 1)
        except ValueError:
            data[total_key] = "1"
    initial = milestone_initial(plan) if plan is not None else []
    return MilestoneFormSet(data, prefix=MILESTONE_PREFIX, initial=initial)


def _plan_form_page(
    request: HttpRequest, plan: DeficitRecoveryPlan | None, service_areas: QuerySet[ServiceArea] | None = None
) -> HttpResponse:
    """The plan form: a new plan (``plan`` None) in one of ``service_areas``, or a plan's edit."""
    submitting = "submit" in request.POST
    form = PlanForm(
        request.POST or None,
        instance=plan,
        service_areas=service_areas,
        submitting=submitting,
    )
    formset = _milestone_formset(request, plan)
    status = 200
    conflict = None
    if request.method == "POST" and "add_milestone" not in request.POST:
        if plan is not None and posted_version(request.POST) is None:
            return missing_version(request)
        if form.is_valid() and formset.is_valid():
            try:
                # "Save and submit" saves a draft, then asks for confirmation (plans:submit):
                # submitting is not something the manager can undo.
                plan = services.plan_save(
                    plan=plan,
                    user=current_user(request),
                    service_area=form.cleaned_data.get("service_area"),
                    financial_year=form.cleaned_data.get("financial_year"),
                    fields=form.plan_fields(),
                    milestones=formset.milestones(),
                    expected_version=form.cleaned_data.get("version"),
                )
            except ConcurrentEdit as error:
                # Keep everything typed; the next save goes over the newer version.
                conflict = error
                keep_typed(form, request.POST, error)
                status = 409
            except PermissionDenied as error:
                form.add_error(None, f"{error} What you typed is below, so you can copy it.")
                status = 403
            except ValidationError as error:
                add_validation_errors(form, error)
            else:
                if submitting:
                    messages.info(
                        request,
                        "The plan has been saved as a draft. It is not submitted yet: check it below and confirm.",
                    )
                    return redirect("plans:submit", pk=plan.pk)
                messages.success(request, "The plan has been saved as a draft.")
                return redirect(plan)
        status = status if status != 200 else 400
    return render(
        request,
        "plans/plan_form.html",
        {
            "form": form,
            "formset": formset,
            "plan": plan,
            "no_service_areas": plan is None and not service_areas,
            "milestones_guidance": MILESTONES_GUIDANCE,
            "conflict": conflict,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def plan_create(request: HttpRequest) -> HttpResponse:
    # 403 unless the user may start a plan (a service manager).
    return _plan_form_page(request, None, selectors.service_areas_to_start_in(user=current_user(request)))


@login_required
@require_http_methods(["GET", "POST"])
def plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    # 404 unless the user may see the plan, 403 unless it is a draft they manage.
    return _plan_form_page(request, selectors.plan_to_edit(user=current_user(request), pk=pk))


@login_required
@require_http_methods(["GET", "POST"])
def plan_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """Submit a draft plan, after a confirmation page: a GET, or a POST without ``confirm`` (the
    plan page's Submit button), shows what will happen and changes nothing. A POST carries the
    version of the plan it was shown with (400 without it; 409 and the plan as it is now when
    someone has saved it since)."""
    user = current_user(request)
    plan = selectors.plan_to_submit(user=user, pk=pk)  # 404 / 403 as plan_edit
    expected_version = posted_version(request.POST) if request.method == "POST" else None
    if request.method == "POST" and expected_version is None:
        return missing_version(request)
    try:
        if confirmed(request):
            services.plan_submit(plan=plan, user=user, expected_version=expected_version)
        else:
            services.plan_submit_check(plan=plan, user=user, expected_version=expected_version)
    except ConcurrentEdit as error:
        # Someone saved the plan after this page was shown: show it as it is now, not submitted.
        return _plan_detail_page(request, selectors.plan_page(user=user, pk=pk), conflict=error)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("plans:edit", pk=plan.pk)
    if confirmed(request):
        messages.success(request, "The plan has been submitted. It is now read-only.")
        return redirect(plan)
    return render(
        request,
        "plans/plan_submit_confirm.html",
        {
            "plan": plan,
            "action": reverse("plans:submit", args=[plan.pk]),
            "hidden": {"version": plan.version if expected_version is None else expected_version},
            "cancel_url": plan.get_absolute_url(),
        },
    )


@login_required
@require_POST
def attachment_upload(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors.plan_to_attach_to(user=current_user(request), pk=pk)  # 404 / 403 as plan_edit
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.attachment_add(
                plan=plan,
                user=current_user(request),
                upload=form.cleaned_data["file"],
                description=form.cleaned_data["description"],
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, "The file has been attached.")
    else:
        for error_text in form.errors.get("file", []):
            messages.error(request, str(error_text))
    return redirect(f"{plan.get_absolute_url()}#attachments")


@login_required
@require_GET
def attachment_download(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponseBase:
    attachment = selectors.attachment_to_read(user=current_user(request), plan_pk=pk, pk=attachment_pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing from storage.") from None
    inline = request.GET.get("inline") == "1" and attachment.content_type.startswith("image/")
    response = FileResponse(
        handle,
        as_attachment=not inline,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
@require_POST
def attachment_delete(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponse:
    attachment = selectors.attachment_for_user(user=current_user(request), plan_pk=pk, pk=attachment_pk)
    services.attachment_delete(attachment=attachment, user=current_user(request))
    messages.success(request, f"{attachment.original_name} has been removed.")
    return redirect(f"{attachment.plan.get_absolute_url()}#attachments")
