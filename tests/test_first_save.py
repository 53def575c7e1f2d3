"""Optimistic locking with no hole: a form opened before its record existed, a save without a
version, and eight people saving the same new row at the same moment.

A form opened when a scheme had no figures for the quarter (or a plan no update) carries version
0; if the row exists by the time it is saved, the save is refused with 409 and the other
person's values, keeping everything typed. A save posted without a version is a 400."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from monitoring import services as monitoring_services
from monitoring.models import PlanUpdate, SchemeQuarter
from plans.models import DeficitRecoveryPlan
from plans.roles import Role
from recovery.concurrency import MISSING_VERSION, ConcurrentEdit
from recovery.periods import FinancialYear, Quarter
from tests.factories import SchemeFactory, UserFactory
from tests.test_concurrency import CONFLICT_HEADING, hidden_version, plan_post, row_post, snapshot

YEAR = FinancialYear(2023)


@pytest.fixture
def new_scheme(service_area):
    """A scheme with no figures yet for Q2."""
    return SchemeFactory(service_area=service_area, financial_year=YEAR, target=Decimal("100000.00"))


def row_url(scheme) -> str:
    return reverse("monitoring:scheme_row", args=[YEAR, Quarter.Q2, scheme.pk])


@pytest.fixture
def other_finance(db):
    return UserFactory(username="finance2", first_name="Femi", last_name="Second", role=Role.FINANCE_OFFICER)


# A form opened before the row existed ---------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("htmx", [False, True])
def test_a_form_opened_before_the_figures_existed_is_refused_with_the_others_values(
    client, finance, other_finance, new_scheme, htmx
):
    client.force_login(finance)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    opened = client.get(row_url(new_scheme), **headers)
    assert hidden_version(opened.content.decode()) == "0"
    # Meanwhile a colleague saves the first figures of the quarter, through the same form.
    colleague = Client()
    colleague.force_login(other_finance)
    first = colleague.post(row_url(new_scheme), row_post("0", ytd_actual="60,000", commentary="colleague commentary"))
    assert first.status_code == 302
    saved = snapshot(SchemeQuarter, scheme=new_scheme)

    response = client.post(row_url(new_scheme), row_post("0"), **headers)

    assert response.status_code == (200 if htmx else 409)
    content = response.content.decode()
    assert CONFLICT_HEADING in content
    assert "Femi Second" in content
    assert "colleague commentary" in content
    assert "60,000" in content
    assert 'value="12,345"' in content
    assert "typed commentary on delivery" in content
    assert hidden_version(content) == "1"
    assert snapshot(SchemeQuarter, scheme=new_scheme) == saved
    again = client.post(row_url(new_scheme), row_post("1"))
    assert again.status_code == 302
    assert SchemeQuarter.objects.get(scheme=new_scheme).commentary == "typed commentary on delivery"


@pytest.mark.django_db
def test_the_service_refuses_version_0_when_the_row_exists(finance, other_finance, new_scheme):
    monitoring_services.scheme_quarter_save(
        scheme=new_scheme, quarter=Quarter.Q2, user=other_finance, fields={"ytd_actual": Decimal(5)}, expected_version=0
    )
    with pytest.raises(ConcurrentEdit) as caught:
        monitoring_services.scheme_quarter_save(
            scheme=new_scheme, quarter=Quarter.Q2, user=finance, fields={"ytd_actual": Decimal(7)}, expected_version=0
        )
    assert caught.value.current_version == 1
    [change] = caught.value.changes
    assert change.who == "Femi Second"
    assert ("year-to-date actual (£)", "—", "5") in change.changes
    assert SchemeQuarter.objects.get(scheme=new_scheme).ytd_actual == Decimal(5)


@pytest.fixture
def submitted_plan(plan):
    plan.status = DeficitRecoveryPlan.Status.SUBMITTED
    plan.save()
    return plan


@pytest.fixture
def colleague(service_area):
    user = UserFactory(username="colleague", first_name="Priya", last_name="Colleague", role=Role.SERVICE_MANAGER)
    service_area.managers.add(user)
    return user


@pytest.mark.django_db
def test_an_update_form_opened_before_the_update_existed_is_refused(client, manager, colleague, submitted_plan):
    url = reverse("monitoring:plan_update", args=[submitted_plan.pk, Quarter.Q2])
    client.force_login(manager)
    assert hidden_version(client.get(url).content.decode()) == "0"
    other = Client()
    other.force_login(colleague)
    first = other.post(url, {"version": "0", "on_target": "yes", "narrative": "colleague narrative", "save": "1"})
    assert first.status_code == 302
    saved = snapshot(PlanUpdate, plan=submitted_plan)

    response = client.post(url, {"version": "0", "on_target": "no", "narrative": "my typed narrative", "save": "1"})

    assert response.status_code == 409
    content = response.content.decode()
    assert CONFLICT_HEADING in content
    assert "Priya Colleague" in content
    assert "colleague narrative" in content
    assert "my typed narrative" in content
    assert snapshot(PlanUpdate, plan=submitted_plan) == saved


# A save without a version ---------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("version", [None, "", "abc", "-1", "1.0", "\u0661"])
def test_a_scheme_row_save_without_a_version_is_a_400(client, finance, new_scheme, version):
    client.force_login(finance)
    data = row_post("0")
    if version is None:
        del data["version"]
    else:
        data["version"] = version
    for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
        response = client.post(row_url(new_scheme), data, **headers)
        assert response.status_code == 400
        assert escape(MISSING_VERSION) in response.content.decode()
    assert not SchemeQuarter.objects.exists()


@pytest.mark.django_db
def test_a_plan_save_without_a_version_is_a_400(client, manager, plan):
    client.force_login(manager)
    data = plan_post("1")
    del data["version"]
    response = client.post(reverse("plans:edit", args=[plan.pk]), data)
    assert response.status_code == 400
    assert escape(MISSING_VERSION) in response.content.decode()
    plan.refresh_from_db()
    assert plan.version == 1
    assert plan.service_director != "Typed Director Name"


@pytest.mark.django_db
def test_an_update_save_without_a_version_is_a_400(client, manager, submitted_plan):
    client.force_login(manager)
    url = reverse("monitoring:plan_update", args=[submitted_plan.pk, Quarter.Q2])
    response = client.post(url, {"on_target": "yes", "narrative": "typed", "save": "1"})
    assert response.status_code == 400
    assert escape(MISSING_VERSION) in response.content.decode()
    assert not PlanUpdate.objects.exists()


# Eight people, one new row, at the same moment ---------------------------------------------------


def _posted_version(page: str) -> str:
    """The hidden version field's value as a browser would post it (blank if it has none)."""
    match = re.search(r'<input[^>]*name="version"[^>]*>', page)
    assert match
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value else ""


