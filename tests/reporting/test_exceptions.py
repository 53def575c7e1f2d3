"""Exception views: each rule on both sides of its boundary (pure, on hand-built inputs), then the
selectors that feed them, and the exceptions page and its XLSX downloads after load_demo."""

from __future__ import annotations

import io
import json
import re
from datetime import date, timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from monitoring.models import MilestoneProgress, PlanUpdate, Scheme, SchemeQuarter
from plans.models import DeficitRecoveryPlan, Milestone
from recovery.periods import FinancialYear, Period, Quarter
from recovery.rag import RAG
from recovery.reporting import exception_report as exceptions
from recovery.reporting import selectors
from recovery.reporting.builders import SchemeLine
from recovery.reporting.exception_report import MilestoneLine, SchemeException
from tests.factories import MilestoneFactory, PlanFactory, PlanUpdateFactory
from tests.reporting.seeds import multiply_schemes

TODAY = date(2023, 12, 20)
Q2_2012 = Period(FinancialYear(2012), Quarter.Q2)
Q3_2023 = Period(FinancialYear(2023), Quarter.Q3)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def line(
    ref: str = "1",
    *,
    rag: RAG | None = RAG.GREEN,
    target: str = "100000",
    ytd_budget: str | None = None,
    ytd_actual: str | None = None,
    shortfall: str | None = "0",
    unallocated: bool = False,
) -> SchemeLine:
    return SchemeLine(
        directorate="Adult Social Services",
        portfolio="Adult Social Care Transformation",
        service_area="Adult Social Care Transformation",
        ref=ref,
        title=f"Scheme {ref}",
        target=Decimal(target),
        is_unallocated=unallocated,
        ytd_budget=None if ytd_budget is None else Decimal(ytd_budget),
        ytd_actual=None if ytd_actual is None else Decimal(ytd_actual),
        projected_shortfall=None if shortfall is None else Decimal(shortfall),
        rag=rag,
    )


def item(
    ref: str = "1", *, previous: RAG | None = None, has_figures: bool = True, **figures: object
) -> SchemeException:
    return SchemeException(line=line(ref, **figures), previous_rag=previous, has_figures=has_figures)


def milestone(details: str, due: date, *, status: str = "", revised: bool = False) -> MilestoneLine:
    return MilestoneLine(
        plan="Children’s Staffing 2023/24",
        service_area="Children’s Staffing",
        details=details,
        amount=Decimal("37699.68"),
        due_text="December 23",
        due=due,
        revised=revised,
        status=status,
    )


def refs(rows) -> list[str]:
    return [row.get("ref") for row in rows]


# RED and AMBER -----------------------------------------------------------------------------------


def test_red_amber_keeps_red_and_amber_only_red_first():
    items = [
        item("a1", rag=RAG.AMBER),
        item("g", rag=RAG.GREEN),
        item("r1", rag=RAG.RED),
        item("b", rag=RAG.BLUE),
        item("none", rag=None),
        item("a2", rag=RAG.AMBER),
        item("r2", rag=RAG.RED),
    ]

    rows = exceptions.red_amber(items)

    assert refs(rows) == ["r1", "r2", "a1", "a2"]
    assert [row.get("rag") for row in rows] == [RAG.RED, RAG.RED, RAG.AMBER, RAG.AMBER]


def test_red_amber_keeps_the_unallocated_requirement_marked_as_such():
    rows = exceptions.red_amber([item("", rag=RAG.RED, unallocated=True, ytd_actual="0")])

    assert [row.kind for row in rows] == ["unallocated"]
    assert rows[0].get("balance") == Decimal("100000")


def test_an_unknown_actual_leaves_the_balance_unknown_not_the_whole_target():
    rows = exceptions.red_amber([item("", rag=RAG.RED, unallocated=True, ytd_actual=None)])

    assert rows[0].get("balance") is None


def test_red_amber_row_has_the_balance_to_achieve():
    rows = exceptions.red_amber([item("r", rag=RAG.RED, target="933338", ytd_actual="0", shortfall="700338")])

    assert rows[0].get("balance") == Decimal("933338")
    assert rows[0].get("projected_shortfall") == Decimal("700338")


