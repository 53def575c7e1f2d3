"""Monitoring pages through HTTP: who may do what, the scheme grid against seed 004, editing a
row in place, the manager's update page, finance's review, the lock, and query counts."""

from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from monitoring import services
from monitoring import urls as monitoring_urls
from monitoring.models import MonitoringQuarter, PlanUpdate, QuarterLockEvent, SchemeQuarter
from recovery.periods import FinancialYear, Period, Quarter
from tests.factories import PlanUpdateFactory, SchemeFactory, SchemeQuarterFactory
from tests.monitoring.conftest import PLAN_PERIOD, SEED_004_PERIOD, load_seed_004

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"
REDIRECT = 302
WHO = ["anonymous", "manager", "others", "finance", "executive", "administrator"]


def grid_url(period=SEED_004_PERIOD) -> str:
    return reverse("monitoring:grid", args=[period.year, period.quarter])


def row_url(scheme, period=SEED_004_PERIOD) -> str:
    return reverse("monitoring:scheme_row", args=[period.year, period.quarter, scheme.pk])


def statuses(**overrides: int) -> dict[str, int]:
    """Expected statuses: ``everyone`` for every signed-in user, with per-user overrides."""
    everyone = overrides.pop("everyone", 200)
    expected = dict.fromkeys(WHO, everyone)
    expected["anonymous"] = REDIRECT
    expected.update(overrides)
    return expected


STAFF_ONLY = statuses(everyone=200, manager=403, others=403)
FINANCE_ONLY_PAGE = statuses(everyone=403, finance=200)
FINANCE_ONLY_POST = statuses(everyone=403, finance=REDIRECT)
IMPORTERS_PAGE = statuses(everyone=403, finance=200, administrator=200)
UNKNOWN_TOKEN = "0" * 32

