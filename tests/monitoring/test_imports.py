"""Importing a savings tracker (monitoring.imports): the seed trackers round trip, re-imports
change nothing, an edited file updates and keeps history, and with any error nothing is
imported. Expected figures are the seeds' own, written out here."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db.models import Count, Sum

from monitoring import services
from monitoring.imports import tracker_import, tracker_preview
from monitoring.models import MonitoringQuarter, Scheme, SchemeQuarter
from plans.models import Directorate, Portfolio, ServiceArea
from recovery.periods import FinancialYear, Period, Quarter
from tests.monitoring.tracker_helpers import TRACKER_002, TRACKER_004, counts, edited, scheme, state, xlsx

pytestmark = pytest.mark.django_db

TRANSFORMATION = "Adult Social Care Transformation"
Q2_2012 = Period(FinancialYear(2012), Quarter.Q2)

# Seed 002 by service area: target, and forecast by the end of next year (£000s as printed).
SEED_002_AREAS = {
    "Change and Strategy Delivery": ("1803000", "1803000"),
    "Living and Ageing Well": ("10888000", "10227000"),
    "Adults with a Disability": ("9506000", "8710000"),
    "Mental Health and Safeguarding": ("1650000", "1450000"),
    "Adult Commissioning and Partnerships": ("100000", "100000"),
    "Governance and Inclusion": ("1254000", "1783000"),
}


def import_file(data: bytes, user=None):
    return tracker_import(source=data, user=user)


@pytest.fixture
def demo(settings):
    settings.DEBUG = True
    call_command("load_demo", stdout=StringIO())


@pytest.fixture
def imported_004(administrator):
    summary = import_file(TRACKER_004.read_bytes(), administrator)
    assert summary.committed
    return summary


# Round trip on an empty database


def test_tracker_004_on_an_empty_database(finance):
    assert Scheme.objects.count() == 0
    summary = import_file(TRACKER_004.read_bytes(), finance)

    assert summary.committed
    assert (summary.new, summary.updated, summary.unchanged) == (35, 0, 0)
    assert summary.errors == []
    assert summary.warnings == []
    schemes = Scheme.objects.filter(financial_year=FinancialYear(2012))
    assert schemes.count() == 35
    assert schemes.filter(is_unallocated=False).count() == 34
    assert schemes.filter(is_unallocated=True).count() == 1
    assert set(schemes.values_list("service_area__name", "service_area__portfolio__directorate__name")) == {
        (TRANSFORMATION, "Adult Social Services")
    }
    quarters = SchemeQuarter.objects.for_period(Q2_2012)
    assert quarters.count() == 35
    assert quarters.aggregate(
        target=Sum("scheme__target"),
        ytd_budget=Sum("ytd_budget"),
        ytd_actual=Sum("ytd_actual"),
        projected_shortfall=Sum("projected_shortfall"),
    ) == {
        "target": Decimal("7956000"),
        "ytd_budget": Decimal("1849232"),
        "ytd_actual": Decimal("1691122"),
        "projected_shortfall": Decimal("2699636"),
    }
    by_rag = dict(quarters.filter(scheme__is_unallocated=False).values_list("rag").annotate(n=Count("pk")))
    assert by_rag == {"RED": 5, "AMBER": 16, "GREEN": 13}
    for ref in ("6b", "16b"):  # blank in the seed: nil, written as a dash in the tracker
        assert quarters.get(scheme__ref=ref).ytd_budget == Decimal(0)
    assert {quarter.forecast_next_year for quarter in quarters} == {None}  # no such column: unknown
    assert quarters.get(scheme__ref="6b").ytd_actual == Decimal("236146")
    two_b_ii = quarters.get(scheme__ref="2Bii")
    assert (two_b_ii.ytd_budget, two_b_ii.ytd_actual, two_b_ii.rag) == (Decimal("65280"), Decimal("78114"), "AMBER")
    assert schemes.get(ref="11").recurrence == "NR"
    assert schemes.get(is_unallocated=True).recurrence == ""
    assert schemes.filter(ref="16a").count() == 2


def test_tracker_002_on_an_empty_database(finance):
    summary = import_file(TRACKER_002.read_bytes(), finance)

    assert summary.committed
    assert (summary.new, summary.updated, summary.unchanged) == (27, 0, 0)
    schemes = Scheme.objects.filter(financial_year=FinancialYear(2022))
    assert schemes.count() == 27
    assert Scheme.objects.count() == 27
    assert SchemeQuarter.objects.filter(quarter=Quarter.Q3).count() == 27
    assert not SchemeQuarter.objects.exclude(quarter=Quarter.Q3).exists()
    targets = dict(schemes.values_list("service_area__name").annotate(total=Sum("target")))
    assert targets == {area: Decimal(target) for area, (target, _) in SEED_002_AREAS.items()}
    next_year = dict(
        SchemeQuarter.objects.filter(quarter=Quarter.Q3)
        .values_list("scheme__service_area__name")
        .annotate(total=Sum("forecast_next_year"))
    )
    assert next_year == {area: Decimal(forecast) for area, (_, forecast) in SEED_002_AREAS.items()}
    homecare = SchemeQuarter.objects.get(
        scheme__title="Review of new High-Cost Homecare arranged during Covid response"
    )
    assert homecare.ytd_actual == Decimal("2628000")
    integration = SchemeQuarter.objects.get(scheme__title__startswith="Efficiency through integration")
    assert integration.ytd_actual == Decimal("266400")
    assert ServiceArea.objects.get(name="Adults with a Disability").portfolio.name == "Adults with Disabilities"
    assert Directorate.objects.get().name == "Adult Social Care"

    assert len(summary.warnings) == 1
    warning = summary.warnings[0]
    assert (warning.row, warning.column) == (23, "Forecast (£000s)")
    assert "4,312" in str(warning)
    assert "4,338" in str(warning)


def test_preview_of_an_empty_database_changes_nothing():
    before = state()
    summary = tracker_preview(source=TRACKER_004.read_bytes())
    assert (summary.new, summary.updated, summary.unchanged) == (35, 0, 0)
    assert summary.new_service_areas == [f"{TRANSFORMATION} (Adult Social Services)"]
    assert not summary.committed
    assert state() == before


# After load_demo: the trackers say what the demo already holds


@pytest.mark.parametrize(("path", "rows"), [(TRACKER_004, 35), (TRACKER_002, 27)], ids=["004", "002"])
def test_preview_after_load_demo_is_all_unchanged(demo, path, rows):
    before = state()
    summary = tracker_preview(source=path.read_bytes())
    assert summary.errors == []
    assert (summary.new, summary.updated, summary.unchanged) == (0, 0, rows)
    assert summary.new_service_areas == []
    assert state() == before


@pytest.mark.parametrize(("path", "rows"), [(TRACKER_004, 35), (TRACKER_002, 27)], ids=["004", "002"])
def test_import_after_load_demo_changes_nothing(demo, finance, path, rows):
    before = state()
    summary = import_file(path.read_bytes(), finance)
    assert summary.committed
    assert (summary.new, summary.updated, summary.unchanged) == (0, 0, rows)
    assert state() == before


@pytest.mark.parametrize(("path", "rows"), [(TRACKER_004, 35), (TRACKER_002, 27)], ids=["004", "002"])
def test_importing_twice_changes_nothing_the_second_time(finance, path, rows):
    assert import_file(path.read_bytes(), finance).new == rows
    before = state()
    after_first = counts()

    summary = import_file(path.read_bytes(), finance)

    assert summary.committed
    assert (summary.new, summary.updated, summary.unchanged) == (0, 0, rows)
    assert counts() == after_first
    assert state() == before


# An edited file


def test_an_edited_figure_and_rag_update_one_scheme_and_keep_history(imported_004, administrator, finance):
    # Row 3 is scheme 7, "Market development of major homecare provider": RED, YTD actual 0.
    data = edited(TRACKER_004, {(3, "YTD actual"): 12500, (3, "RAG"): "AMBER"})
    before = counts()

    summary = import_file(data, finance)

    assert summary.committed
    assert summary.errors == []
    assert (summary.new, summary.updated, summary.unchanged) == (0, 1, 34)
    figures = SchemeQuarter.objects.get(scheme__ref="7", quarter=Quarter.Q2)
    assert figures.ytd_actual == Decimal("12500")
    assert figures.rag == "AMBER"
    assert figures.ytd_budget == Decimal("47672")
    records = list(figures.history.order_by("history_date", "history_id"))
    assert len(records) == 2
    old, new = records
    assert (old.ytd_actual, old.rag, old.history_user) == (Decimal("0"), "RED", administrator)
    assert (new.ytd_actual, new.rag, new.history_user) == (Decimal("12500"), "AMBER", finance)
    assert counts()["quarter_history"] == before["quarter_history"] + 1
    assert (counts()["schemes"], counts()["quarters"]) == (before["schemes"], before["quarters"])
    # The stated RED sub-total and TOTAL (YTD actual 0 and 1,691,122) no longer add up.
    assert {(warning.row, warning.column) for warning in summary.warnings} == {(8, "YTD actual"), (40, "YTD actual")}


def test_an_edited_target_updates_the_scheme_and_keeps_history(imported_004, administrator, finance):
    data = edited(TRACKER_004, {(20, "Target"): 400000, (40, "Target"): 7977000, (25, "Target"): 2655805})
    summary = import_file(data, finance)
    assert summary.committed
    assert summary.warnings == []
    assert (summary.new, summary.updated, summary.unchanged) == (0, 1, 34)
    reablement = Scheme.objects.get(ref="14a")
    assert reablement.target == Decimal("400000")
    old, new = reablement.history.order_by("history_date", "history_id")
    assert (old.target, old.history_user) == (Decimal("379000"), administrator)
    assert (new.target, new.history_user) == (Decimal("400000"), finance)


def test_a_new_title_is_a_new_scheme(imported_004, finance):
    data = edited(TRACKER_004, {(20, "Title"): "Reablement (phase 2)"})
    summary = import_file(data, finance)
    assert (summary.new, summary.updated, summary.unchanged) == (1, 0, 34)
    assert Scheme.objects.filter(ref="14a").count() == 2


def test_a_column_the_file_does_not_have_is_left_as_it_is(imported_004, finance):
    Scheme.objects.filter(ref="14a").update(timeline="By March 2013")
    SchemeQuarter.objects.filter(scheme__ref="14a").update(forecast_year_end=Decimal("379000"))
    summary = import_file(TRACKER_004.read_bytes(), finance)
    assert (summary.new, summary.updated, summary.unchanged) == (0, 0, 35)
    assert Scheme.objects.get(ref="14a").timeline == "By March 2013"
    assert SchemeQuarter.objects.get(scheme__ref="14a").forecast_year_end == Decimal("379000")


# New schemes from a hand-made file


def test_new_scheme_defaults_portfolio_recurrent_and_unallocated(finance):
    header = ["Financial year", "Quarter", "Directorate", "Service area", "Ref", "Title", "Target (£000s)",
              "Unallocated", "Commentary"]  # fmt: skip
    rows = [
        ["2023/24", "Q1", "Adult Social Care", "Living and Ageing Well", "1", "Reduced Agency Spend", 303, None,
         "Recruitment issues."],
        ["2023/24", "Q1", "Adult Social Care", "Living and Ageing Well", "", "Additional savings requirement", 436,
         "Y", None],
    ]  # fmt: skip
    summary = import_file(xlsx(rows, header=header), finance)
    assert summary.committed
    assert summary.new == 2
    agency = Scheme.objects.get(title="Reduced Agency Spend")
    assert agency.service_area.portfolio.name == "Living and Ageing Well"
    assert agency.service_area.portfolio.directorate.name == "Adult Social Care"
    assert (agency.is_unallocated, agency.target) == (False, Decimal("303000"))
    assert agency.challenges == "Recruitment issues."
    assert agency.history.get().history_user == finance
    unallocated = Scheme.objects.get(title="Additional savings requirement")
    assert (unallocated.recurrence, unallocated.is_unallocated) == ("", True)
    assert Portfolio.objects.count() == 1
    assert not SchemeQuarter.objects.exists()


def test_a_new_scheme_from_a_file_without_a_recurrent_column_is_recurrent(finance):
    # "Recurrent (R/NR, default R)": the row reads as R, and the new scheme should say so.
    header = ["Financial year", "Directorate", "Service area", "Title", "Target"]
    rows = [["2023/24", "Adult Social Care", "Living and Ageing Well", "Reduced Agency Spend", 303000]]
    assert import_file(xlsx(rows, header=header), finance).committed
    assert Scheme.objects.get().recurrence == "R"


def test_a_blank_recurrent_cell_is_recurrent(finance):
    header = ["Financial year", "Directorate", "Service area", "Title", "Target", "Recurrent"]
    rows = [["2023/24", "Adult Social Care", "Living and Ageing Well", "Blank", 100, None],
            ["2023/24", "Adult Social Care", "Living and Ageing Well", "Non-recurrent", 100, "NR"]]  # fmt: skip
    assert import_file(xlsx(rows, header=header), finance).committed
    assert dict(Scheme.objects.values_list("title", "recurrence")) == {"Blank": "R", "Non-recurrent": "NR"}


def test_a_year_start_row_creates_a_scheme_without_quarter_figures(finance):
    header = ["Financial year", "Quarter", "Directorate", "Service area", "Title", "Target"]
    summary = import_file(
        xlsx(
            [["2024/25", None, "Adult Social Care", "Living and Ageing Well", "New scheme", "£50,000"]], header=header
        ),
        finance,
    )
    assert summary.committed
    created = Scheme.objects.get()
    assert (created.financial_year, created.target) == (FinancialYear(2024), Decimal("50000"))
    assert not SchemeQuarter.objects.exists()


def test_existing_service_area_matched_case_insensitively(finance):
    import_file(xlsx([scheme(service_area="Living and Ageing Well")]), finance)
    summary = import_file(
        xlsx([scheme(service_area="LIVING AND AGEING WELL", directorate="adult social care")]), finance
    )
    assert (summary.new, summary.updated, summary.unchanged) == (0, 0, 1)
    assert ServiceArea.objects.count() == 1


def test_preview_counts_are_what_the_import_does_for_a_scheme_in_two_quarters(finance):
    # One new scheme with its Q1 and Q2 figures: the preview should tell what the import will do.
    data = xlsx([scheme(quarter="Q1", ytd_actual=50000), scheme(quarter="Q2", ytd_actual=100000)])
    preview = tracker_preview(source=data)
    summary = import_file(data, finance)
    assert summary.committed
    assert Scheme.objects.count() == 1
    assert SchemeQuarter.objects.count() == 2
    assert (preview.new, preview.updated, preview.unchanged) == (summary.new, summary.updated, summary.unchanged)


# Any error: nothing is imported

ERRORS = [
    ({"title": None}, "Title"),
    ({"directorate": None}, "Directorate"),
    ({"service_area": None}, "Service area"),
    ({"financial_year": None}, "Financial year"),
    ({"target": None}, "Target"),
    ({"ytd_actual": "twelve"}, "YTD actual"),
    ({"rag": "PURPLE"}, "RAG"),
    ({"quarter": "Q5"}, "Quarter"),
    ({"financial_year": "2012/14"}, "Financial year"),
    ({"quarter": None}, "Quarter"),
]


@pytest.mark.parametrize(("change", "column"), ERRORS, ids=[column for _, column in ERRORS])
def test_with_any_error_nothing_is_imported(imported_004, finance, change, column):
    good = {"financial_year": "2012/13", "directorate": "Adult Social Services", "service_area": TRANSFORMATION}
    rows = [
        scheme(**good, ref="7", title="Market development of major homecare provider", target=143000,
               ytd_budget=47672, ytd_actual=50000, projected_shortfall=0, rag="GREEN"),
        scheme(**good, ref="99", title="A new scheme"),
        scheme(**{"ref": "2", "title": "Another new scheme", **change}),
    ]  # fmt: skip
    without_the_error = tracker_preview(source=xlsx(rows[:2]))
    assert (without_the_error.new, without_the_error.updated) == (1, 1)
    data = xlsx(rows)
    before = state()

    summary = import_file(data, finance)

    assert not summary.committed
    assert summary.errors
    assert {(error.row, error.column) for error in summary.errors} == {(4, column)}
    assert state() == before


def test_the_whole_import_is_one_transaction(imported_004, finance, monkeypatch):
    """A failure after some rows were written (the figures' bulk update has run) leaves nothing."""
    from monitoring import imports

    class Boom(Exception):
        pass

    original = imports.bulk_update_with_history
    written = []

    def write_then_fail(objs, model, *args, **kwargs):
        original(objs, model, *args, **kwargs)
        written.extend(objs)
        raise Boom

    data = edited(TRACKER_004, {(row, "YTD actual"): 1 for row in (2, 3, 4, 5)})
    before = state()
    monkeypatch.setattr(imports, "bulk_update_with_history", write_then_fail)
    with pytest.raises(Boom):
        import_file(data, finance)
    assert written, "the failure came after rows were written"
    assert state() == before


# Locked quarter


def test_importing_into_a_locked_quarter_is_refused(imported_004, finance):
    services.quarter_lock(period=Q2_2012, user=finance)
    data = edited(TRACKER_004, {(3, "YTD actual"): 12500})
    before = state()

    summary = import_file(data, finance)

    assert not summary.committed
    assert summary.errors
    first = summary.errors[0]
    assert (first.row, first.column, first.value) == (2, "Quarter", "Q2")
    assert "Q2 2012/13 is locked" in str(first)
    assert all("Q2 2012/13 is locked" in error.message for error in summary.errors)
    assert state() == before
    assert tracker_preview(source=data).errors


def test_a_locked_quarter_refuses_a_first_import(finance):
    services.quarter_lock(period=Q2_2012, user=finance)
    before = state()
    summary = import_file(TRACKER_004.read_bytes(), finance)
    assert not summary.committed
    assert len(summary.errors) == 35
    assert state() == before
    assert MonitoringQuarter.objects.get().is_locked


def test_another_quarter_is_not_locked(imported_004, finance):
    services.quarter_lock(period=Period(FinancialYear(2012), Quarter.Q1), user=finance)
    summary = import_file(edited(TRACKER_004, {(3, "YTD actual"): 12500}), finance)
    assert summary.committed


# Who may import


@pytest.mark.parametrize("who", ["manager", "executive"])
def test_only_finance_and_administrators_import(who, request):
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        import_file(TRACKER_004.read_bytes(), user)
    assert Scheme.objects.count() == 0


def test_an_administrator_may_import(administrator):
    assert import_file(TRACKER_004.read_bytes(), administrator).committed