# Overdue milestones ------------------------------------------------------------------------------


def test_milestone_due_yesterday_and_not_met_is_overdue():
    rows = exceptions.overdue([milestone("Recruitment of 2 IRO’s", TODAY - timedelta(days=1))], today=TODAY)

    assert [row.get("details") for row in rows] == ["Recruitment of 2 IRO’s"]
    assert rows[0].get("days") == Decimal(1)
    assert rows[0].get("status") == "No progress reported"


def test_milestone_due_today_is_not_yet_overdue():
    assert exceptions.overdue([milestone("due today", TODAY)], today=TODAY) == []


def test_milestone_due_yesterday_but_met_is_not_overdue():
    assert exceptions.overdue([milestone("met", TODAY - timedelta(days=1), status="Met")], today=TODAY) == []


@pytest.mark.parametrize("status", ["On track", "Slipped (revised date)", "Will not be met"])
def test_milestone_overdue_whatever_else_its_progress_says(status):
    rows = exceptions.overdue([milestone("late", TODAY - timedelta(days=1), status=status)], today=TODAY)

    assert [row.get("status") for row in rows] == [status]


def test_revised_due_date_not_yet_passed_is_not_overdue():
    assert exceptions.overdue([milestone("revised", TODAY + timedelta(days=30), revised=True)], today=TODAY) == []


def test_revised_due_date_passed_is_overdue_and_says_revised():
    rows = exceptions.overdue([milestone("revised", date(2023, 11, 30), revised=True)], today=TODAY)

    assert rows[0].get("due") == "December 23 (30/11/2023, revised)"
    assert rows[0].get("days") == Decimal(20)


def test_overdue_milestones_are_listed_oldest_first():
    rows = exceptions.overdue(
        [milestone("newer", date(2023, 12, 1)), milestone("older", date(2023, 11, 1))], today=TODAY
    )

    assert [row.get("details") for row in rows] == ["older", "newer"]


# RAG that the figures contradict -----------------------------------------------------------------


def test_green_with_a_penny_of_projected_shortfall_is_listed():
    rows = exceptions.disagreements([item("g", rag=RAG.GREEN, ytd_actual="50000", shortfall="0.01")])

    assert refs(rows) == ["g"]
    assert rows[0].get("detail").startswith("GREEN but a shortfall of")
    assert rows[0].get("projected_shortfall") == Decimal("0.01")


def test_green_with_no_projected_shortfall_is_not_listed():
    assert exceptions.disagreements([item("g", rag=RAG.GREEN, ytd_actual="50000", shortfall="0")]) == []


def test_green_with_nil_projected_shortfall_is_not_listed():
    assert exceptions.disagreements([item("g", rag=RAG.GREEN, ytd_actual="50000", shortfall=None)]) == []


def test_blue_with_a_penny_still_to_achieve_is_listed():
    rows = exceptions.disagreements([item("b", rag=RAG.BLUE, target="100000", ytd_actual="99999.99")])

    assert refs(rows) == ["b"]
    assert "still to achieve" in rows[0].get("detail")
    assert rows[0].get("balance") == Decimal("0.01")


def test_blue_with_nothing_left_to_achieve_is_not_listed():
    assert exceptions.disagreements([item("b", rag=RAG.BLUE, target="100000", ytd_actual="100000")]) == []


def test_unrated_scheme_never_disagrees():
    assert exceptions.disagreements([item("n", rag=None, ytd_actual="0", shortfall="50000")]) == []


def test_disagreement_says_what_the_figures_suggest():
    rows = exceptions.disagreements([item("g", rag=RAG.GREEN, ytd_actual="0", shortfall="100000")])

    assert rows[0].get("detail").endswith("Figures suggest RED.")


# RAG changes -------------------------------------------------------------------------------------


def test_amber_to_red_is_listed_as_worsened():
    rows = exceptions.rag_changes([item("w", rag=RAG.RED, previous=RAG.AMBER)])

    assert refs(rows) == ["w"]
    assert rows[0].get("detail") == "Worsened: AMBER → RED"