# The permission matrix: (URL name, method, quarter used, data, expected status for each user).
# "manager" acts on their own plan; "others" is the same manager on another manager's plan.
# Plan URLs act on Q2, where both plans have a submitted update, except the POST to the update
# form, which starts a Q3 update. Scheme URLs act on a 2023/24 scheme with Q2 figures.
MATRIX: list[tuple[str, str, str, dict[str, str], dict[str, int]]] = [
    ("quarters", "get", "Q2", {}, statuses()),
    # Lock, submit, approve, return and reopen need confirmation: a GET (or a POST without
    # "confirm") shows the confirmation page and changes nothing.
    ("lock", "get", "Q2", {}, FINANCE_ONLY_PAGE),
    ("lock", "post", "Q2", {}, FINANCE_ONLY_PAGE),
    ("lock", "post", "Q2", {"confirm": "1"}, FINANCE_ONLY_POST),
    ("reopen", "get", "Q2", {}, statuses(everyone=403, administrator=200)),
    ("reopen", "post", "Q2", {"reason": ""}, statuses(everyone=403, administrator=400)),
    ("summary", "get", "Q2", {}, FINANCE_ONLY_PAGE),
    (
        "summary",
        "post",
        "Q2",
        {"report": "", "version": "0", "summary-all-text": "Savings are on track.", "publish": "1"},
        FINANCE_ONLY_POST,
    ),
    ("reopen", "post", "Q2", {"reason": "Keyed wrongly."}, statuses(everyone=403, administrator=200)),
    # Confirmed, but Q2 is not locked: refused with the message on the page.
    ("reopen", "post", "Q2", {"reason": "Keyed wrongly.", "confirm": "1"}, statuses(everyone=403, administrator=400)),
    ("grid", "get", "Q2", {}, STAFF_ONLY),
    ("grid", "post", "Q2", {}, statuses(everyone=405)),
    ("scheme_row", "get", "Q2", {}, FINANCE_ONLY_PAGE),
    ("scheme_row", "get", "Q2", {"display": "1"}, STAFF_ONLY),
    (
        "scheme_row",
        "post",
        "Q2",
        {"version": "1", "ytd_budget": "47,672", "ytd_actual": "0", "projected_shortfall": "143,000", "rag": "RED"},
        FINANCE_ONLY_POST,
    ),
    ("plan_updates", "get", "Q2", {}, statuses()),
    ("scheme_history", "get", "Q2", {}, STAFF_ONLY),
    ("plan_update", "get", "Q2", {}, statuses(others=404)),
    (
        "plan_update",
        "post",
        "Q3",
        {"version": "0", "on_target": "yes", "narrative": "On track.", "save": "1"},
        statuses(everyone=403, manager=REDIRECT, others=404),
    ),
    # Submitting the saved (draft) Q1 update: its manager only.
    ("plan_update_submit", "get", "Q1", {}, statuses(everyone=404, manager=200)),
    ("plan_update_submit", "post", "Q1", {}, statuses(everyone=404, manager=200)),
    ("plan_update_submit", "post", "Q1", {"confirm": "1"}, statuses(everyone=404, manager=400)),
    ("plan_update_submit", "post", "Q1", {"confirm": "1", "version": "1"}, statuses(everyone=404, manager=REDIRECT)),
    # The Q2 update is submitted already: nobody can submit it again.
    ("plan_update_submit", "get", "Q2", {}, statuses(everyone=403, others=404)),
    (
        "plan_update_review",
        "post",
        "Q2",
        {"version": "1", "decision": "approve", "rag": "", "rag_reason": "", "comments": ""},
        statuses(everyone=403, others=404, finance=200),
    ),
    (
        "plan_update_review",
        "post",
        "Q2",
        {"decision": "approve", "rag": "", "rag_reason": "", "comments": "", "confirm": "1"},
        statuses(everyone=403, others=404, finance=400),
    ),
    (
        "plan_update_review",
        "post",
        "Q2",
        {"decision": "approve", "rag": "", "rag_reason": "", "comments": "", "confirm": "1", "version": "1"},
        statuses(everyone=403, others=404, finance=REDIRECT),
    ),
    (
        "plan_update_review",
        "post",
        "Q2",
        {"decision": "return", "rag": "", "rag_reason": "", "comments": "Which posts?", "confirm": "1", "version": "1"},
        statuses(everyone=403, others=404, finance=REDIRECT),
    ),
    (
        "plan_update_review",
        "post",
        "Q2",
        {"version": "1", "decision": "set_rag", "rag": "RED", "rag_reason": "Recruitment has stopped.", "comments": ""},
        statuses(everyone=403, others=404, finance=REDIRECT),
    ),
    ("plan_update_review", "get", "Q2", {}, statuses(everyone=405, others=405)),
    # DMT's decision: executives, on a published RED update with an alternative proposal (Q4);
    # the Q2 update is AMBER ("Partial"), so nobody decides on it.
    ("plan_update_dmt", "get", "Q4", {}, statuses(everyone=403, others=404, executive=200)),
    (
        "plan_update_dmt",
        "post",
        "Q4",
        {"dmt_decision": "accepted", "dmt_comments": "", "version": "1"},
        statuses(everyone=403, others=404, executive=REDIRECT),
    ),
    (
        "plan_update_dmt",
        "post",
        "Q4",
        {"dmt_decision": "rejected", "dmt_comments": "", "version": "1"},
        statuses(everyone=403, others=404, executive=400),
    ),
    ("plan_update_dmt", "post", "Q4", {"dmt_decision": "accepted"}, statuses(everyone=403, others=404, executive=400)),
    ("plan_update_dmt", "get", "Q2", {}, statuses(everyone=403, others=404)),
    # Importing a tracker: finance and administrators. The confirm URL's token is unknown to the
    # session, so an importer is sent back to the upload page.
    ("tracker_upload", "get", "Q2", {}, IMPORTERS_PAGE),
    ("tracker_upload", "post", "Q2", {"file": ""}, statuses(everyone=403, finance=400, administrator=400)),
    ("tracker_template", "get", "Q2", {}, IMPORTERS_PAGE),
    ("tracker_confirm", "post", "Q2", {}, statuses(everyone=403, finance=REDIRECT, administrator=REDIRECT)),
    ("tracker_confirm", "get", "Q2", {}, statuses(everyone=405)),
    # The CSV of a preview's problems: the token is unknown to the session, so an importer gets 404.
    ("tracker_problems", "get", "Q2", {}, statuses(everyone=403, finance=404, administrator=404)),
    ("tracker_problems", "post", "Q2", {}, statuses(everyone=405)),
    # A large tracker's background check or import: only its uploader sees it, so an unknown job
    # is 404 to an importer (tests/monitoring/test_import_background.py: another importer's too).
    ("tracker_job", "get", "Q2", {}, statuses(everyone=403, finance=404, administrator=404)),
    ("tracker_job", "post", "Q2", {}, statuses(everyone=405)),
    # Importing Word plans: service managers, into the service areas they manage.
    ("plan_import", "get", "Q2", {}, statuses(everyone=403, manager=200, others=200)),
    ("plan_import", "post", "Q2", {"file": ""}, statuses(everyone=403, manager=400, others=400)),
    ("plan_import_confirm", "post", "Q2", {}, statuses(everyone=403, manager=REDIRECT, others=REDIRECT)),
    ("plan_import_confirm", "get", "Q2", {}, statuses(everyone=405)),
]


def test_every_monitoring_url_is_in_the_permission_matrix():
    names = {pattern.name for pattern in monitoring_urls.urlpatterns}
    assert names == {name for name, *_ in MATRIX}, "add the new URL to MATRIX with the status each user should get"