def _in_memory_sqlite() -> bool:
    return connection.vendor == "sqlite" and connection.is_in_memory_db()


@pytest.mark.django_db(transaction=True)
def test_eight_first_saves_of_the_same_row_at_once_one_accepted_seven_conflicts(service_area, tmp_path):
    if _in_memory_sqlite():
        # Threads sharing an in-memory SQLite database lock whole tables rather than wait: run
        # this test again in a process of its own on an SQLite file, as the app runs in production.
        done = subprocess.run(  # noqa: S603 - this very test file, with the same interpreter
            [sys.executable, "-m", "pytest", "-p", "no:xdist", "-p", "no:cacheprovider", "-q", f"{__file__}::{_NAME}"],
            env={**os.environ, "RECOVERY_TEST_SQLITE_FILE": str(tmp_path / "race.sqlite3")},
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        assert "1 passed" in done.stdout
        return
    scheme = SchemeFactory(service_area=service_area, financial_year=YEAR)
    users = [UserFactory(username=f"finance{n}", first_name=f"Officer{n}", role=Role.FINANCE_OFFICER) for n in range(8)]
    clients, versions = [], []
    for user in users:
        client = Client()
        client.force_login(user)
        clients.append(client)
        # Each opens the form while the quarter has no figures, and posts back what it carries.
        versions.append(_posted_version(client.get(row_url(scheme)).content.decode()))
    start = threading.Barrier(len(clients))
    statuses: dict[int, int] = {}

    def save(number: int) -> None:
        try:
            start.wait()
            data = row_post(versions[number], commentary=f"saved by officer {number}")
            response = clients[number].post(row_url(scheme), data)
            statuses[number] = response.status_code
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(number,)) for number in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sorted(statuses.values()) == [302] + [409] * 7
    [winner] = [number for number, status in statuses.items() if status == 302]
    row = SchemeQuarter.objects.get(scheme=scheme)
    assert row.commentary == f"saved by officer {winner}"
    assert row.version == 1
    assert row.history.count() == 1


_NAME = test_eight_first_saves_of_the_same_row_at_once_one_accepted_seven_conflicts.__name__
