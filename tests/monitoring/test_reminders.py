"""Reminders about quarterly updates: who is e-mailed, within which days of a quarter's end, that
nothing is sent twice, and the send_reminders command. E-mail goes to the locmem outbox."""

from __future__ import annotations

import smtplib
from contextlib import suppress
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import resolve

from monitoring import reminders
from monitoring.models import PlanUpdate, ReminderLog
from monitoring.reminders import send_reminders
from plans.models import DeficitRecoveryPlan
from plans.roles import Role
from recovery.periods import FinancialYear, Quarter
from tests.factories import PlanFactory, PlanUpdateFactory, ServiceAreaFactory, UserFactory

pytestmark = pytest.mark.django_db

Q3_END = date(2023, 12, 31)  # Q3 of 2023/24
Q2_END = date(2023, 9, 30)
Q4_END = date(2024, 3, 31)
IN_Q3_WINDOW = date(2023, 12, 20)
DAYS = 14
ASSESSMENT = "Adult Social care assessment costs and income shortfall"
PLACEMENTS = "Children’s Placements"
STAFFING = "Children’s Staffing"
AREAS = {ASSESSMENT, PLACEMENTS, STAFFING}


@pytest.fixture
def demo(db, settings):
    """load_demo: seeds 000, 001 and 003 as submitted 2023/24 plans, all managed by "manager";
    000 and 003 have a draft Q3 update, 001 none; 003's Q2 update is submitted."""
    settings.DEBUG = True
    call_command("load_demo", stdout=StringIO())


def manager_mails(outbox):
    return [mail for mail in outbox if mail.to != ["finance@example.invalid"]]


def finance_mails(outbox):
    return [mail for mail in outbox if mail.to == ["finance@example.invalid"]]


def area_in(subject: str) -> str:
    return next(area for area in AREAS if area in subject)


# Who is reminded ---------------------------------------------------------------------------------


def test_each_plans_manager_and_finance_are_reminded_before_quarter_end(demo, mailoutbox):
    run = send_reminders(today=IN_Q3_WINDOW, days=DAYS)

    assert len(mailoutbox) == 4
    to_managers = manager_mails(mailoutbox)
    assert len(to_managers) == 3
    for mail in to_managers:
        assert mail.to == ["manager@example.invalid"]
        assert "Q3" in mail.subject
        assert not mail.subject.startswith("Overdue")
        assert "is due: the quarter ends on 31 December 2023" in mail.body
        assert "THERE IS NO NEW MONEY AVAILABLE".lower() in mail.body.lower()
    assert {area_in(mail.subject) for mail in to_managers} == AREAS
    (summary,) = finance_mails(mailoutbox)
    assert summary.subject == "3 plan updates outstanding for Q3 2023/24"
    for area in AREAS:
        assert f"- {area}" in summary.body
    assert "FRB/23/007" in summary.body
    assert "quarter ends 31 December 2023" in summary.body
    assert len(run.sent) == 4
    assert run.skipped == []
    assert ReminderLog.objects.count() == 4


def test_reminders_come_from_the_sites_address(demo, mailoutbox, settings):
    send_reminders(today=IN_Q3_WINDOW, days=DAYS)

    assert {mail.from_email for mail in mailoutbox} == {settings.DEFAULT_FROM_EMAIL}


def test_links_in_the_e_mails_lead_to_the_update_pages(demo, mailoutbox):
    send_reminders(today=IN_Q3_WINDOW, days=DAYS, base_url="https://recovery.example.gov.uk")

    plan = DeficitRecoveryPlan.objects.get(service_area__name=STAFFING)
    (to_staffing,) = [mail for mail in manager_mails(mailoutbox) if STAFFING in mail.subject]
    link = f"https://recovery.example.gov.uk/monitoring/plans/{plan.pk}/Q3/"
    assert link in to_staffing.body
    match = resolve(link.removeprefix("https://recovery.example.gov.uk"))
    assert match.view_name == "monitoring:plan_update"
    assert match.kwargs == {"pk": plan.pk, "quarter": Quarter.Q3}
    (summary,) = finance_mails(mailoutbox)
    list_link = "https://recovery.example.gov.uk/monitoring/2023-24/Q3/plans/"
    assert list_link in summary.body
    assert resolve(list_link.removeprefix("https://recovery.example.gov.uk")).view_name == "monitoring:plan_updates"


