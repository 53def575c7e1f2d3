"""The committee pack's cache key: a fingerprint of everything the pack is made from, worked out
in a few aggregate queries without building the reports. Each kind of input the pack shows,
changed on its own, changes the key (through the app's own saves, and for figures also by a
direct database update that writes no history); nothing changed, the key stays the same."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from monitoring.models import MilestoneProgress, QuarterCommentary, Scheme, SchemeQuarter, StatedTotal
from plans.models import DeficitRecoveryPlan, Directorate, Portfolio
from recovery.periods import FinancialYear, Period, Quarter
from recovery.reporting import pack, selectors
from tests.factories import (
    MilestoneFactory,
    PlanFactory,
    PlanUpdateFactory,
    SchemeFactory,
    SchemeQuarterFactory,
    ServiceAreaFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PERIOD = Period(FinancialYear(2023), Quarter.Q2)
TODAY = date(2023, 11, 15)


@pytest.fixture
def world(db):
    """A small quarter with one of everything the pack reads."""
    manager = UserFactory(username="pat", first_name="Pat", last_name="Jones")
    area = ServiceAreaFactory(name="Living and Ageing Well")
    plan = PlanFactory(service_area=area, status=DeficitRecoveryPlan.Status.SUBMITTED, managers=[manager])
    milestone = MilestoneFactory(plan=plan, details="Review placements", due_text="31/08/2023")
    update = PlanUpdateFactory(plan=plan, quarter=2, status="submitted")
    MilestoneProgress.objects.create(update=update, milestone=milestone, status=MilestoneProgress.Status.ON_TRACK)
    for number in range(3):
        scheme = SchemeFactory(service_area=area, title=f"Scheme {number}", plan=plan)
        SchemeQuarterFactory(scheme=scheme, quarter=1, rag="GREEN")
        SchemeQuarterFactory(scheme=scheme, quarter=2, rag="AMBER", ytd_actual=Decimal("40000.00"))
    StatedTotal.objects.create(
        financial_year=PERIOD.year, quarter=PERIOD.quarter, scope="Total", column="target", amount=Decimal("300000")
    )
    QuarterCommentary.objects.create(
        financial_year=PERIOD.year, quarter=PERIOD.quarter, text="Draft", published_text="Published words."
    )
    return {"manager": manager, "area": area, "plan": plan, "milestone": milestone, "update": update}


def key() -> str:
    return pack.pack_cache_key(PERIOD, today=TODAY)


def figures(quarter: int = 2) -> SchemeQuarter:
    return SchemeQuarter.objects.filter(scheme__financial_year=PERIOD.year, quarter=quarter).order_by("pk").first()


def saved(instance, **changes):
    for name, value in changes.items():
        setattr(instance, name, value)
    instance.save()


CHANGES: dict[str, Callable[[dict], object]] = {
    # The quarter's figures, RAG and commentary (each figure of Appendix 1 and the update).
    "a figure": lambda w: saved(figures(), ytd_actual=Decimal("40001.00")),
    "a figure from unknown to nil": lambda w: saved(figures(), forecast_year_end=Decimal("0")),
    "a figure, updated with no history": lambda w: SchemeQuarter.objects.filter(pk=figures().pk).update(
        projected_shortfall=Decimal("5")
    ),
    "a RAG": lambda w: saved(figures(), rag="RED"),
    "a commentary": lambda w: saved(figures(), commentary="Slipped to Q3."),
    "last quarter's RAG (RAG changes)": lambda w: saved(figures(quarter=1), rag="RED"),
    "figures deleted": lambda w: figures().delete(),
    "figures added": lambda w: SchemeQuarterFactory(scheme=Scheme.objects.first(), quarter=3),
    # Schemes.
    "a scheme's title": lambda w: saved(Scheme.objects.first(), title="Renamed"),
    "a scheme's target": lambda w: saved(Scheme.objects.first(), target=Decimal("100001.00")),
    "a scheme's order": lambda w: saved(Scheme.objects.first(), order=99),
    "a new scheme": lambda w: SchemeFactory(service_area=w["area"]),
    # The organisation.
    "a service area's name": lambda w: saved(w["area"], name="Living Well"),
    "a portfolio's name": lambda w: saved(Portfolio.objects.first(), name="Adults"),
    "a directorate's name": lambda w: saved(Directorate.objects.first(), name="People"),
    "a new service area": lambda w: ServiceAreaFactory(portfolio=w["area"].portfolio),
    # Plans, milestones, updates and progress (the exception report).
    "a plan withdrawn to draft": lambda w: saved(w["plan"], status=DeficitRecoveryPlan.Status.DRAFT),
    "a new plan": lambda w: PlanFactory(status=DeficitRecoveryPlan.Status.SUBMITTED),
    "a milestone's details": lambda w: saved(w["milestone"], details="Review every placement"),
    "a milestone's due date": lambda w: saved(w["milestone"], due_date=date(2023, 12, 31)),
    "a milestone deleted": lambda w: w["milestone"].delete(),
    "an update's status": lambda w: saved(w["update"], status="draft"),
    "a new update": lambda w: PlanUpdateFactory(plan=w["plan"], quarter=3),
    "a milestone met": lambda w: saved(
        MilestoneProgress.objects.get(milestone=w["milestone"]), status=MilestoneProgress.Status.MET
    ),
    "a revised due date": lambda w: saved(
        MilestoneProgress.objects.get(milestone=w["milestone"]), revised_due_date=date(2024, 1, 31)
    ),
    # DMT's decision on a RED plan's alternative proposal (its own exception view in the pack).
    "a DMT decision": lambda w: saved(w["update"], dmt_decision="accepted", dmt_decided_by=w["manager"]),
    "DMT's comments": lambda w: saved(w["update"], dmt_comments="Agreed at DMT."),
    "an alternative proposal": lambda w: saved(w["update"], alternative_proposal="Realign the budget."),
    # The people named as responsible.
    "a manager's name": lambda w: saved(w["manager"], last_name="Smith"),
    "a manager added": lambda w: w["plan"].managers.add(UserFactory(username="sam")),
    "a manager removed": lambda w: w["plan"].managers.clear(),
    # Finance's summary and the totals a document stated.
    "the published summary": lambda w: saved(QuarterCommentary.objects.get(), published_text="New words."),
    "a summary for one report": lambda w: QuarterCommentary.objects.create(
        financial_year=PERIOD.year, quarter=PERIOD.quarter, report="appendix", published_text="Only here."
    ),
    "a stated total, updated with no history": lambda w: StatedTotal.objects.update(amount=Decimal("300001")),
    "a stated total added": lambda w: StatedTotal.objects.create(
        financial_year=PERIOD.year, quarter=PERIOD.quarter, scope="Living and Ageing Well", column="target", amount=1
    ),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_any_change_to_what_the_pack_shows_changes_its_key(world, change):
    before = key()
    assert key() == before  # nothing changed: the same key
    CHANGES[change](world)
    assert key() != before


def test_a_new_name_for_who_recorded_dmts_decision_changes_the_key(world):
    executive = UserFactory(username="dmt", first_name="Dana", last_name="Marsh")
    saved(world["update"], dmt_decision="accepted", dmt_decided_by=executive)
    before = key()
    saved(executive, last_name="Moss")  # no history on users: the name itself is in the key
    assert key() != before


def test_what_is_not_in_the_database_is_in_the_key(world, settings, monkeypatch):
    before = key()
    assert pack.pack_cache_key(PERIOD, today=date(2023, 11, 16)) != before  # overdue days count from today
    assert pack.pack_cache_key(Period(PERIOD.year, Quarter.Q3), today=TODAY) != before
    settings.ORGANISATION_NAME = "Another Council"
    assert key() != before
    settings.ORGANISATION_NAME = pack.settings.ORGANISATION_NAME
    monkeypatch.setattr(pack, "code_version", lambda: "a new release")
    assert key() != before


def test_other_years_schemes_and_summaries_leave_the_key_alone_unless_history_moves(world):
    """The key's summaries are of the pack's year and quarter: rows of another year change it
    only through the tables' newest history record (a re-render, never a stale pack)."""
    before = key()
    StatedTotal.objects.create(
        financial_year=FinancialYear(2022), quarter=Quarter.Q2, scope="Total", column="target", amount=1
    )
    assert key() == before


