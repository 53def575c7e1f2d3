"""send_reminders as cron runs it (issue 17): the exit status says whether anything failed, the
e-mail is sent with no transaction open (a slow mail server on loopback holds no database lock),
EMAIL_TIMEOUT bounds the wait, and plans nobody can be reminded about are reported to finance."""

from __future__ import annotations

import smtplib
import socket
import threading
import time
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connections

from monitoring import reminders
from monitoring.models import ReminderLog
from plans.roles import Role
from tests.factories import PlanFactory, ServiceAreaFactory, UserFactory

IN_Q3_WINDOW = date(2023, 12, 20)
TODAY = ["--today", "2023-12-20"]


def outstanding_plans(count: int = 2) -> None:
    UserFactory(username="finance", role=Role.FINANCE_OFFICER)
    for number in range(count):
        PlanFactory(
            status="submitted",
            service_area__name=f"Area {number}",
            managers=[UserFactory(username=f"manager{number}")],
        )


SERVER_FAILURES = [
    smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
    TimeoutError("timed out"),
    ConnectionRefusedError(111, "Connection refused"),
    smtplib.SMTPAuthenticationError(535, b"bad credentials"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("failure", SERVER_FAILURES, ids=lambda error: type(error).__name__)
def test_the_command_exits_non_zero_with_a_one_line_summary_when_every_e_mail_failed(monkeypatch, failure):
    outstanding_plans()

    def down(*args, **kwargs):
        raise failure

    monkeypatch.setattr(reminders, "send_mail", down)
    out = StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("send_reminders", *TODAY, stdout=out)
    message = str(raised.value)
    assert "\n" not in message
    assert "0 reminder(s) sent" in message
    assert "3 could not be sent" in message  # two managers and finance
    assert out.getvalue() == ""
    assert ReminderLog.objects.count() == 0  # all of them are tried again next run


@pytest.mark.django_db
def test_one_refused_address_fails_the_run_but_not_the_other_reminders(monkeypatch, mailoutbox):
    outstanding_plans(3)
    real = reminders.send_mail

    def refuse_manager1(subject, body, sender, to, **kwargs):
        if "manager1@example.invalid" in to:
            raise smtplib.SMTPRecipientsRefused({"manager1@example.invalid": (550, b"no such user")})
        return real(subject, body, sender, to, **kwargs)

    monkeypatch.setattr(reminders, "send_mail", refuse_manager1)
    with pytest.raises(CommandError, match=r"^send_reminders: 3 reminder\(s\) sent, 0 already sent before, 1 could"):
        call_command("send_reminders", *TODAY, stdout=StringIO())
    assert len(mailoutbox) == 3


@pytest.mark.django_db
def test_a_good_run_prints_one_line_and_exits_zero(mailoutbox):
    outstanding_plans()
    out = StringIO()
    call_command("send_reminders", *TODAY, stdout=out)
    assert out.getvalue().splitlines() == [
        "send_reminders: 3 reminder(s) sent, 0 already sent before, 0 could not be sent (tried again next run)."
    ]


@pytest.mark.django_db
def test_an_unexpected_error_is_one_line_and_a_failure(monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("template missing\nwith a second line")

    monkeypatch.setattr("monitoring.management.commands.send_reminders.send_reminders", broken)
    with pytest.raises(CommandError, match=r"^send_reminders failed: template missing$"):
        call_command("send_reminders", *TODAY, stdout=StringIO())


# A slow mail server --------------------------------------------------------------------------------


class SlowSMTPServer:
    """A mail server on loopback that accepts connections and then says nothing for ``stall``
    seconds. While a client waits for it, it checks what the client holds in the database: is
    the reminder's log entry already committed, and can another connection write?"""

    def __init__(self, stall: float) -> None:
        self.stall = stall
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        self.observations: list[dict[str, object]] = []
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        from django.contrib.auth.models import User

        self.listener.settimeout(30)
        try:
            while True:
                try:
                    client, _ = self.listener.accept()
                except (TimeoutError, OSError):
                    return
                self.connections += 1
                seen: dict[str, object] = {}
                started = time.monotonic()
                try:
                    seen["log_committed"] = ReminderLog.objects.exists()
                    seen["wrote"] = User.objects.filter(username="finance").update(first_name="Saved") == 1
                except DatabaseError as error:
                    seen["error"] = str(error)
                seen["seconds"] = time.monotonic() - started
                self.observations.append(seen)
                time.sleep(self.stall)
                client.close()
        finally:
            connections.close_all()

    def close(self) -> None:
        self.listener.close()
        self.thread.join(timeout=30)


@pytest.fixture
def slow_smtp(settings):
    server = SlowSMTPServer(stall=3)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_TIMEOUT = 1
    yield server
    server.close()


@pytest.mark.django_db(transaction=True)
def test_a_slow_mail_server_holds_no_database_lock_and_the_run_gives_up_quickly(slow_smtp):
    outstanding_plans(3)
    started = time.monotonic()
    failure = ""
    try:
        call_command("send_reminders", *TODAY, stdout=StringIO())
    except CommandError as error:
        failure = str(error)
    elapsed = time.monotonic() - started

    seen = slow_smtp.observations[0]
    assert "error" not in seen, seen  # another connection could write while the client waited
    assert seen["wrote"] is True
    assert seen["log_committed"] is True  # the e-mail went out after the commit
    assert seen["seconds"] < 1
    assert "4 could not be sent" in failure
    assert slow_smtp.connections == 1  # the server is down: the others are not tried again
    assert elapsed < 2.5  # EMAIL_TIMEOUT (1 s), not the server's 3 s stall times four
    assert ReminderLog.objects.count() == 0  # nothing was sent, so all are tried again next run


def test_the_settings_bound_the_wait_for_the_mail_server():
    from recovery import settings as project_settings

    assert 0 < project_settings.EMAIL_TIMEOUT <= 60


# Plans nobody can be reminded about ---------------------------------------------------------------

ACTIVE, INACTIVE, NO_ADDRESS = "active", "inactive", "no address"


def manager_like(state: str, name: str):
    return UserFactory(
        username=name,
        is_active=state != INACTIVE,
        email="" if state == NO_ADDRESS else f"{name}@example.invalid",
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("plan_managers", "area_managers", "reachable"),
    [
        ([INACTIVE], [], False),
        ([INACTIVE, INACTIVE], [INACTIVE], False),
        ([], [], False),
        ([NO_ADDRESS], [INACTIVE], False),
        ([INACTIVE], [ACTIVE], True),
        ([ACTIVE, INACTIVE], [], True),
    ],
)
def test_plans_whose_every_manager_is_inactive_are_reported_to_finance(
    mailoutbox, plan_managers, area_managers, reachable
):
    UserFactory(username="finance", role=Role.FINANCE_OFFICER)
    area = ServiceAreaFactory(
        name="Orphaned area", managers=[manager_like(state, f"area{n}") for n, state in enumerate(area_managers)]
    )
    PlanFactory(
        status="submitted",
        service_area=area,
        managers=[manager_like(state, f"plan{n}") for n, state in enumerate(plan_managers)],
    )
    PlanFactory(status="submitted", service_area__name="Looked-after area", managers=[UserFactory(username="fine")])
    out = StringIO()

    call_command("send_reminders", *TODAY, stdout=out)

    (summary,) = [mail for mail in mailoutbox if mail.to == ["finance@example.invalid"]]
    nobody = summary.body.split("Nobody can be reminded", 1)
    if reachable:
        assert len(nobody) == 1
        assert "no active manager" not in out.getvalue()
    else:
        assert "Orphaned area" in nobody[1]
        assert "Looked-after area" not in nobody[1]
        assert "1 plan(s) with no active manager to remind (listed for finance)" in out.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize("finance_state", ["none", INACTIVE, NO_ADDRESS])
def test_plans_nobody_can_be_told_about_fail_the_run(mailoutbox, finance_state):
    """No active finance officer with an address to report a plan with no active manager to:
    the run says so and exits non-zero (before, it said "listed for finance" and exited 0)."""
    if finance_state != "none":
        UserFactory(
            username="finance",
            role=Role.FINANCE_OFFICER,
            is_active=finance_state != INACTIVE,
            email="" if finance_state == NO_ADDRESS else "finance@example.invalid",
        )
    PlanFactory(status="submitted", service_area__name="Orphaned area", managers=[manager_like(INACTIVE, "gone")])
    PlanFactory(status="submitted", service_area__name="Looked-after area", managers=[UserFactory(username="fine")])

    with pytest.raises(CommandError) as raised:
        call_command("send_reminders", *TODAY, stdout=StringIO())

    message = str(raised.value)
    assert "\n" not in message
    assert "1 plan(s) with no active manager to remind, and no active finance officer" in message
    assert "listed for finance" not in message
    assert [mail.to for mail in mailoutbox] == [["fine@example.invalid"]]


@pytest.mark.django_db
def test_without_finance_officers_a_run_where_every_plan_has_a_manager_succeeds(mailoutbox):
    PlanFactory(status="submitted", managers=[UserFactory(username="owner")])
    out = StringIO()
    call_command("send_reminders", *TODAY, stdout=out)
    assert out.getvalue().startswith("send_reminders: 1 reminder(s) sent")
