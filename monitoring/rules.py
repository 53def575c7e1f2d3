"""Object permissions for quarterly monitoring (django-rules).

- A service manager fills in and submits the quarterly update of a plan they manage, while it
  is a draft or returned to them.
- Finance officers review updates (return or approve), set the RAG of plans and schemes, edit
  scheme figures and lock a quarter. Administrators reopen a locked quarter, with a reason.
- Executives (DMT) record their decision on the alternative proposal of a published RED update.
- Whether the quarter is locked is checked by the services, for every write.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import rules

from plans.rules import (
    can_view_plan,
    is_administrator,
    is_executive,
    is_finance_officer,
    is_service_manager,
    manages_plan,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from monitoring.models import PlanUpdate


@rules.predicate
def update_is_editable(user: AbstractBaseUser | AnonymousUser, update: PlanUpdate | None) -> bool:
    return update is not None and update.status in ("draft", "returned")


@rules.predicate
def update_is_submitted(user: AbstractBaseUser | AnonymousUser, update: PlanUpdate | None) -> bool:
    return update is not None and update.status == "submitted"


@rules.predicate
def manages_update_plan(user: AbstractBaseUser | AnonymousUser, update: PlanUpdate | None) -> bool:
    return update is not None and manages_plan(user, update.plan)


@rules.predicate
def plan_is_submitted(user: AbstractBaseUser | AnonymousUser, plan: object) -> bool:
    return getattr(plan, "status", None) == "submitted"


@rules.predicate
def update_is_filed(user: AbstractBaseUser | AnonymousUser, update: PlanUpdate | None) -> bool:
    """Submitted at least once: submitted, returned or approved (and its plan submitted)."""
    return update is not None and update.status != "draft" and update.plan.status == "submitted"


@rules.predicate
def update_is_published(user: AbstractBaseUser | AnonymousUser, update: PlanUpdate | None) -> bool:
    return update is not None and update.status in ("submitted", "approved") and update.plan.status == "submitted"


@rules.predicate
def update_goes_to_dmt(user: AbstractBaseUser | AnonymousUser, update: PlanUpdate | None) -> bool:
    """A published RED update (RED as finance set it, or a "No" not yet rated) with an
    alternative proposal: DMT decides on the proposal."""
    return (
        update is not None
        and update.status in ("submitted", "approved")
        and update.plan.status == "submitted"
        and update.is_red
        and bool(update.alternative_proposal.strip())
    )


# Drafts are private: the same rule as PlanUpdate.objects.visible_to (finance and the readers are
# checked first, so that their checks cost no query).
can_read_update = (
    (is_finance_officer & update_is_filed)
    | ((is_executive | is_administrator) & update_is_published)
    | (is_service_manager & manages_update_plan)
)

rules.add_perm("monitoring.read_update", can_read_update)
rules.add_perm(
    "monitoring.read_update_history",
    (is_finance_officer & update_is_filed) | (is_service_manager & manages_update_plan),
)
rules.add_perm("monitoring.start_update", is_service_manager & manages_plan & plan_is_submitted)
rules.add_perm("monitoring.view_update", can_view_plan)
rules.add_perm("monitoring.change_update", is_service_manager & manages_update_plan & update_is_editable)
rules.add_perm("monitoring.review_update", is_finance_officer & update_is_submitted)
rules.add_perm("monitoring.set_plan_rag", is_finance_officer)
rules.add_perm("monitoring.decide_proposal", is_executive & update_goes_to_dmt)
rules.add_perm("monitoring.view_grid", is_finance_officer | is_executive | is_administrator)
rules.add_perm("monitoring.change_scheme", is_finance_officer)
rules.add_perm("monitoring.lock_quarter", is_finance_officer)
rules.add_perm("monitoring.reopen_quarter", is_administrator)
rules.add_perm("monitoring.import_tracker", is_finance_officer | is_administrator)
# Finance's summary of a quarter (monitoring/commentary.py).
rules.add_perm("monitoring.write_commentary", is_finance_officer)