def test_the_key_reads_no_report_and_a_fixed_number_of_queries(world, monkeypatch, django_assert_num_queries):
    def refuse(**kwargs):
        raise AssertionError("the key must not build a report")

    for name in ("appendix_report", "transformation_report", "exceptions_report"):
        monkeypatch.setattr(selectors, name, refuse)
    pack.code_version()
    with django_assert_num_queries(14):
        key()
    SchemeFactory.create_batch(5, service_area=world["area"])
    with django_assert_num_queries(14):
        key()


def test_a_cache_hit_builds_no_report(world, monkeypatch):
    calls: list[str] = []
    monkeypatch.setattr(pack.renderers, "render_pack_pdf", lambda **kwargs: calls.append("render") or b"%PDF-1")
    first, cached, stored = pack.pack_pdf(PERIOD)
    assert (first, cached) == (b"%PDF-1", False)

    def refuse(period):
        raise AssertionError("a cache hit must not build the reports")

    monkeypatch.setattr(pack, "pack_reports", refuse)
    again, cached, key_again = pack.pack_pdf(PERIOD)
    assert (again, cached, key_again) == (b"%PDF-1", True, stored)
    assert calls == ["render"]


def test_a_pdf_whose_data_changed_while_it_rendered_is_not_stored(world, monkeypatch):
    made: list[bytes] = []

    def render(**kwargs):
        if not made:
            saved(figures(), ytd_actual=Decimal("1"))
        made.append(b"%PDF-" + str(len(made) + 1).encode())
        return made[-1]

    monkeypatch.setattr(pack.renderers, "render_pack_pdf", render)
    _, cached, stale_key = pack.pack_pdf(PERIOD)
    assert not cached
    assert pack.cache.get(stale_key) is None  # not stored: its data changed meanwhile
    pdf, cached, _ = pack.pack_pdf(PERIOD)
    assert (pdf, cached) == (b"%PDF-2", False)
    assert pack.pack_pdf(PERIOD)[:2] == (b"%PDF-2", True)


def test_a_user_who_manages_nothing_this_year_leaves_the_key_alone(world):
    before = key()
    get_user_model().objects.create(username="someone", first_name="Some", last_name="One")
    assert key() == before
