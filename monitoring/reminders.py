"""Reminders about quarterly updates, by e-mail (for cron: `manage.py send_reminders`, daily).

Within ``days`` before a quarter ends, each service manager whose plan has no submitted update
for it is reminded that it is due; within ``days`` after, that it is overdue. Finance officers get
one list of what is outstanding, including the plans nobody can be reminded about (no active
manager with an e-mail address); when no active finance officer has an e-mail address either,
the run counts those plans as a failure (``ReminderRun.untold``), so cron reports it. Each
reminder is logged under a unique key, so running the command again (or every day) never sends
the same reminder twice.

The log entry is committed before the e-mail is sent, and the e-mail is sent outside any
transaction: a slow or dead mail server (``EMAIL_TIMEOUT`` bounds each wait) never holds a
database lock. If sending fails the entry is removed, so the next run tries again. When the
server itself cannot be reached, the rest of the run's reminders are counted as failed without
waiting for it again; an address the server refuses fails that reminder only. Call it outside
a transaction (cron does).
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string

from monitoring.models import PlanUpdate, ReminderLog
from plans.models import DeficitRecoveryPlan
from plans.roles import Role
from recovery.periods import Period

logger = logging.getLogger(__name__)


@dataclass
class ReminderRun:
    sent: list[str] = field(default_factory=list)  # the keys sent
    skipped: list[str] = field(default_factory=list)  # already sent before
    failed: list[str] = field(default_factory=list)  # could not be sent: tried again next run
    unreachable: list[str] = field(default_factory=list)  # plans with no active manager to remind
    server_down: bool = False  # the mail server could not be reached: the rest were not tried
    # Plans nobody can be reminded about, and no active finance officer with an address to tell.
    untold: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        line = (
            f"{len(self.sent)} reminder(s) sent, {len(self.skipped)} already sent before, "
            f"{len(self.failed)} could not be sent (tried again next run)."
        )
        if self.untold:
            line += (
                f" {len(self.unreachable)} plan(s) with no active manager to remind, and no active finance "
                "officer with an e-mail address to tell."
            )
        elif self.unreachable:
            line += f" {len(self.unreachable)} plan(s) with no active manager to remind (listed for finance)."
        return line

    @property
    def failures(self) -> int:
        """What went wrong: reminders not sent, and plans nobody was told about."""
        return len(self.failed) + len(self.untold)


# The message was refused (that address, that sender, that content): the server works, carry on.
MESSAGE_REFUSED = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


def outstanding_plans(period: Period) -> list[DeficitRecoveryPlan]:
    """Submitted plans of the period's year with no submitted or approved update for the quarter."""
    done = PlanUpdate.objects.filter(
        quarter=period.quarter, status__in=[PlanUpdate.Status.SUBMITTED, PlanUpdate.Status.APPROVED]
    ).values("plan")
    return list(
        DeficitRecoveryPlan.objects.filter(financial_year=period.year, status=DeficitRecoveryPlan.Status.SUBMITTED)
        .exclude(pk__in=done)
        .with_organisation()
        .prefetch_related("managers", "service_area__managers")
        .order_by("service_area__name", "pk")
    )


def _recipients(plan: DeficitRecoveryPlan) -> list[User]:
    people = {user.pk: user for user in plan.managers.all()}
    people.update({user.pk: user for user in plan.service_area.managers.all()})
    return [user for user in people.values() if user.is_active and user.email]


def _send_once(
    key: str,
    *,
    kind: str,
    period: Period,
    plan: DeficitRecoveryPlan | None,
    to: list[str],
    subject: str,
    body: str,
    run: ReminderRun,
) -> None:
    if not to:
        return
    if run.server_down:
        run.failed.append(key)
        return
    try:
        with transaction.atomic():
            ReminderLog.objects.create(
                key=key,
                kind=kind,
                financial_year=period.year,
                quarter=period.quarter,
                plan=plan,
                recipients=", ".join(to),
            )
    except IntegrityError:
        run.skipped.append(key)
        return
    # The log entry is committed: no transaction is open while the mail server is slow.
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to)
    except Exception as error:  # refused, timed out or down: log it, carry on with the others
        logger.exception("Reminder %s could not be sent; it will be tried again next run", key)
        ReminderLog.objects.filter(key=key).delete()
        run.failed.append(key)
        run.server_down = not isinstance(error, MESSAGE_REFUSED)
        return
    run.sent.append(key)


def send_reminders(*, today: date, days: int = 14, base_url: str = "") -> ReminderRun:
    """Send the reminders due today (see the module docstring)."""
    run = ReminderRun()
    current = Period.for_date(today)
    checks: list[tuple[Period, str]] = []
    if 0 <= (current.end_date - today).days <= days:
        checks.append((current, ReminderLog.Kind.DUE))
    previous = current.previous
    if 0 < (today - previous.end_date).days <= days:
        checks.append((previous, ReminderLog.Kind.OVERDUE))
    finance = [
        user.email
        for user in User.objects.filter(groups__name=Role.FINANCE_OFFICER.value, is_active=True).exclude(email="")
    ]
    for period, kind in checks:
        plans = outstanding_plans(period)
        unreachable = []
        for plan in plans:
            to = [user.email for user in _recipients(plan)]
            if not to:
                unreachable.append(plan)
                run.unreachable.append(f"{plan.service_area.name} ({plan.pk})")
            context = {"plan": plan, "period": period, "kind": kind, "base_url": base_url, "today": today}
            _send_once(
                f"{kind}:{period.year.start_year}:{period.quarter.label}:plan-{plan.pk}",
                kind=kind,
                period=period,
                plan=plan,
                to=to,
                subject=render_to_string("emails/reminder_manager_subject.txt", context).strip(),
                body=render_to_string("emails/reminder_manager.txt", context),
                run=run,
            )
        if unreachable and not finance:
            run.untold.extend(f"{plan.service_area.name} ({plan.pk})" for plan in unreachable)
        if plans:
            context = {
                "plans": plans,
                "unreachable": unreachable,
                "period": period,
                "kind": kind,
                "base_url": base_url,
                "today": today,
            }
            _send_once(
                f"{ReminderLog.Kind.FINANCE}:{kind}:{period.year.start_year}:{period.quarter.label}",
                kind=ReminderLog.Kind.FINANCE,
                period=period,
                plan=None,
                to=finance,
                subject=render_to_string("emails/reminder_finance_subject.txt", context).strip(),
                body=render_to_string("emails/reminder_finance.txt", context),
                run=run,
            )
    return run
