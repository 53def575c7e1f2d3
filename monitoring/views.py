"""Monitoring pages: quarters and their lock, the scheme grid, quarterly updates and review."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from monitoring import selectors, services
from monitoring.forms import (
    DmtDecisionForm,
    GridFilterForm,
    MilestoneProgressForm,
    PlanUpdateForm,
    ReopenForm,
    ReviewForm,
    SchemeQuarterForm,
)
from monitoring.models import MilestoneProgress, PlanUpdate
from recovery.concurrency import NOT_YET_SAVED, ConcurrentEdit, keep_typed, posted_version
from recovery.formtools import add_validation_errors, changed_since, missing_version
from recovery.history import history_of
from recovery.periods import FinancialYear, Period, Quarter
from recovery.viewtools import confirmed, current_user


def _period(year: FinancialYear, quarter: Quarter) -> Period:
    return Period(year, quarter)


def _grid_url(period: Period) -> str:
    return reverse("monitoring:grid", args=[period.year, period.quarter])


@login_required
@require_GET
def quarter_list(request: HttpRequest) -> HttpResponse:
    actions = selectors.quarter_actions(user=current_user(request))
    return render(
        request,
        "monitoring/quarter_list.html",
        {"overview": selectors.quarters_overview(), **dataclasses.asdict(actions)},
    )


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return default
    return target


@login_required
@require_http_methods(["GET", "POST"])
def quarter_lock(request: HttpRequest, year: FinancialYear, quarter: Quarter) -> HttpResponse:
    """Lock a quarter, after a confirmation page: a GET, or a POST without ``confirm``, shows
    what locking freezes and what is still open, and changes nothing."""
    user = current_user(request)
    period = _period(year, quarter)
    target = _safe_next(request, reverse("monitoring:quarters"))
    if confirmed(request):
        try:
            services.quarter_lock(period=period, user=user)  # finance officers only
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, f"{period} is locked. Nothing in it can change unless an administrator reopens it."
            )
        return redirect(target)
    page = selectors.quarter_lock_page(user=user, period=period)  # finance officers only
    if page.summary is None:
        messages.error(request, f"{period} is already locked.")
        return redirect(target)
    return render(
        request,
        "monitoring/quarter_lock_confirm.html",
        {
            "period": period,
            "summary": page.summary,
            "action": reverse("monitoring:lock", args=[period.year, period.quarter]),
            "hidden": {"next": target},
            "cancel_url": target,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def quarter_reopen(request: HttpRequest, year: FinancialYear, quarter: Quarter) -> HttpResponse:
    """The reopening's own page is its confirmation: the lock it undoes, the consequences and
    the reason. A POST without ``confirm`` changes nothing and shows the page again."""
    user = current_user(request)
    period = _period(year, quarter)
    page = selectors.quarter_reopen_page(user=user, period=period)  # administrators only
    form = ReopenForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and confirmed(request):
        try:
            services.quarter_reopen(period=period, user=user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, f"{period} has been reopened. The reason is recorded.")
            return redirect("monitoring:quarters")
    return render(
        request,
        "monitoring/quarter_reopen.html",
        {
            "form": form,
            "period": period,
            "record": page.record,
            "events": page.events,
            "action": reverse("monitoring:reopen", args=[period.year, period.quarter]),
            "hidden": {},
            "cancel_url": reverse("monitoring:quarters"),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_GET
def scheme_grid(request: HttpRequest, year: FinancialYear, quarter: Quarter) -> HttpResponse:
    period = _period(year, quarter)
    access = selectors.grid_access(user=current_user(request), period=period)  # finance and executives
    filters = GridFilterForm(request.GET or None, directorates=access.directorates, areas=access.areas)
    schemes = selectors.grid_schemes(period=period, **filters.criteria())
    page = Paginator(schemes, selectors.GRID_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "monitoring/scheme_grid.html",
        {
            "period": period,
            "page": page,
            "rows": selectors.grid_rows(period=period, schemes=page.object_list),
            "totals": selectors.grid_totals(period=period, schemes=schemes),
            "grid_columns": selectors.GRID_COLUMNS,
            "filters": filters,
            "record": access.record,
            "locked": access.locked,
            "can_edit": access.can_edit,
            "can_lock": access.can_lock,
            "previous_quarter": earlier.quarter.label if (earlier := period.previous_in_year) else None,
            "query": query.urlencode(),
        },
    )


def _scheme_form_initial(row: selectors.GridRow) -> dict[str, Any]:
    figures = row.figures
    if figures is None:
        return {"version": NOT_YET_SAVED}  # opened before the quarter's figures existed
    return {
        **figures.values,
        "rag": figures.rag,
        "rag_reason": figures.rag_reason,
        "commentary": figures.commentary,
        "version": figures.version,
    }


@login_required
@require_http_methods(["GET", "POST"])
def scheme_row(request: HttpRequest, year: FinancialYear, quarter: Quarter, scheme_pk: int) -> HttpResponse:
    """Edit one scheme's figures for the quarter: in place in the grid (htmx) or as a page."""
    user = current_user(request)
    period = _period(year, quarter)
    row = selectors.grid_row(user=user, period=period, scheme_pk=scheme_pk)  # finance and executives
    if request.method == "GET" and request.GET.get("display") == "1":
        return render(request, "monitoring/_grid_row.html", {"row": row, "period": period, "can_edit": True})
    services.scheme_edit_check(user=user, scheme=row.scheme, period=period)
    # Ids unique to the row (the grid's filter form above also has a "rag" field); names unchanged.
    form = SchemeQuarterForm(
        request.POST or None, initial=_scheme_form_initial(row), auto_id=f"id_scheme{row.scheme.pk}_%s"
    )
    status = 200
    conflict = None
    if request.method == "POST":
        if posted_version(request.POST) is None:
            return missing_version(request)
        if form.is_valid():
            try:
                services.scheme_quarter_save(
                    scheme=row.scheme,
                    quarter=quarter,
                    user=user,
                    fields=form.figure_fields(),
                    rag=form.rag_value(),
                    rag_reason=form.cleaned_data.get("rag_reason", ""),
                    expected_version=form.cleaned_data.get("version"),
                )
            except ConcurrentEdit as error:
                conflict = error
                keep_typed(form, request.POST, error)
            except ValidationError as error:
                add_validation_errors(form, error)
            else:
                row = selectors.grid_row(user=user, period=period, scheme_pk=scheme_pk)
                if request.htmx:  # type: ignore[attr-defined]
                    return render(
                        request,
                        "monitoring/_grid_row.html",
                        {"row": row, "period": period, "can_edit": True, "saved": True},
                    )
                messages.success(request, f"Saved {row.scheme}.")
                return redirect(f"{_grid_url(period)}#scheme-{row.scheme.pk}")
        status = 200 if request.htmx else (409 if conflict else 400)  # type: ignore[attr-defined]
    template = "monitoring/_grid_row_form.html" if request.htmx else "monitoring/scheme_row_page.html"  # type: ignore[attr-defined]
    return render(request, template, {"row": row, "period": period, "form": form, "conflict": conflict}, status=status)