def test_red_to_green_is_listed_as_improved():
    rows = exceptions.rag_changes([item("i", rag=RAG.GREEN, previous=RAG.RED)])

    assert [row.get("detail") for row in rows] == ["Improved: RED → GREEN"]


def test_unchanged_rag_is_not_listed():
    assert exceptions.rag_changes([item("u", rag=RAG.AMBER, previous=RAG.AMBER)]) == []


def test_first_rating_is_not_a_change():
    assert exceptions.rag_changes([item("n", rag=RAG.RED, previous=None)]) == []


def test_rating_removed_is_not_a_change():
    assert exceptions.rag_changes([item("n", rag=None, previous=RAG.RED)]) == []


# Not updated -------------------------------------------------------------------------------------


def test_schemes_without_figures_this_quarter_are_listed():
    rows = exceptions.not_updated_schemes(
        [item("with", has_figures=True), item("without", has_figures=False, rag=None)]
    )

    assert refs(rows) == ["without"]


def test_build_exceptions_only_one_view_and_none_where_empty():
    report = exceptions.build_exceptions(
        period=Q3_2023,
        schemes=[item("r", rag=RAG.RED)],
        milestones=[],
        plans_not_updated=[],
        organisation="Example Council",
        generated_at=timezone.now(),
        today=TODAY,
        only="overdue",
    )

    assert [section.key for section in report.sections] == ["overdue"]
    assert report.sections[0].lines == ["None."]
    assert report.title == "Exceptions: Overdue milestones"


def test_build_exceptions_not_updated_includes_schemes_without_figures():
    report = exceptions.build_exceptions(
        period=Q3_2023,
        schemes=[item("x", has_figures=False)],
        milestones=[],
        plans_not_updated=[exceptions.PlanLine("Children’s Placements 2023/24", "CFE", "Sam Manager", "Not started")],
        organisation="Example Council",
        generated_at=timezone.now(),
        today=TODAY,
        only="not_updated",
    )

    assert [section.key for section in report.sections] == ["not_updated", "not_updated_schemes"]
    assert [len(section.rows) for section in report.sections] == [1, 1]


# Selectors ---------------------------------------------------------------------------------------


@pytest.fixture
def staffing(db):
    """A submitted 2023/24 plan with a milestone due "December 23" (31/12/2023)."""
    plan = PlanFactory(status=DeficitRecoveryPlan.Status.SUBMITTED, service_area__name="Children’s Staffing")
    return plan


def _progress(plan, ms: Milestone, quarter: int, *, status: str, revised: date | None = None) -> MilestoneProgress:
    update, _ = PlanUpdate.objects.get_or_create(plan=plan, quarter=quarter, defaults={"status": "submitted"})
    return MilestoneProgress.objects.create(
        update=update,
        milestone=ms,
        status=status,
        revised_due_text=f"{revised:%B %y}" if revised else "",
        revised_due_date=revised,
    )


@pytest.mark.django_db
def test_milestone_lines_use_the_latest_revised_date(staffing):
    ms = MilestoneFactory(plan=staffing, details="Recruitment of 2 IRO’s", due_text="December 23")
    _progress(staffing, ms, 2, status="slipped", revised=date(2024, 2, 29))
    _progress(staffing, ms, 3, status="slipped", revised=date(2024, 6, 30))

    (found,) = selectors.milestone_lines(period=Q3_2023)

    assert found.due == date(2024, 6, 30)
    assert found.revised is True
    assert found.status == "Slipped (revised date)"
    assert found.plan == "Children’s Staffing 2023/24"
    # Not overdue on 1 March 2024 (the Q2 revision has passed, the latest has not) …
    assert exceptions.overdue([found], today=date(2024, 3, 1)) == []
    # … and overdue the day after the latest revised date.
    assert len(exceptions.overdue([found], today=date(2024, 7, 1))) == 1