def test_each_manager_gets_only_their_own_plans_reminder(mailoutbox, finance):
    first, second = UserFactory(username="first"), UserFactory(username="second")
    PlanFactory(status="submitted", service_area__name="Area one", managers=[first])
    PlanFactory(status="submitted", service_area__name="Area two", service_area__managers=[second])

    send_reminders(today=IN_Q3_WINDOW, days=DAYS)

    sent = {tuple(mail.to): mail.subject for mail in mailoutbox}
    assert "Area one" in sent[("first@example.invalid",)]
    assert "Area two" in sent[("second@example.invalid",)]
    assert "2 plan updates outstanding" in sent[("finance@example.invalid",)]
    assert len(mailoutbox) == 3


def test_a_manager_of_both_plan_and_service_area_gets_one_e_mail(mailoutbox):
    both = UserFactory(username="both")
    PlanFactory(status="submitted", managers=[both], service_area__managers=[both])

    send_reminders(today=IN_Q3_WINDOW, days=DAYS)

    assert [mail.to for mail in mailoutbox] == [["both@example.invalid"]]


def test_inactive_managers_are_not_reminded(mailoutbox):
    gone = UserFactory(username="gone", is_active=False)
    here = UserFactory(username="here")
    PlanFactory(status="submitted", managers=[gone, here])

    send_reminders(today=IN_Q3_WINDOW, days=DAYS)

    assert [mail.to for mail in mailoutbox] == [["here@example.invalid"]]


def test_a_plan_with_a_submitted_update_is_not_reminded(demo, mailoutbox):
    PlanUpdate.objects.filter(plan__service_area__name=STAFFING, quarter=Quarter.Q3).update(
        status=PlanUpdate.Status.SUBMITTED
    )

    send_reminders(today=IN_Q3_WINDOW, days=DAYS)

    assert {area_in(mail.subject) for mail in manager_mails(mailoutbox)} == {ASSESSMENT, PLACEMENTS}
    (summary,) = finance_mails(mailoutbox)
    assert summary.subject.startswith("2 plan updates")
    assert STAFFING not in summary.body


@pytest.mark.parametrize(("status", "reminded"), [("approved", False), ("returned", True), ("draft", True)])
def test_whether_an_update_counts_as_done(mailoutbox, status, reminded):
    plan = PlanFactory(status="submitted", managers=[UserFactory(username="owner")])
    PlanUpdateFactory(plan=plan, quarter=3, status=status)

    send_reminders(today=IN_Q3_WINDOW, days=DAYS)

    assert len(mailoutbox) == (1 if reminded else 0)


def test_a_draft_plan_is_not_reminded(mailoutbox):
    PlanFactory(status="draft", managers=[UserFactory(username="owner")])

    send_reminders(today=IN_Q3_WINDOW, days=DAYS)

    assert mailoutbox == []


def test_a_plan_of_another_year_is_not_reminded(mailoutbox):
    PlanFactory(status="submitted", financial_year=FinancialYear(2022), managers=[UserFactory(username="owner")])

    send_reminders(today=IN_Q3_WINDOW, days=DAYS)

    assert mailoutbox == []


def test_nothing_outstanding_sends_nothing_not_even_to_finance(demo, mailoutbox):
    PlanUpdate.objects.filter(quarter=Quarter.Q3).update(status=PlanUpdate.Status.SUBMITTED)
    placements = DeficitRecoveryPlan.objects.get(service_area__name=PLACEMENTS)
    PlanUpdateFactory(plan=placements, quarter=3, status="approved")

    run = send_reminders(today=IN_Q3_WINDOW, days=DAYS)

    assert mailoutbox == []
    assert run.sent == []


