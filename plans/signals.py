"""Deleting a user who is responsible for plans is refused, like deleting a directorate with
plans (PROTECT): their plans would otherwise silently lose their manager. Deactivate the account
instead, or first give the plans to someone else."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db.models import ProtectedError
from django.db.models.signals import pre_delete
from django.dispatch import receiver

from plans.models import DeficitRecoveryPlan


@receiver(pre_delete, sender=User)
def refuse_deleting_a_plan_manager(sender: type[User], instance: User, **kwargs: Any) -> None:
    plans = list(DeficitRecoveryPlan.objects.filter(managers=instance).select_related("service_area"))
    if plans:
        raise ProtectedError(
            f"{instance.get_username()} is responsible for {len(plans)} plan(s): deactivate the account "
            "instead, or make someone else responsible first.",
            set(plans),
        )