@pytest.mark.django_db
def test_milestone_lines_keep_a_revision_when_a_later_update_has_none(staffing):
    ms = MilestoneFactory(plan=staffing, due_text="December 23")
    _progress(staffing, ms, 2, status="slipped", revised=date(2024, 5, 31))
    _progress(staffing, ms, 3, status="on_track")

    (found,) = selectors.milestone_lines(period=Q3_2023)

    assert (found.due, found.revised, found.status) == (date(2024, 5, 31), True, "On track")


@pytest.mark.django_db
def test_milestone_lines_take_the_later_quarters_revision_even_if_earlier(staffing):
    ms = MilestoneFactory(plan=staffing, due_text="December 23")
    _progress(staffing, ms, 2, status="slipped", revised=date(2024, 6, 30))
    _progress(staffing, ms, 3, status="slipped", revised=date(2024, 2, 29))

    (found,) = selectors.milestone_lines(period=Q3_2023)

    assert found.due == date(2024, 2, 29)


@pytest.mark.django_db
def test_milestone_lines_without_progress_use_the_original_date(staffing):
    MilestoneFactory(plan=staffing, due_text="December 23")

    (found,) = selectors.milestone_lines(period=Q3_2023)

    assert (found.due, found.revised, found.status) == (date(2023, 12, 31), False, "")


@pytest.mark.django_db
def test_milestone_marked_met_in_any_update_is_met(staffing):
    ms = MilestoneFactory(plan=staffing, due_text="November 23")
    _progress(staffing, ms, 2, status="met")

    (found,) = selectors.milestone_lines(period=Q3_2023)

    assert found.status == "Met"
    assert exceptions.overdue([found], today=TODAY) == []


@pytest.mark.django_db
def test_milestone_without_a_readable_date_is_left_out_unless_revised(staffing):
    unreadable = MilestoneFactory(plan=staffing, details="unreadable", due_text="when staff are recruited")
    MilestoneFactory(plan=staffing, details="unreadable, never revised", due_text="soon")
    assert unreadable.due_date is None
    _progress(staffing, unreadable, 2, status="slipped", revised=date(2024, 1, 31))

    lines = selectors.milestone_lines(period=Q3_2023)

    assert [(found.details, found.due) for found in lines] == [("unreadable", date(2024, 1, 31))]


@pytest.mark.django_db
def test_milestone_lines_only_of_the_periods_year(staffing):
    MilestoneFactory(plan=staffing, due_text="December 23")
    older = PlanFactory(financial_year=FinancialYear(2022), service_area=staffing.service_area)
    MilestoneFactory(plan=older, due_text="December 22")

    assert [found.due for found in selectors.milestone_lines(period=Q3_2023)] == [date(2023, 12, 31)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "listed"),
    [("draft", True), ("returned", True), ("submitted", False), ("approved", False), (None, True)],
)
def test_plans_not_updated_by_the_status_of_this_quarters_update(staffing, status, listed):
    if status is not None:
        PlanUpdateFactory(plan=staffing, quarter=3, status=status)
    PlanUpdateFactory(plan=staffing, quarter=2, status="submitted")  # last quarter's says nothing

    lines = selectors.plans_not_updated(period=Q3_2023)

    assert [found.plan for found in lines] == (["Children’s Staffing 2023/24"] if listed else [])
    if listed:
        expected = {"draft": "Draft", "returned": "Returned for changes", None: "Not started"}[status]
        assert lines[0].update_status == expected


@pytest.mark.django_db
def test_plans_not_updated_names_the_managers(staffing, manager):
    staffing.managers.add(manager)

    (found,) = selectors.plans_not_updated(period=Q3_2023)

    assert found.managers == manager.get_full_name()