def test_a_manager_without_an_e_mail_address_is_skipped(mailoutbox, finance):
    silent = UserFactory(username="silent", email="")
    PlanFactory(status="submitted", service_area__name="Quiet area", managers=[silent])

    run = send_reminders(today=IN_Q3_WINDOW, days=DAYS)

    # Only finance hears about it; nothing is logged for the manager, so once they have an
    # address the next run reminds them.
    assert [mail.to for mail in mailoutbox] == [["finance@example.invalid"]]
    assert "Quiet area" in mailoutbox[0].body
    assert ReminderLog.objects.filter(plan__isnull=False).count() == 0
    assert len(run.sent) == 1

    silent.email = "silent@example.invalid"
    silent.save()
    send_reminders(today=IN_Q3_WINDOW + timedelta(days=1), days=DAYS)

    assert [mail.to for mail in mailoutbox[1:]] == [["silent@example.invalid"]]


def test_no_finance_officers_means_no_summary(mailoutbox):
    PlanFactory(status="submitted", managers=[UserFactory(username="owner")])

    send_reminders(today=IN_Q3_WINDOW, days=DAYS)

    assert [mail.to for mail in mailoutbox] == [["owner@example.invalid"]]


def test_every_finance_officer_with_an_address_gets_the_summary(mailoutbox):
    UserFactory(username="fin1", role=Role.FINANCE_OFFICER)
    UserFactory(username="fin2", role=Role.FINANCE_OFFICER)
    UserFactory(username="fin3", role=Role.FINANCE_OFFICER, email="")
    UserFactory(username="exec", role=Role.EXECUTIVE)
    PlanFactory(status="submitted")

    send_reminders(today=IN_Q3_WINDOW, days=DAYS)

    (summary,) = mailoutbox
    assert sorted(summary.to) == ["fin1@example.invalid", "fin2@example.invalid"]


# Never twice -------------------------------------------------------------------------------------


def test_a_second_run_sends_nothing(demo, mailoutbox):
    send_reminders(today=IN_Q3_WINDOW, days=DAYS)
    first = len(mailoutbox)

    again = send_reminders(today=IN_Q3_WINDOW, days=DAYS)
    next_day = send_reminders(today=IN_Q3_WINDOW + timedelta(days=1), days=DAYS)

    assert first == 4
    assert len(mailoutbox) == 4
    assert again.sent == next_day.sent == []
    assert len(again.skipped) == 4
    assert ReminderLog.objects.count() == 4
    keys = set(ReminderLog.objects.values_list("key", flat=True))
    assert len(keys) == 4
    assert {log.kind for log in ReminderLog.objects.all()} == {"due", "finance"}


def test_the_log_records_each_reminder(demo, mailoutbox):
    send_reminders(today=IN_Q3_WINDOW, days=DAYS)

    plan = DeficitRecoveryPlan.objects.get(service_area__name=PLACEMENTS)
    log = ReminderLog.objects.get(plan=plan)
    assert log.kind == ReminderLog.Kind.DUE
    assert (str(log.financial_year), log.quarter) == ("2023/24", Quarter.Q3)
    assert log.recipients == "manager@example.invalid"
    assert ReminderLog.objects.get(kind=ReminderLog.Kind.FINANCE).recipients == "finance@example.invalid"


def test_a_plan_added_later_is_still_reminded_once(demo, mailoutbox):
    send_reminders(today=IN_Q3_WINDOW, days=DAYS)
    late = PlanFactory(status="submitted", service_area__name="Late area", managers=[UserFactory(username="late")])

    run = send_reminders(today=IN_Q3_WINDOW + timedelta(days=1), days=DAYS)

    assert [mail.to for mail in mailoutbox[4:]] == [["late@example.invalid"]]
    assert run.sent == [f"due:2023:Q3:plan-{late.pk}"]


