"""Object permissions for plans (django-rules). Services check these; views never decide alone.

- Drafts are private: a draft plan is seen only by its managers. Finance officers, executives
  and administrators see every submitted plan.
- A service manager sees the plans they are responsible for and every plan of a service area
  they are assigned to, and edits and submits those while they are drafts.
- Only administrators manage the organisation and users (Django admin).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import rules

from plans.roles import Role, has_role

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from plans.models import DeficitRecoveryPlan, ServiceArea


def can(user: AbstractBaseUser | AnonymousUser, permission: str, obj: object = None) -> bool:
    """Whether the rules allow ``user`` to do ``permission`` (on ``obj``).

    Every check in the app goes through here rather than ``user.has_perm``: Django's has_perm
    says yes to any superuser without asking the rules, which would let an administrator edit
    a submitted plan or a locked quarter. Administrators get exactly what the rules give them.
    """
    return bool(user.is_active and rules.has_perm(permission, user, obj)) if user.is_authenticated else False


@rules.predicate
def is_service_manager(user: AbstractBaseUser | AnonymousUser) -> bool:
    return has_role(user, Role.SERVICE_MANAGER)


@rules.predicate
def is_finance_officer(user: AbstractBaseUser | AnonymousUser) -> bool:
    return has_role(user, Role.FINANCE_OFFICER)


@rules.predicate
def is_executive(user: AbstractBaseUser | AnonymousUser) -> bool:
    return has_role(user, Role.EXECUTIVE)


@rules.predicate
def is_administrator(user: AbstractBaseUser | AnonymousUser) -> bool:
    return has_role(user, Role.ADMINISTRATOR)


sees_all_plans = is_finance_officer | is_executive | is_administrator


@rules.predicate
def manages_plan(user: AbstractBaseUser | AnonymousUser, plan: DeficitRecoveryPlan | None) -> bool:
    """The user is responsible for the plan or assigned to its service area."""
    if plan is None or not user.is_authenticated:
        return False
    if plan.managers.filter(pk=user.pk).exists():
        return True
    return plan.service_area.managers.filter(pk=user.pk).exists()


@rules.predicate
def assigned_to_service_area(user: AbstractBaseUser | AnonymousUser, area: ServiceArea | None) -> bool:
    if area is None or not user.is_authenticated:
        return False
    return area.managers.filter(pk=user.pk).exists()


@rules.predicate
def plan_is_draft(user: AbstractBaseUser | AnonymousUser, plan: DeficitRecoveryPlan | None) -> bool:
    return plan is not None and plan.is_draft


@rules.predicate
def plan_is_filed(user: AbstractBaseUser | AnonymousUser, plan: DeficitRecoveryPlan | None) -> bool:
    return plan is not None and not plan.is_draft


can_view_plan = (sees_all_plans & plan_is_filed) | (is_service_manager & manages_plan)
can_edit_plan = is_service_manager & manages_plan & plan_is_draft

rules.add_perm("plans.view_plan", can_view_plan)
rules.add_perm("plans.manage_plan", is_service_manager & manages_plan)
rules.add_perm("plans.change_plan", can_edit_plan)
rules.add_perm("plans.submit_plan", can_edit_plan)
rules.add_perm("plans.add_plan", is_service_manager)
rules.add_perm("plans.add_plan_in_area", is_service_manager & assigned_to_service_area)
rules.add_perm("plans.add_attachment", can_edit_plan)
rules.add_perm("plans.view_attachment", can_view_plan)
rules.add_perm("plans.delete_attachment", can_edit_plan)

# People (recovery/accounts/people.py): only administrators add people, give roles and service
# areas, deactivate an account or send a password reset.
rules.add_perm("accounts.manage_people", is_administrator)