@pytest.mark.django_db
def test_scheme_exceptions_carry_last_quarters_rag_and_whether_there_are_figures(staffing):
    area = staffing.service_area
    rated = Scheme.objects.create(service_area=area, financial_year=FinancialYear(2023), ref="1", title="a")
    SchemeQuarter.objects.create(scheme=rated, quarter=2, rag="AMBER")
    SchemeQuarter.objects.create(scheme=rated, quarter=3, rag="RED")
    silent = Scheme.objects.create(service_area=area, financial_year=FinancialYear(2023), ref="2", title="b")
    SchemeQuarter.objects.create(scheme=silent, quarter=2, rag="GREEN")

    found = {entry.line.ref: entry for entry in selectors.scheme_exceptions(period=Q3_2023)}

    assert (found["1"].previous_rag, found["1"].line.rag, found["1"].has_figures) == (RAG.AMBER, RAG.RED, True)
    assert (found["2"].previous_rag, found["2"].line.rag, found["2"].has_figures) == (RAG.GREEN, None, False)
    assert [row.get("ref") for row in exceptions.rag_changes(list(found.values()))] == ["1"]
    assert [row.get("ref") for row in exceptions.not_updated_schemes(list(found.values()))] == ["2"]


# The page and its downloads after load_demo -------------------------------------------------------


def user(username: str):
    return get_user_model().objects.get(username=username)


@pytest.fixture
def finance_client(client, demo):
    client.force_login(user("finance"))
    return client


def section_rows(html: str, key: str) -> list[str]:
    match = re.search(rf'<section class="report-section[^"]*" id="{key}".*?</section>', html, re.DOTALL)
    assert match is not None, key
    return re.findall(r'<tr class="row-(?:item|unallocated)">(.*?)</tr>', match.group(0), re.DOTALL)


def sheet_rows(body: bytes) -> dict[str, list[tuple]]:
    """Each table sheet's data rows by section title (the 'None.' line left out)."""
    workbook = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
    found = {}
    for sheet in workbook.worksheets:
        if sheet.title == "Summary":
            continue
        rows = list(sheet.iter_rows(values_only=True))
        title = rows[0][0].split(" – ", 1)[1]
        found[title] = [row for row in rows[3:] if row and row[0] != "None."]
    return found


def test_red_amber_page_lists_five_red_the_unallocated_and_sixteen_amber(finance_client):
    response = finance_client.get("/reports/exceptions/2012-13/Q2/", {"only": "red_amber"})

    assert response.status_code == 200
    html = response.content.decode()
    rows = section_rows(html, "red_amber")
    assert len(rows) == 22
    rags = [re.search(r"rag-(\w+)", row).group(1) for row in rows]
    assert rags == ["red"] * 6 + ["amber"] * 16
    assert html.count('<tr class="row-unallocated">') == 1
    assert "Additional savings requirement to balance the budget" in html
    assert 'id="overdue"' not in html  # one view only


def test_exceptions_all_views_for_seed_004(finance_client):
    html = finance_client.get("/reports/exceptions/2012-13/Q2/").content.decode()

    assert len(section_rows(html, "red_amber")) == 22
    # GREEN but behind the year-to-date profile: 2A (190,002 profiled, 0 actual) and 20c (54,000, 0).
    disagreeing = section_rows(html, "disagreements")
    assert [re.search(r'<th scope="row">([^<]*)</th>', row).group(1) for row in disagreeing] == ["2A", "20c"]
    for key in ("overdue", "not_updated", "not_updated_schemes", "rag_changes"):
        assert section_rows(html, key) == [], key


def test_overdue_and_not_updated_for_the_2023_plans(finance_client):
    html = finance_client.get("/reports/exceptions/2023-24/Q3/").content.decode()

    # Every milestone of 000 and 003 is due by 31/03/2024, long passed, and none is marked met.
    overdue = section_rows(html, "overdue")
    assert len(overdue) == 5
    assert "Recruitment of 2 IRO’s" in html
    not_updated = section_rows(html, "not_updated")
    assert len(not_updated) == 3
    assert "Children’s Placements 2023/24" in html


def test_unknown_only_falls_back_to_every_view(finance_client):
    everything = finance_client.get("/reports/exceptions/2012-13/Q2/")
    unknown = finance_client.get("/reports/exceptions/2012-13/Q2/", {"only": "nonsense"})

    assert unknown.status_code == 200
    keys = [section.key for section in unknown.context["report"].sections]
    assert keys == [section.key for section in everything.context["report"].sections]
    assert keys == ["red_amber", "overdue", "not_updated", "not_updated_schemes", "disagreements", "rag_changes", "dmt"]
    assert unknown.context["report"].title == "Exception report"