def test_a_failed_send_is_not_logged_and_the_next_run_sends_it(demo, mailoutbox, monkeypatch):
    real = reminders.send_mail
    attempts: list[str] = []

    def failing_first(subject, *args, **kwargs):
        attempts.append(subject)
        if len(attempts) == 1:
            raise smtplib.SMTPException("mail server unavailable")
        return real(subject, *args, **kwargs)

    monkeypatch.setattr(reminders, "send_mail", failing_first)
    # Whether the run stops at the failure or carries on, what it logged is exactly what it sent.
    with suppress(smtplib.SMTPException):
        send_reminders(today=IN_Q3_WINDOW, days=DAYS)

    failed_subject = attempts[0]
    assert failed_subject not in [mail.subject for mail in mailoutbox]
    assert ReminderLog.objects.count() == len(mailoutbox)

    monkeypatch.setattr(reminders, "send_mail", real)
    send_reminders(today=IN_Q3_WINDOW + timedelta(days=1), days=DAYS)

    subjects = [mail.subject for mail in mailoutbox]
    assert len(subjects) == 4
    assert len(set(subjects)) == 4
    assert failed_subject in subjects
    assert ReminderLog.objects.count() == 4


# The days before and after a quarter's end --------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "sent"),
    [
        (Q3_END - timedelta(days=DAYS + 1), 0),  # 16 December: too early
        (Q3_END - timedelta(days=DAYS), 4),  # 17 December: the first day
        (Q3_END, 4),  # the quarter's last day
        (date(2023, 11, 1), 0),  # outside both windows
        (Q2_END + timedelta(days=DAYS + 1), 0),  # 15 October: too late for Q2
    ],
)
def test_due_reminders_only_within_days_before_quarter_end(demo, mailoutbox, today, sent):
    send_reminders(today=today, days=DAYS)

    assert len(mailoutbox) == sent
    assert all("Q3" in mail.subject and "Overdue" not in mail.subject for mail in mailoutbox)


@pytest.mark.parametrize(
    ("today", "sent"),
    [
        (Q3_END + timedelta(days=1), 4),  # 1 January: overdue
        (Q3_END + timedelta(days=DAYS), 4),  # 14 January: the last day
        (Q3_END + timedelta(days=DAYS + 1), 0),  # 15 January: no more
    ],
)
def test_overdue_reminders_only_within_days_after_quarter_end(demo, mailoutbox, today, sent):
    send_reminders(today=today, days=DAYS)

    assert len(mailoutbox) == sent
    for mail in manager_mails(mailoutbox):
        assert mail.subject.startswith("Overdue: Q3 update")
        assert "has not been submitted. The quarter ended on 31 December 2023." in mail.body
    for mail in finance_mails(mailoutbox):
        assert mail.subject == "3 plan updates overdue for Q3 2023/24"
        assert "quarter ended 31 December 2023" in mail.body


def test_due_then_overdue_each_sent_once(demo, mailoutbox):
    for day in range(0, 40):
        send_reminders(today=date(2023, 12, 10) + timedelta(days=day), days=DAYS)

    kinds = sorted(ReminderLog.objects.values_list("kind", flat=True))
    assert kinds == ["due"] * 3 + ["finance"] * 2 + ["overdue"] * 3
    assert len(mailoutbox) == 8


def test_overdue_q2_leaves_out_the_plan_whose_q2_update_is_submitted(demo, mailoutbox):
    """003 (Children’s Staffing) submitted its Q2 update; 000 and 001 did not."""
    send_reminders(today=Q2_END + timedelta(days=1), days=DAYS)

    assert {area_in(mail.subject) for mail in manager_mails(mailoutbox)} == {ASSESSMENT, PLACEMENTS}
    assert all(mail.subject.startswith("Overdue: Q2") for mail in manager_mails(mailoutbox))
    (summary,) = finance_mails(mailoutbox)
    assert summary.subject == "2 plan updates overdue for Q2 2023/24"