@login_required
@require_GET
def scheme_history(request: HttpRequest, scheme_pk: int) -> HttpResponse:
    history = selectors.scheme_history(user=current_user(request), scheme_pk=scheme_pk)  # finance and executives
    return render(
        request,
        "monitoring/scheme_history.html",
        {"scheme": history.scheme, "scheme_changes": history.scheme_changes, "quarters": history.quarters},
    )


@login_required
@require_GET
def plan_update_list(request: HttpRequest, year: FinancialYear, quarter: Quarter) -> HttpResponse:
    period = _period(year, quarter)
    record = selectors.monitoring_quarter(period)
    return render(
        request,
        "monitoring/plan_update_list.html",
        {
            "period": period,
            "items": selectors.plans_with_updates(user=request.user, period=period),
            "record": record,
            "locked": bool(record and record.is_locked),
        },
    )


def _progress_forms(
    data: Any, plan: Any, update: PlanUpdate | None
) -> list[tuple[Any, MilestoneProgressForm, list[MilestoneProgress]]]:
    """Each milestone of the plan with its progress form and its progress reported so far."""
    existing = {item.milestone_id: item for item in (update.milestone_progress.all() if update else [])}
    slippage = selectors.milestone_slippage(plan)
    forms = []
    for milestone in plan.milestones.all():
        item = existing.get(milestone.pk)
        initial = {"status": item.status, "revised_due_text": item.revised_due_text} if item else {}
        form = MilestoneProgressForm(data, prefix=f"milestone-{milestone.pk}", initial=initial)
        forms.append((milestone, form, slippage.get(milestone.pk, [])))
    return forms