@pytest.fixture
def world(live_plan, other_live_plan, manager, other_manager):
    """Two submitted plans with a draft Q1, a submitted Q2 and a submitted RED Q4 update (with
    an alternative proposal) each, and a 2023/24 scheme with Q2 figures."""
    for plan, user in ((live_plan, manager), (other_live_plan, other_manager)):
        PlanUpdateFactory(plan=plan, quarter=Quarter.Q1, status="draft")
        PlanUpdateFactory(plan=plan, quarter=Quarter.Q2, status="submitted", submitted_by=user)
        PlanUpdateFactory(
            plan=plan, quarter=Quarter.Q4, status="submitted", on_target="no", alternative_proposal="Realign £50k."
        )
    figures = SchemeQuarterFactory(
        scheme=SchemeFactory(ref="7", title="Market development of major homecare provider", target=Decimal(143000)),
        quarter=Quarter.Q2,
        ytd_budget=Decimal("47672"),
        ytd_actual=Decimal("0"),
        projected_shortfall=Decimal("143000"),
        rag="RED",
    )
    return {"plan": live_plan, "other_plan": other_live_plan, "scheme": figures.scheme}


def state() -> dict[str, object]:
    return {
        "updates": list(PlanUpdate.objects.order_by("pk").values()),
        "schemes": list(SchemeQuarter.objects.order_by("pk").values()),
        "locks": list(MonitoringQuarter.objects.order_by("pk").values("locked_at", "locked_by")),
        "events": QuarterLockEvent.objects.count(),
    }


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize(
    ("name", "method", "quarter", "data", "expected"),
    MATRIX,
    ids=[f"{index}-{name}-{method}" for index, (name, method, *_) in enumerate(MATRIX)],
)
def test_permission_matrix(client, world, who, name, method, quarter, data, expected, request):
    user = {"manager": "manager", "others": "manager"}.get(who, who)
    if who != "anonymous":
        client.force_login(request.getfixturevalue(user))
    plan = world["other_plan"] if who == "others" else world["plan"]
    pattern = next(p for p in monitoring_urls.urlpatterns if p.name == name)
    values = {
        "year": FinancialYear(2023),
        "quarter": Quarter.parse(quarter),
        "scheme_pk": world["scheme"].pk,
        "pk": plan.pk,
        "token": UNKNOWN_TOKEN,
        "job_id": "00000000-0000-0000-0000-000000000000",
    }
    url = reverse(f"monitoring:{name}", kwargs={key: values[key] for key in pattern.pattern.converters})
    before = state()

    response = getattr(client, method)(url, data)

    assert response.status_code == expected[who], f"{who} {method.upper()} {name}"
    if who == "anonymous":
        assert response["Location"].startswith(f"{LOGIN_URL}?next=")
    if response.status_code != REDIRECT or who == "anonymous":
        assert state() == before, "a refused or read-only request changed something"


@pytest.mark.parametrize("who", ["finance", "administrator"])
def test_tracker_confirm_with_an_unknown_token_goes_back_to_the_upload_page(client, who, request):
    client.force_login(request.getfixturevalue(who))
    response = client.post(reverse("monitoring:tracker_confirm", args=[UNKNOWN_TOKEN]), follow=True)
    assert response.redirect_chain == [(reverse("monitoring:tracker_upload"), REDIRECT)]
    assert [str(message) for message in response.context["messages"]] == [
        "That upload is not waiting to be imported: upload the file again."
    ]


def test_lock_by_finance_locks_and_goes_back(client, finance):
    client.force_login(finance)
    url = reverse("monitoring:lock", args=["2023/24", "Q2"])
    response = client.post(url, {"next": grid_url(PLAN_PERIOD), "confirm": "1"})
    assert response.status_code == 302
    assert response["Location"] == grid_url(PLAN_PERIOD)
    record = MonitoringQuarter.objects.get()
    assert record.period == PLAN_PERIOD
    assert record.locked_by == finance

    again = client.post(url, {"confirm": "1"}, follow=True)
    assert "is already locked" in again.content.decode()
    assert QuarterLockEvent.objects.count() == 1
    # The confirmation page of a locked quarter says so instead of offering to lock it again.
    page = client.get(url, follow=True)
    assert "is already locked" in page.content.decode()
    assert QuarterLockEvent.objects.count() == 1


@pytest.mark.parametrize("target", ["https://evil.example/phish", "//evil.example/phish"])
def test_lock_does_not_redirect_off_the_site(client, finance, target):
    client.force_login(finance)
    url = reverse("monitoring:lock", args=["2023-24", "Q2"])
    page = client.get(url, {"next": target})
    assert "evil.example" not in page.content.decode()  # nor carried through the confirmation
    response = client.post(url, {"next": target, "confirm": "1"})
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]
    assert MonitoringQuarter.objects.get().is_locked


