"""manage.py load_demo: the schemes of seeds 002 (2022/23 Q3, £000s) and 004 (2012/13 Q2, pounds)
and the quarterly updates of the seed plans. Expected figures are the seeds' own."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db.models import Count, Sum

from monitoring.demo import load_scheme_seeds
from monitoring.models import PlanUpdate, Scheme, SchemeQuarter
from plans.demo import LoadReport
from plans.models import DeficitRecoveryPlan
from recovery.periods import FinancialYear, Quarter

pytestmark = pytest.mark.django_db

TRANSFORMATION = "Adult Social Care Transformation"


@pytest.fixture
def loaded(settings):
    settings.DEBUG = True
    call_command("load_demo", stdout=StringIO())


def q2_2012() -> list[SchemeQuarter]:
    return list(
        SchemeQuarter.objects.filter(scheme__financial_year=FinancialYear(2012), quarter=Quarter.Q2).select_related(
            "scheme"
        )
    )


def test_seed_004_schemes(loaded):
    schemes = Scheme.objects.filter(financial_year=FinancialYear(2012))
    assert schemes.count() == 35
    assert set(schemes.values_list("service_area__name", flat=True)) == {TRANSFORMATION}
    assert schemes.filter(is_unallocated=False).count() == 34
    assert schemes.filter(service_area__portfolio__directorate__name="Adult Social Services").count() == 35


def test_seed_004_has_q2_figures_for_every_scheme_and_no_other_quarter(loaded):
    assert len(q2_2012()) == 35
    assert not SchemeQuarter.objects.filter(scheme__financial_year=FinancialYear(2012)).exclude(quarter=2).exists()


def test_seed_004_counts_by_rag(loaded):
    counts = dict(
        SchemeQuarter.objects.filter(scheme__financial_year=FinancialYear(2012), scheme__is_unallocated=False)
        .values_list("rag")
        .annotate(n=Count("pk"))
    )
    assert counts == {"RED": 5, "AMBER": 16, "GREEN": 13}


def test_seed_004_totals(loaded):
    sums = SchemeQuarter.objects.filter(scheme__financial_year=FinancialYear(2012), quarter=2).aggregate(
        target=Sum("scheme__target"),
        ytd_budget=Sum("ytd_budget"),
        ytd_actual=Sum("ytd_actual"),
        projected_shortfall=Sum("projected_shortfall"),
    )
    assert sums == {
        "target": Decimal("7956000"),
        "ytd_budget": Decimal("1849232"),
        "ytd_actual": Decimal("1691122"),
        "projected_shortfall": Decimal("2699636"),
    }


def test_seed_004_red_value_without_the_unallocated_requirement(loaded):
    red = Scheme.objects.filter(financial_year=FinancialYear(2012), quarters__rag="RED", is_unallocated=False)
    assert red.aggregate(value=Sum("target"))["value"] == Decimal("2518338")


def test_seed_004_unallocated_requirement(loaded):
    unallocated = Scheme.objects.get(financial_year=FinancialYear(2012), is_unallocated=True)
    assert unallocated.title == "Additional savings requirement to balance the budget"
    assert unallocated.target == Decimal("436298")
    assert unallocated.ref == ""
    figures = unallocated.quarters.get()
    assert figures.ytd_actual == Decimal(0)  # printed blank: nil (its balance is the whole target)
    assert figures.projected_shortfall == Decimal("414298")
    assert figures.rag == "RED"


def test_seed_004_quirks(loaded):
    year = Scheme.objects.filter(financial_year=FinancialYear(2012))
    assert sorted(year.filter(ref="16a").values_list("title", flat=True)) == [
        "Increase charges for those who can afford",
        "Reducing Voids",
    ]
    for ref in ("6b", "16b"):  # printed blank: nil (0), not unknown
        assert year.get(ref=ref).quarters.get().ytd_budget == Decimal(0), ref
        assert year.get(ref=ref).quarters.get().forecast_year_end is None, ref  # no such column: unknown
    # "C" in the projected-shortfall column is a scanning error for 0.
    assert year.get(ref="2C").quarters.get().projected_shortfall == Decimal("0")
    assert year.get(ref="11").recurrence == "NR"
    assert year.get(ref="2Bii").target == Decimal("86805")
    assert year.get(ref="2Bii").quarters.get().ytd_actual == Decimal("78114")


def test_seed_004_schemes_keep_the_printed_order(loaded):
    refs = list(
        Scheme.objects.filter(financial_year=FinancialYear(2012)).order_by("order").values_list("ref", flat=True)
    )
    assert refs[:6] == ["1", "7", "8", "15", "16a", ""]
    assert refs[6] == "2Bii"
    assert refs[-1] == "21"


AREA_TOTALS = {
    # service area: (target, forecast year end, forecast next year), pounds
    "Change and Strategy Delivery": ("1803000", "1500000", "1803000"),
    "Living and Ageing Well": ("10888000", "6994000", "10227000"),
    "Adults with a Disability": ("9506000", "4338000", "8710000"),
    "Mental Health and Safeguarding": ("1650000", "1210000", "1450000"),
    "Adult Commissioning and Partnerships": ("100000", "100000", "100000"),
    "Governance and Inclusion": ("1254000", "1783000", "1783000"),
}


@pytest.mark.parametrize("area", list(AREA_TOTALS))
def test_seed_002_totals_by_service_area(loaded, area):
    sums = SchemeQuarter.objects.filter(
        scheme__financial_year=FinancialYear(2022), quarter=Quarter.Q3, scheme__service_area__name=area
    ).aggregate(target=Sum("scheme__target"), year_end=Sum("forecast_year_end"), next_year=Sum("forecast_next_year"))
    target, year_end, next_year = AREA_TOTALS[area]
    assert sums == {"target": Decimal(target), "year_end": Decimal(year_end), "next_year": Decimal(next_year)}


def test_seed_002_adults_with_a_disability_forecast_is_the_rows_not_the_printed_4312(loaded):
    total = SchemeQuarter.objects.filter(
        scheme__service_area__name="Adults with a Disability", scheme__financial_year=FinancialYear(2022)
    ).aggregate(total=Sum("forecast_year_end"))["total"]
    assert total == Decimal("4338000")
    assert total != Decimal("4312000")


def test_seed_002_schemes(loaded):
    schemes = Scheme.objects.filter(financial_year=FinancialYear(2022))
    assert schemes.count() == 27
    assert set(schemes.values_list("service_area__portfolio__directorate__name", flat=True)) == {"Adult Social Care"}
    assert not SchemeQuarter.objects.filter(scheme__financial_year=FinancialYear(2022)).exclude(quarter=3).exists()
    assert schemes.aggregate(total=Sum("target"))["total"] == Decimal("25201000")


def test_seed_002_quirks(loaded):
    def figures(title_start: str) -> SchemeQuarter:
        return SchemeQuarter.objects.get(scheme__title__startswith=title_start)

    # "2.628" printed in a £000s column is £2,628k.
    assert figures("Review of new High-Cost Homecare").ytd_actual == Decimal("2628000")
    assert figures("Review of new High-Cost Homecare").forecast_next_year == Decimal("3017000")  # 87% (3.017m)
    assert figures("Supported Living TUPE").forecast_next_year == Decimal("600000")  # "600k"
    assert figures("Complex Care Review Team").forecast_next_year == Decimal("1300000")  # 130% (£1.3m)
    assert figures("Direct Payment Service Transformation").forecast_next_year == Decimal("770000")  # 214% (770k)
    assert figures("Safeguarding, MH and Domestic Abuse").forecast_next_year == Decimal("100000")
    assert figures("Efficiency through integration").ytd_actual == Decimal("266400")
    # "-" is nil: zero, not unknown (DOMAIN.md).
    assert figures("Improved Social Work Practice").ytd_actual == Decimal(0)
    assert figures("Provider Services staffing").ytd_actual == Decimal(0)
    assert figures("Provider Services staffing").ytd_budget is None  # seed 002 has no such column


def test_seed_002_living_and_ageing_well_achieved_to_date_is_5206k(loaded):
    total = SchemeQuarter.objects.filter(scheme__service_area__name="Living and Ageing Well").aggregate(
        total=Sum("ytd_actual")
    )["total"]
    assert total == Decimal("5206000")


def test_seed_plan_updates(loaded):
    staffing = DeficitRecoveryPlan.objects.get(service_area__name="Children’s Staffing")
    q2 = PlanUpdate.objects.get(plan=staffing, quarter=Quarter.Q2)
    assert q2.status == PlanUpdate.Status.SUBMITTED
    assert q2.on_target == "partial"
    assert q2.submitted_by is not None
    assert q2.submitted_by.username == "manager"
    assert q2.narrative.startswith("Conversations with staff with regards to")
    q3 = PlanUpdate.objects.get(plan=staffing, quarter=Quarter.Q3)
    assert q3.status == PlanUpdate.Status.DRAFT
    assert q3.on_target == ""

    seed_000 = DeficitRecoveryPlan.objects.get(
        service_area__name="Adult Social care assessment costs and income shortfall"
    )
    update = PlanUpdate.objects.get(plan=seed_000)
    assert update.quarter == Quarter.Q3
    assert update.status == PlanUpdate.Status.DRAFT
    assert update.on_target == ""
    assert update.submitted_by is None
    assert update.narrative.startswith("The savings target was intended to be ac")

    placements = DeficitRecoveryPlan.objects.get(service_area__name="Children’s Placements")
    assert not placements.updates.exists()
    assert PlanUpdate.objects.count() == 3


def test_seed_updates_are_rated_by_nobody_yet(loaded):
    assert set(PlanUpdate.objects.values_list("rag", flat=True)) == {""}


def row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models(include_auto_created=True)}


def test_load_demo_twice_changes_nothing(loaded):
    before = row_counts()
    figures = list(SchemeQuarter.objects.order_by("pk").values())
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert row_counts() == before
    assert list(SchemeQuarter.objects.order_by("pk").values()) == figures
    assert "nothing changed" in out.getvalue()
    assert before["monitoring.Scheme"] == 62
    assert before["monitoring.HistoricalSchemeQuarter"] == 62


def test_load_demo_keeps_finance_edits_to_scheme_figures(loaded):
    figures = SchemeQuarter.objects.get(scheme__financial_year=FinancialYear(2012), scheme__ref="7")
    figures.ytd_actual = Decimal("12000")
    figures.rag = "AMBER"
    figures.save()
    call_command("load_demo", stdout=StringIO())
    figures.refresh_from_db()
    assert figures.ytd_actual == Decimal("12000")
    assert figures.rag == "AMBER"


def test_seed_002_achieved_to_date_is_the_2022_23_q3_ytd_actual_of_11128_4k(loaded):
    # One fact, one field: Appendix 1's "Achieved to Date" is the year-to-date actual.
    figures = SchemeQuarter.objects.filter(scheme__financial_year=FinancialYear(2022), quarter=Quarter.Q3)
    assert figures.aggregate(total=Sum("ytd_actual"))["total"] == Decimal("11128400")
    mer = figures.get(scheme__title__startswith="Operating model and MER")
    assert mer.ytd_actual == Decimal("925000")


def test_loading_again_repairs_seed_nils_an_earlier_version_stored_as_unknown(loaded):
    """Seed 004's blank YTD budget of 6b and 16b is nil; versions before nil and unknown were told
    apart stored it as unknown. Loading the demo again makes it nil, and leaves figures alone."""
    blanks = SchemeQuarter.objects.filter(scheme__financial_year=FinancialYear(2012), ytd_budget=Decimal(0))
    assert blanks.count() >= 2
    pks = list(blanks.values_list("pk", flat=True))
    SchemeQuarter.objects.filter(pk__in=pks).update(ytd_budget=None)
    before = dict(SchemeQuarter.objects.exclude(pk__in=pks).values_list("pk", "ytd_budget"))
    load_scheme_seeds(LoadReport())
    assert set(SchemeQuarter.objects.filter(pk__in=pks).values_list("ytd_budget", flat=True)) == {Decimal(0)}
    assert dict(SchemeQuarter.objects.exclude(pk__in=pks).values_list("pk", "ytd_budget")) == before