@login_required
@require_http_methods(["GET", "POST"])
def plan_update(request: HttpRequest, pk: int, quarter: Quarter) -> HttpResponse:
    """A plan's update for a quarter: the manager's form, or the update as filed with finance's review."""
    user = current_user(request)
    # 404 for a plan the user may not see; on a POST, 403 unless they may change the update now.
    opened = services.plan_update_open(user=user, plan_pk=pk, quarter=quarter, to_change=request.method == "POST")
    plan, update, access = opened.plan, opened.update, opened.access
    submitting = "submit" in request.POST
    progress_forms = _progress_forms(request.POST or None, plan, update)
    form = (
        PlanUpdateForm(
            request.POST or None,
            instance=update,
            submitting=submitting,
            progress_forms=[(milestone.pk, pform) for milestone, pform, _ in progress_forms],
        )
        if access.can_edit
        else None
    )
    status = 200
    conflict = None
    if request.method == "POST" and form is not None:
        if posted_version(request.POST) is None:
            return missing_version(request)
        if form.is_valid_with_progress():
            try:
                # "Save and submit" saves, then asks for confirmation (plan_update_submit):
                # submitting is not something the manager can undo.
                services.plan_update_save(
                    plan=plan,
                    quarter=quarter,
                    user=user,
                    fields=form.update_fields(),
                    progress=form.progress,
                    expected_version=form.cleaned_data.get("version"),
                )
            except ConcurrentEdit as error:
                conflict = error
                keep_typed(form, request.POST, error)
            except ValidationError as error:
                add_validation_errors(form, error)
            else:
                if submitting:
                    messages.info(
                        request,
                        f"The {quarter.label} update has been saved. "
                        "It is not submitted yet: check it below and confirm.",
                    )
                    return redirect("monitoring:plan_update_submit", pk=plan.pk, quarter=quarter)
                messages.success(request, f"The {quarter.label} update has been saved as a draft.")
                return redirect("monitoring:plan_update", pk=plan.pk, quarter=quarter)
        status = 400
    return _update_page(
        request,
        plan=plan,
        update=update,
        access=access,
        unreadable=opened.unreadable,
        form=form,
        progress_forms=progress_forms,
        conflict=conflict,
        status=409 if conflict else status,
    )


def _update_page(
    request: HttpRequest,
    *,
    plan: Any,
    update: PlanUpdate | None,
    access: services.UpdateAccess,
    unreadable: bool,
    form: PlanUpdateForm | None,
    progress_forms: list[tuple[Any, MilestoneProgressForm, list[MilestoneProgress]]],
    conflict: ConcurrentEdit | None = None,
    review_form: ReviewForm | None = None,
    review_conflict: ConcurrentEdit | None = None,
    status: int = 200,
) -> HttpResponse:
    if review_form is None and update is not None and not access.locked and (access.can_review or access.can_set_rag):
        review_form = ReviewForm(
            initial={
                "rag": (update.rag or (update.implied_rag.value if update.implied_rag else "")),
                "version": update.version,
            }
        )
    return render(
        request,
        "monitoring/plan_update.html",
        {
            "plan": plan,
            "period": access.period,
            "update": update,
            "form": form,
            "progress_forms": progress_forms,
            "progress_form_list": [pform for _, pform, _ in progress_forms],
            "review_form": review_form,
            "review_conflict": review_conflict,
            "can_review": access.can_review,
            "locked": access.locked,
            "record": selectors.monitoring_quarter(access.period) if access.locked else None,
            "previous_rag": services.previous_plan_rag(update) if update else None,
            "unreadable": unreadable,
            "history": history_of(update, reason_field="rag_reason") if update and access.can_read_history else [],
            "quarters": list(Quarter),
            "conflict": conflict,
            "decisions": selectors.dmt_decisions(update) if update else [],
            "can_decide": access.can_decide,
        },
        status=status,
    )


@login_required
@require_POST
def plan_update_review(request: HttpRequest, pk: int, quarter: Quarter) -> HttpResponse:
    """Finance's review. It carries the update's version (400 without it; 409 with the update as
    it is now when someone saved it since). Approving and returning need confirmation: a POST
    without ``confirm`` is checked (a review that would be refused goes back with the reason)
    and then shows the confirmation page, carrying what was chosen and the version. Changing the
    plan's RAG only can be changed again, so it is recorded at once."""
    user = current_user(request)
    # 404 unless the user may read the update, 403 unless they may review it or set the RAG.
    update = services.plan_update_to_review(user=user, plan_pk=pk, quarter=quarter)
    plan = update.plan
    expected_version = posted_version(request.POST)
    if expected_version is None:
        return missing_version(request)
    form = ReviewForm(request.POST)
    decision = form.decision_value()
    values = {
        "rag": form.rag_value(),
        "reason": form.cleaned_data.get("rag_reason", ""),
        "comments": form.cleaned_data.get("comments", ""),
    }
    needs_confirmation = decision in (services.ReviewDecision.APPROVE, services.ReviewDecision.RETURN)
    try:
        if needs_confirmation and not confirmed(request):
            rag = services.plan_update_review_check(
                update=update, user=user, decision=decision, expected_version=expected_version, **values
            )
            return render(
                request,
                "monitoring/review_confirm.html",
                {
                    "update": update,
                    "plan": plan,
                    "period": update.period,
                    "decision": decision,
                    "rag": rag,
                    "previous_rag": services.previous_plan_rag(update),
                    **values,
                    "action": reverse("monitoring:plan_update_review", args=[plan.pk, quarter]),
                    "hidden": {
                        "decision": decision.value if decision else "",
                        "rag": form.cleaned_data.get("rag", ""),
                        "rag_reason": values["reason"],
                        "comments": values["comments"],
                        "version": expected_version,
                    },
                    "cancel_url": reverse("monitoring:plan_update", args=[plan.pk, quarter]),
                },
            )
        services.plan_update_review(
            update=update, user=user, decision=decision, expected_version=expected_version, **values
        )
    except ConcurrentEdit as error:
        # The manager (or another finance officer) saved the update since this form (or its
        # confirmation page) was opened: show the update as it is now, their changes, and the
        # review as typed, not yet recorded.
        keep_typed(form, request.POST, error)
        current = selectors.plan_update_for(plan=plan, quarter=quarter)
        access = services.plan_update_access(user=user, plan=plan, quarter=quarter, update=current)
        return _update_page(
            request,
            plan=plan,
            update=current,
            access=access,
            unreadable=False,
            form=PlanUpdateForm(instance=current) if access.can_edit else None,
            progress_forms=_progress_forms(None, plan, current),
            review_form=form,
            review_conflict=error,
            status=409,
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, decision.done if decision else "")
    return redirect("monitoring:plan_update", pk=plan.pk, quarter=quarter)