def test_reopen_page_by_an_administrator(client, finance, administrator):
    services.quarter_lock(period=PLAN_PERIOD, user=finance)
    client.force_login(administrator)
    url = reverse("monitoring:reopen", args=["2023-24", "Q2"])
    page = client.get(url)
    assert "Locked" in page.content.decode()
    assert client.post(url, {"reason": "  ", "confirm": "1"}).status_code == 400
    assert MonitoringQuarter.objects.get().is_locked

    response = client.post(url, {"reason": "Scheme 7's Q2 actual was keyed wrongly.", "confirm": "1"})
    assert response.status_code == 302
    assert response["Location"] == reverse("monitoring:quarters")
    assert not MonitoringQuarter.objects.get().is_locked
    event = QuarterLockEvent.objects.get(action="reopened")
    assert (event.user, event.reason) == (administrator, "Scheme 7's Q2 actual was keyed wrongly.")


def test_quarter_list_shows_each_year_and_the_lock(client, finance, seed_004):
    services.quarter_lock(period=SEED_004_PERIOD, user=finance)
    client.force_login(finance)
    content = client.get(reverse("monitoring:quarters")).content.decode()
    assert "2012/13" in content
    assert "Locked" in content
    assert grid_url() in content


# The grid, against seed 004


def tfoot_figures(content: str) -> list[str]:
    tfoot = re.search(r"<tfoot>.*?</tfoot>", content, flags=re.DOTALL)
    assert tfoot, "the grid has a total row"
    return money_cells(tfoot.group(0))


def money_cells(html: str) -> list[str]:
    """The grid's money cells, each carrying its unit (£), as figures without it."""
    cells = re.findall(r'<td class="num">([^<]*)(?:<span class="total-covers">([^<]*)</span>)?</td>', html)
    assert all(cell.startswith(("£", "-£")) or cell == "–" for cell, _ in cells), cells
    # A total over rows of which only some gave the figure says how many: "1,849,232 (35 of 36 schemes)".
    return [cell.replace("£", "").strip() + (f" {covers}" if covers else "") for cell, covers in cells]


def rows_in(content: str) -> int:
    return len(re.findall(r'<tr id="scheme-\d+"', content))


def count_of(content: str, rag: str) -> int:
    match = re.search(rf'rag-{rag.lower()}">{rag}</span>\s*(\d+)', content)
    assert match, f"no count shown for {rag}"
    return int(match.group(1))


@pytest.mark.parametrize("who", ["finance", "executive", "administrator"])
def test_grid_shows_every_seed_004_row_and_the_printed_total(client, seed_004, who, request):
    client.force_login(request.getfixturevalue(who))
    response = client.get(grid_url())
    assert response.status_code == 200
    content = response.content.decode()
    assert len(response.context["rows"]) == 35
    assert rows_in(content) == 35
    assert tfoot_figures(content) == ["7,956,000", "1,849,232", "1,691,122", "6,264,878", "2,699,636"]
    assert "34 schemes" in content
    assert [count_of(content, rag) for rag in ("RED", "AMBER", "GREEN", "BLUE")] == [5, 16, 13, 0]


def test_grid_url_takes_the_year_with_a_dash(client, finance, seed_004):
    client.force_login(finance)
    assert grid_url() == "/monitoring/2012-13/Q2/schemes/"
    assert client.get("/monitoring/2012-13/Q5/schemes/").status_code == 404
    assert client.get("/monitoring/2012-14/Q2/schemes/").status_code == 404


def test_grid_shows_the_seed_figures_of_a_row(client, finance, seed_004):
    client.force_login(finance)
    content = client.get(grid_url()).content.decode()
    two_b_ii = next(scheme for scheme in seed_004 if scheme.ref == "2Bii")
    row = re.search(rf'<tr id="scheme-{two_b_ii.pk}".*?</tr>', content, flags=re.DOTALL).group(0)
    assert money_cells(row) == ["86,805", "65,280", "78,114", "8,691", "0"]
    assert 'rag-amber">AMBER</span>' in row


def test_grid_flags_seed_004_scheme_2a(client, finance, seed_004):
    client.force_login(finance)
    content = client.get(grid_url()).content.decode()
    assert "GREEN but £190,002 behind the year-to-date profile." in content