def test_overdue_q4_is_reminded_in_the_next_financial_year(demo, mailoutbox):
    send_reminders(today=Q4_END + timedelta(days=5), days=DAYS)

    assert len(manager_mails(mailoutbox)) == 3
    assert all(mail.subject.startswith("Overdue: Q4 update") for mail in manager_mails(mailoutbox))
    assert finance_mails(mailoutbox)[0].subject == "3 plan updates overdue for Q4 2023/24"
    assert {str(log.financial_year) for log in ReminderLog.objects.all()} == {"2023/24"}
    assert {log.quarter for log in ReminderLog.objects.all()} == {Quarter.Q4}


def test_days_zero_reminds_on_the_last_day_only(demo, mailoutbox):
    send_reminders(today=Q3_END - timedelta(days=1), days=0)
    assert mailoutbox == []

    send_reminders(today=Q3_END, days=0)
    assert len(mailoutbox) == 4

    send_reminders(today=Q3_END + timedelta(days=1), days=0)
    assert len(mailoutbox) == 4


# The e-mails' text -------------------------------------------------------------------------------


def test_subject_shows_a_service_area_name_as_written(mailoutbox):
    """The subject is plain text: "&" and "'" in a name must not arrive as "&amp;" and "&#x27;"."""
    area = ServiceAreaFactory(name="Learning & Disability 'North'")
    PlanFactory(status="submitted", service_area=area, managers=[UserFactory(username="owner")])

    send_reminders(today=IN_Q3_WINDOW, days=DAYS)

    (mail,) = mailoutbox
    assert mail.subject == "Q3 update of your deficit recovery plan (Learning & Disability 'North')"
    assert "Learning & Disability 'North' (2023/24)" in mail.body


def test_finance_summary_shows_names_as_written(mailoutbox, finance):
    area = ServiceAreaFactory(
        name="Learning & Disability", portfolio__directorate__name="Children, Families & Education"
    )
    PlanFactory(status="submitted", service_area=area)

    send_reminders(today=IN_Q3_WINDOW, days=DAYS)

    (summary,) = mailoutbox
    assert "- Learning & Disability (Children, Families & Education)" in summary.body
    assert summary.subject == "1 plan update outstanding for Q3 2023/24"


# The command -------------------------------------------------------------------------------------


def test_command_prints_what_it_sent(demo, mailoutbox):
    out = StringIO()

    call_command("send_reminders", "--today", "2023-12-20", "--days", "14", "-v", "2", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[-1] == (
        "send_reminders: 4 reminder(s) sent, 0 already sent before, 0 could not be sent (tried again next run)."
    )
    assert sum(line.startswith("sent: ") for line in lines) == 4
    assert "sent: finance:due:2023:Q3" in lines
    assert len(mailoutbox) == 4

    again = StringIO()
    call_command("send_reminders", "--today", "2023-12-20", "--days", "14", stdout=again)

    assert again.getvalue().splitlines() == [
        "send_reminders: 0 reminder(s) sent, 4 already sent before, 0 could not be sent (tried again next run)."
    ]
    assert len(mailoutbox) == 4


def test_command_defaults_to_fourteen_days(demo, mailoutbox):
    call_command("send_reminders", "--today", "2023-12-17", stdout=StringIO())
    assert len(mailoutbox) == 4


def test_command_base_url_without_its_trailing_slash(demo, mailoutbox):
    call_command(
        "send_reminders", "--today", "2023-12-20", "--base-url", "https://recovery.example.gov.uk/", stdout=StringIO()
    )

    assert all("https://recovery.example.gov.uk/monitoring/" in mail.body for mail in mailoutbox)
    assert not any("gov.uk//" in mail.body for mail in mailoutbox)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--days", "-1"], "--days must be 0 or more."),
        (["--today", "2023-13-01"], "--today must be a date"),
        (["--today", "20 December"], "--today must be a date"),
    ],
)
def test_command_rejects_bad_arguments(db, mailoutbox, arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("send_reminders", *arguments, stdout=StringIO())

    assert mailoutbox == []