@login_required
@require_http_methods(["GET", "POST"])
def plan_update_submit(request: HttpRequest, pk: int, quarter: Quarter) -> HttpResponse:
    """Submit the manager's saved update to finance, after a confirmation page: a GET, or a
    POST without ``confirm``, shows what will be submitted and changes nothing."""
    user = current_user(request)
    # 404 unless there is a saved update the user may read, 403 unless they may change it now.
    opened = services.plan_update_to_submit(user=user, plan_pk=pk, quarter=quarter)
    plan, update, access = opened.plan, opened.update, opened.access
    assert update is not None
    if confirmed(request):
        if posted_version(request.POST) is None:
            return missing_version(request)
        try:
            services.plan_update_submit(update=update, user=user, expected_version=posted_version(request.POST))
        except ConcurrentEdit as error:
            messages.error(request, changed_since(error, "this update"))
            return redirect("monitoring:plan_update_submit", pk=plan.pk, quarter=quarter)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return redirect("monitoring:plan_update", pk=plan.pk, quarter=quarter)
        messages.success(request, f"The {quarter.label} update has been submitted to finance.")
        return redirect("monitoring:plan_update", pk=plan.pk, quarter=quarter)
    problems = services.plan_update_submission_problems(update=update)
    if problems:
        for message in problems.values():
            messages.error(request, message)
        return redirect("monitoring:plan_update", pk=plan.pk, quarter=quarter)
    return render(
        request,
        "monitoring/update_submit_confirm.html",
        {
            "plan": plan,
            "update": update,
            "period": access.period,
            "action": reverse("monitoring:plan_update_submit", args=[plan.pk, quarter]),
            "hidden": {"version": update.version},
            "cancel_url": reverse("monitoring:plan_update", args=[plan.pk, quarter]),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def plan_update_dmt(request: HttpRequest, pk: int, quarter: Quarter) -> HttpResponse:
    """DMT's decision on a RED update's alternative proposal (executives)."""
    user = current_user(request)
    # 404 unless the user may read the update, 403 unless they decide for DMT on it.
    update = selectors.plan_update_for_dmt(user=user, plan_pk=pk, quarter=quarter)
    form = DmtDecisionForm(
        request.POST or None,
        initial={"dmt_decision": update.dmt_decision, "dmt_comments": update.dmt_comments, "version": update.version},
    )
    conflict = None
    if request.method == "POST":
        if posted_version(request.POST) is None:
            return missing_version(request)
        if form.is_valid():
            try:
                services.plan_update_dmt_decide(
                    update=update,
                    user=user,
                    decision=form.decision_value(),
                    comments=form.cleaned_data["dmt_comments"],
                    expected_version=form.cleaned_data.get("version"),
                )
            except ConcurrentEdit as error:
                conflict = error
                keep_typed(form, request.POST, error)
            except ValidationError as error:
                add_validation_errors(form, error)
            else:
                messages.success(request, f"DMT's decision is recorded: {form.decision_value().label.lower()}.")
                return redirect(reverse("monitoring:plan_update", args=[update.plan_id, quarter]) + "#dmt")
    return render(
        request,
        "monitoring/dmt_decision.html",
        {
            "update": update,
            "plan": update.plan,
            "period": update.period,
            "form": form,
            "decisions": selectors.dmt_decisions(update),
            "conflict": conflict,
        },
        status=409 if conflict else (400 if form.errors else 200),
    )