@pytest.mark.parametrize(
    ("rag", "rows", "schemes", "totals"),
    [
        ("RED", 6, 5, ["2,954,636", "181,006", "0", "2,954,636", "2,699,636"]),
        ("AMBER", 16, 16, ["2,634,805", "725,384", "288,785", "2,346,020", "0"]),
        ("GREEN", 13, 13, ["2,366,559", "942,842", "1,402,337", "964,222", "0"]),
    ],
)
def test_grid_filtered_by_rag_gives_the_printed_subtotal(client, finance, seed_004, rag, rows, schemes, totals):
    # RED includes the unallocated requirement: in the money, not in the count of schemes.
    client.force_login(finance)
    content = client.get(grid_url(), {"rag": rag}).content.decode()
    assert rows_in(content) == rows
    assert tfoot_figures(content) == totals
    assert f"{schemes} schemes" in content
    assert count_of(content, rag) == schemes


def test_grid_filtered_by_service_area(client, finance, seed_004):
    other = SchemeQuarterFactory(
        scheme=SchemeFactory(financial_year=FinancialYear(2012), target=Decimal(1000)),
        quarter=Quarter.Q2,
        ytd_budget=Decimal(500),
        ytd_actual=Decimal(250),
        projected_shortfall=Decimal(0),
        rag="AMBER",
    ).scheme
    client.force_login(finance)
    assert rows_in(client.get(grid_url()).content.decode()) == 36
    content = client.get(grid_url(), {"service_area": seed_004[0].service_area_id}).content.decode()
    assert rows_in(content) == 35
    assert tfoot_figures(content) == ["7,956,000", "1,849,232", "1,691,122", "6,264,878", "2,699,636"]
    content = client.get(grid_url(), {"service_area": other.service_area_id}).content.decode()
    assert rows_in(content) == 1
    assert tfoot_figures(content) == ["1,000", "500", "250", "750", "0"]


def test_grid_of_a_quarter_with_no_figures_yet(client, finance, seed_004):
    # Q3 2012/13 has no figures entered yet: every row shows its target and blanks.
    client.force_login(finance)
    response = client.get(grid_url(Period(FinancialYear(2012), Quarter.Q3)))
    assert response.status_code == 200
    content = response.content.decode()
    assert rows_in(content) == 35
    # Nobody gave a figure: unknown ("–"), not £0, and no balance invented from an unknown actual.
    assert tfoot_figures(content) == ["7,956,000", "–", "–", "–", "–"]
    assert "Q2 RAG" in content  # last quarter's RAG beside each row


def test_grid_with_a_new_scheme_that_has_no_figures_this_quarter(client, finance, seed_004):
    SchemeFactory(financial_year=FinancialYear(2012), service_area=seed_004[0].service_area, target=Decimal(1000))
    client.force_login(finance)
    response = client.get(grid_url())
    assert response.status_code == 200
    content = response.content.decode()
    assert rows_in(content) == 36
    # The new scheme gave no figures: each total is of the 35 that did, and says so; its balance
    # (of an unknown actual) is unknown, so not the whole £1,000 target.
    assert tfoot_figures(content) == [
        "7,957,000",
        "1,849,232 (35 of 36 schemes)",
        "1,691,122 (35 of 36 schemes)",
        "6,264,878 (35 of 36 schemes)",
        "2,699,636 (35 of 36 schemes)",
    ]


def test_grid_query_count_does_not_grow_with_the_schemes(client, finance, seed_004):
    client.force_login(finance)
    client.get(grid_url())  # warm up: session, roles
    with CaptureQueriesContext(connection) as few:
        assert client.get(grid_url()).status_code == 200
    load_seed_004(area=seed_004[0].service_area, copies=10)
    with CaptureQueriesContext(connection) as many:
        response = client.get(grid_url())
    assert response.context["page"].paginator.count == 35 * 11
    assert len(many.captured_queries) == len(few.captured_queries)


# Editing a row of the grid