def test_rag_changes_page_after_last_quarters_ratings(finance_client):
    for ref, rag in (("2A", "AMBER"), ("1", "AMBER"), ("9", "AMBER")):
        scheme = Scheme.objects.for_year(FinancialYear(2012)).get(ref=ref)
        SchemeQuarter.objects.create(scheme=scheme, quarter=1, rag=rag)

    html = finance_client.get("/reports/exceptions/2012-13/Q2/", {"only": "rag_changes"}).content.decode()

    rows = section_rows(html, "rag_changes")
    assert len(rows) == 2
    assert "Worsened: AMBER → RED" in rows[0]
    assert "Improved: AMBER → GREEN" in rows[1]


@pytest.mark.parametrize(
    ("period", "only", "expected"),
    [
        ("2012-13/Q2", "red_amber", {"RED and AMBER schemes": 22}),
        ("2012-13/Q2", "disagreements", {"RAG that the figures contradict": 2}),
        ("2012-13/Q2", "rag_changes", {"RAG changes this quarter": 0}),
        ("2023-24/Q3", "overdue", {"Overdue milestones": 5}),
        (
            "2023-24/Q3",
            "not_updated",
            {"Not updated this quarter": 3, "Schemes without figures this quarter": 0},
        ),
        (
            "2012-13/Q2",
            "",
            {
                "RED and AMBER schemes": 22,
                "Overdue milestones": 0,
                "Not updated this quarter": 0,
                "Schemes without figures this quarter": 0,
                "RAG that the figures contradict": 2,
                "RAG changes this quarter": 0,
                "Alternative proposals and DMT's decisions": 0,
            },
        ),
        # Seed 000 and 003 at Q3: no RED update with a proposal.
        ("2023-24/Q3", "dmt", {"Alternative proposals and DMT's decisions": 0}),
    ],
)
def test_each_view_downloads_as_a_workbook_with_its_rows(finance_client, period, only, expected):
    response = finance_client.get(f"/reports/exceptions/{period}/", {"only": only, "format": "xlsx"})

    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"].startswith("attachment;")
    sheets = sheet_rows(response.content)
    assert {title: len(rows) for title, rows in sheets.items()} == expected


def test_red_amber_workbook_has_the_seed_figures(finance_client):
    response = finance_client.get("/reports/exceptions/2012-13/Q2/", {"only": "red_amber", "format": "xlsx"})

    rows = sheet_rows(response.content)["RED and AMBER schemes"]

    # Seed 004's RED group as printed (scheme no, target), the unallocated requirement last.
    assert [(row[0] or "", row[3], row[4]) for row in rows[:6]] == [
        ("1", "RED", 50000),
        ("7", "RED", 143000),
        ("8", "RED", 192000),
        ("15", "RED", 1200000),
        ("16a", "RED", 933338),
        ("", "RED", 436298),
    ]
    assert [row[3] for row in rows[6:]] == ["AMBER"] * 16
    assert sum(row[4] for row in rows[6:]) == 2634805


def test_manager_may_not_see_the_exceptions(client, demo):
    client.force_login(user("manager"))

    assert client.get("/reports/exceptions/2012-13/Q2/").status_code == 403
    assert client.get("/reports/exceptions/2012-13/Q2/", {"format": "xlsx"}).status_code == 403


def test_exceptions_page_query_count_does_not_grow_with_the_schemes(finance_client):
    url = "/reports/exceptions/2012-13/Q2/"
    with CaptureQueriesContext(connection) as before:
        assert finance_client.get(url).status_code == 200

    multiply_schemes(Q2_2012, 9)
    with CaptureQueriesContext(connection) as after:
        response = finance_client.get(url)

    assert response.status_code == 200
    assert len(after.captured_queries) == len(before.captured_queries)
    # The page shows a page of rows (100); the report has them all, as every download does.
    assert len(section_rows(response.content.decode(), "red_amber")) == 100
    data = json.loads(finance_client.get(url, {"format": "json"}).content)
    assert len(next(s for s in data["sections"] if s["key"] == "red_amber")["rows"]) == 220