def row_data(**overrides: str) -> dict[str, str]:
    """What the row form of seed 004's 2A posts back unchanged (opened just now: its version)."""
    current = SchemeQuarter.objects.filter(scheme__ref="2A", quarter=Quarter.Q2).values_list("version", flat=True)
    data = {
        "version": str(current.first() or 0),
        "ytd_budget": "190,002",
        "ytd_actual": "0",
        "forecast_year_end": "",
        "forecast_next_year": "",
        "projected_shortfall": "0",
        "rag": "GREEN",
        "rag_reason": "",
        "commentary": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def scheme_2a(seed_004):
    return next(scheme for scheme in seed_004 if scheme.ref == "2A")


def test_edit_row_page_shows_the_form(client, finance, scheme_2a):
    client.force_login(finance)
    response = client.get(row_url(scheme_2a))
    assert response.status_code == 200
    content = response.content.decode()
    assert 'value="190002"' in content
    assert "Figures suggest AMBER" in content


def test_edit_row_in_place_gets_the_form_and_cancel_gets_the_row(client, finance, scheme_2a):
    client.force_login(finance)
    form = client.get(row_url(scheme_2a), HTTP_HX_REQUEST="true")
    assert form.status_code == 200
    assert form.templates[0].name == "monitoring/_grid_row_form.html"
    assert f'hx-post="{row_url(scheme_2a)}"' in form.content.decode()
    row = client.get(row_url(scheme_2a), {"display": "1"}, HTTP_HX_REQUEST="true")
    assert row.status_code == 200
    assert row.templates[0].name == "monitoring/_grid_row.html"
    assert 'rag-green">GREEN</span>' in row.content.decode()


def test_edit_row_and_go_back_to_the_grid(client, finance, scheme_2a):
    client.force_login(finance)
    response = client.post(row_url(scheme_2a), row_data(ytd_actual="£95,001.50", commentary="Half delivered."))
    assert response.status_code == 302
    assert response["Location"] == f"{grid_url()}#scheme-{scheme_2a.pk}"
    figures = SchemeQuarter.objects.get(scheme=scheme_2a, quarter=Quarter.Q2)
    assert figures.ytd_actual == Decimal("95001.50")
    assert figures.commentary == "Half delivered."
    assert figures.rag == "GREEN"
    assert figures.updated_by == finance


def test_edit_row_in_place_returns_the_row(client, finance, scheme_2a):
    client.force_login(finance)
    response = client.post(
        row_url(scheme_2a),
        row_data(rag="AMBER", rag_reason="Nothing delivered against the profile."),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert response.templates[0].name == "monitoring/_grid_row.html"
    content = response.content.decode()
    assert f'<tr id="scheme-{scheme_2a.pk}"' in content
    assert 'rag-amber">AMBER</span>' in content
    assert "<html" not in content
    figures = SchemeQuarter.objects.get(scheme=scheme_2a, quarter=Quarter.Q2)
    assert figures.rag == "AMBER"
    assert figures.rag_reason == "Nothing delivered against the profile."


def test_edit_row_in_place_worsening_without_a_reason_shows_the_form_again(client, finance, scheme_2a):
    client.force_login(finance)
    response = client.post(row_url(scheme_2a), row_data(rag="AMBER"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response.templates[0].name == "monitoring/_grid_row_form.html"
    assert "worsens the status or skips a level" in response.content.decode()
    assert SchemeQuarter.objects.get(scheme=scheme_2a).rag == "GREEN"


@pytest.mark.parametrize("bad", ["abc", "12,00", "1.234", "--2"])
def test_edit_row_with_an_invalid_amount(client, finance, scheme_2a, bad):
    client.force_login(finance)
    response = client.post(row_url(scheme_2a), row_data(ytd_actual=bad))
    assert response.status_code == 400
    content = response.content.decode()
    assert "is-invalid" in content
    assert re.search(r"(is not an amount|more than two decimal places|more than one minus sign)", content)
    assert SchemeQuarter.objects.get(scheme=scheme_2a).ytd_actual == Decimal("0")


def test_edit_row_after_the_quarter_is_locked(client, finance, scheme_2a):
    services.quarter_lock(period=SEED_004_PERIOD, user=finance)
    before = list(SchemeQuarter.objects.order_by("pk").values())
    client.force_login(finance)
    assert client.get(row_url(scheme_2a)).status_code == 403
    assert client.post(row_url(scheme_2a), row_data(ytd_actual="1")).status_code == 403
    response = client.post(row_url(scheme_2a), row_data(ytd_actual="1"), HTTP_HX_REQUEST="true")
    assert response.status_code == 403
    assert list(SchemeQuarter.objects.order_by("pk").values()) == before
    grid = client.get(grid_url()).content.decode()
    assert "Locked" in grid
    assert f'href="{row_url(scheme_2a)}"' not in grid


def test_row_of_another_year_is_not_found(client, finance, scheme_2a):
    client.force_login(finance)
    assert client.get(row_url(scheme_2a, PLAN_PERIOD)).status_code == 404


def test_history_page_names_who_changed_the_rag(client, finance, scheme_2a):
    client.force_login(finance)
    client.post(row_url(scheme_2a), row_data(rag="AMBER", rag_reason="Behind profile."), HTTP_HX_REQUEST="true")
    client.post(row_url(scheme_2a), row_data(rag="RED", rag_reason="Contract not renegotiated."))
    figures = SchemeQuarter.objects.get(scheme=scheme_2a)
    assert [record.history_user for record in figures.history.order_by("history_date", "history_id")][1:] == [
        finance,
        finance,
    ]
    content = client.get(reverse("monitoring:scheme_history", args=[scheme_2a.pk])).content.decode()
    assert finance.get_full_name() in content
    assert "Green → Amber" in content
    assert "Amber → Red" in content
    assert "Reason: Contract not renegotiated." in content
    assert content.index("Amber → Red") < content.index("Green → Amber")  # newest first


# The manager's update page and finance's review


def update_url(plan, quarter=Quarter.Q2) -> str:
    return reverse("monitoring:plan_update", args=[plan.pk, quarter])


def update_data(milestone, **overrides: str) -> dict[str, str]:
    """What the Q2 update form posts (opened just now: the update's version, 0 before it exists)."""
    current = PlanUpdate.objects.filter(plan=milestone.plan, quarter=Quarter.Q2).values_list("version", flat=True)
    data = {
        "version": str(current.first() or 0),
        "on_target": "partial",
        "narrative": "Conversations with staff with regards to moving to permanent contracts are ongoing.",
        "milestones_explanation": "",
        "recovery_actions": "",
        "alternative_proposal": "",
        f"milestone-{milestone.pk}-status": "on_track",
        f"milestone-{milestone.pk}-revised_due_text": "",
        "submit": "1",
    }
    data.update(overrides)
    return data


def test_update_page_for_the_manager(client, manager, live_plan, milestone):
    client.force_login(manager)
    response = client.get(update_url(live_plan))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Recruitment of 2 IRO’s" in content
    assert "December 23" in content
    assert "Not started" in content


def test_submit_no_without_a_proposal_shows_the_message(client, manager, live_plan, milestone):
    client.force_login(manager)
    response = client.post(update_url(live_plan), update_data(milestone, on_target="no"))
    assert response.status_code == 400
    content = response.content.decode()
    assert "The plan is not on target: THERE IS NO NEW MONEY AVAILABLE, so give an alternative proposal" in content
    assert response.context["form"].errors.keys() == {"alternative_proposal"}
    assert not PlanUpdate.objects.exists()


def submit_url(plan, quarter=Quarter.Q2) -> str:
    return reverse("monitoring:plan_update_submit", args=[plan.pk, quarter])


def confirm_submit(client, plan, quarter=Quarter.Q2):
    """The confirmation page's button: confirm=1 with the version the page carries."""
    page = client.get(submit_url(plan, quarter))
    assert page.status_code == 200
    version = re.search(r'name="version" value="(\d+)"', page.content.decode()).group(1)
    return client.post(submit_url(plan, quarter), {"confirm": "1", "version": version})


def test_submit_a_complete_update(client, manager, live_plan, milestone):
    client.force_login(manager)
    response = client.post(
        update_url(live_plan),
        update_data(milestone, on_target="no", alternative_proposal="Realign the agency budget to permanent posts."),
    )
    # "Save and submit" saves and asks for confirmation: not submitted yet.
    assert response.status_code == 302
    assert response["Location"] == submit_url(live_plan)
    assert PlanUpdate.objects.get().status == PlanUpdate.Status.DRAFT
    response = confirm_submit(client, live_plan)
    assert response.status_code == 302
    assert response["Location"] == update_url(live_plan)
    update = PlanUpdate.objects.get()
    assert update.status == PlanUpdate.Status.SUBMITTED
    assert update.on_target == "no"
    assert update.submitted_by == manager
    assert update.milestone_progress.get().status == "on_track"
    # Submitted: the page now shows it read-only.
    page = client.get(update_url(live_plan))
    assert page.context["form"] is None
    assert client.post(update_url(live_plan), update_data(milestone)).status_code == 403


def test_a_slipped_milestone_on_the_page(client, manager, live_plan, milestone):
    client.force_login(manager)
    slipped = update_data(
        milestone,
        **{
            f"milestone-{milestone.pk}-status": "slipped",
            "milestones_explanation": "Recruitment took longer.",
            "recovery_actions": "Interviews in January.",
        },
    )
    response = client.post(update_url(live_plan), slipped)
    assert response.status_code == 400
    assert "Give the revised date for a milestone that has slipped." in response.content.decode()

    response = client.post(
        update_url(live_plan), {**slipped, f"milestone-{milestone.pk}-revised_due_text": "March 2024"}
    )
    assert response.status_code == 302
    assert confirm_submit(client, live_plan).status_code == 302
    assert PlanUpdate.objects.get().status == PlanUpdate.Status.SUBMITTED
    progress = PlanUpdate.objects.get().milestone_progress.get()
    assert str(progress.revised_due_date) == "2024-03-31"
    milestone.refresh_from_db()
    assert milestone.due_text == "December 23"


def test_save_a_draft_from_the_page(client, manager, live_plan, milestone):
    client.force_login(manager)
    data = update_data(milestone, on_target="", narrative="Started.")
    del data["submit"]
    data["save"] = "1"
    assert client.post(update_url(live_plan), data).status_code == 302
    update = PlanUpdate.objects.get()
    assert update.status == PlanUpdate.Status.DRAFT
    assert update.narrative == "Started."


@pytest.fixture
def filed(client, manager, live_plan, milestone):
    client.force_login(manager)
    assert client.post(update_url(live_plan), update_data(milestone)).status_code == 302
    assert confirm_submit(client, live_plan).status_code == 302
    client.logout()
    update = PlanUpdate.objects.get()
    assert update.status == PlanUpdate.Status.SUBMITTED
    return update


def review(client, plan, **data: str):
    """Finance's review as the browser sends it: the review form, then (to approve or return)
    the confirmation page's button with what it carries."""
    url = reverse("monitoring:plan_update_review", args=[plan.pk, Quarter.Q2])
    version = PlanUpdate.objects.filter(plan=plan, quarter=Quarter.Q2).values_list("version", flat=True).first()
    data = {"version": str(version), **data}
    response = client.post(url, data)
    if response.status_code != 200:
        return response  # refused, or (changing the RAG only) done at once
    assert response.templates[0].name == "monitoring/review_confirm.html"
    carried = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', response.content.decode()))
    assert carried["confirm"] == "1"
    return client.post(url, {key: html.unescape(value) for key, value in carried.items()})


def test_finance_sees_the_review_form(client, finance, filed, live_plan):
    client.force_login(finance)
    response = client.get(update_url(live_plan))
    assert response.context["review_form"] is not None
    assert response.context["review_form"].initial["rag"] == "AMBER"


def test_finance_approves(client, finance, filed, live_plan):
    client.force_login(finance)
    response = review(client, live_plan, decision="approve", rag="", rag_reason="", comments="Agreed.")
    assert response.status_code == 302
    assert response["Location"] == update_url(live_plan)
    filed.refresh_from_db()
    assert filed.status == PlanUpdate.Status.APPROVED
    assert filed.rag == "AMBER"
    assert filed.reviewed_by == finance
    assert filed.finance_comments == "Agreed."


def test_finance_returns_with_comments(client, finance, filed, live_plan, manager):
    client.force_login(finance)
    review(client, live_plan, decision="return", comments="")
    filed.refresh_from_db()
    assert filed.status == PlanUpdate.Status.SUBMITTED
    review(client, live_plan, decision="return", comments="Which posts are still agency?")
    filed.refresh_from_db()
    assert filed.status == PlanUpdate.Status.RETURNED
    client.force_login(manager)
    page = client.get(update_url(live_plan))
    assert page.context["form"] is not None
    assert "Which posts are still agency?" in page.content.decode()


def test_a_worsening_approval_without_a_reason_is_not_recorded(client, finance, filed, live_plan):
    PlanUpdateFactory(plan=live_plan, quarter=Quarter.Q1, status="approved", on_target="yes", rag="GREEN")
    client.force_login(finance)
    response = review(client, live_plan, decision="approve", rag="AMBER", rag_reason="", comments="")
    assert response.status_code == 302
    filed.refresh_from_db()
    assert filed.status == PlanUpdate.Status.SUBMITTED
    page = client.get(update_url(live_plan)).content.decode()
    assert "worsens the status or skips a level" in page


def test_finance_changes_the_plans_rag_after_approval(client, finance, filed, live_plan):
    client.force_login(finance)
    review(client, live_plan, decision="approve", rag="", rag_reason="", comments="")
    review(client, live_plan, decision="set_rag", rag="RED", rag_reason="", comments="")
    filed.refresh_from_db()
    assert filed.rag == "AMBER"  # AMBER -> RED worsens: a reason is needed
    review(client, live_plan, decision="set_rag", rag="RED", rag_reason="Recruitment has stopped.", comments="")
    filed.refresh_from_db()
    assert filed.rag == "RED"
    assert filed.rag_reason == "Recruitment has stopped."
    assert filed.status == PlanUpdate.Status.APPROVED


def test_nobody_sets_the_rag_of_a_draft(client, finance, manager, live_plan):
    draft = PlanUpdateFactory(plan=live_plan, quarter=Quarter.Q2, status="draft")
    client.force_login(finance)
    response = review(client, live_plan, decision="set_rag", rag="GREEN", rag_reason="", comments="")
    assert response.status_code == 404  # a draft is its managers' own: finance does not see it
    draft.refresh_from_db()
    assert draft.rag == ""


def test_plan_update_list_shows_a_manager_only_their_plans(client, manager, live_plan, other_live_plan, filed):
    client.force_login(manager)
    response = client.get(reverse("monitoring:plan_updates", args=["2023-24", "Q2"]))
    assert [plan for plan, _ in response.context["items"]] == [live_plan]
    assert response.context["items"][0][1] == filed
    assert "Submitted" in response.content.decode()
