"""Importing any tracker twice changes nothing the second time: no new history records, no
"updated" counts (0 changed, N unchanged), no version bumps. hypothesis draws the trackers:
any columns, schemes in several quarters, figures blank or in pence, RAGs, text."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitoring.imports import tracker_import, tracker_preview
from monitoring.models import Scheme, SchemeQuarter
from plans.models import Directorate, Portfolio, ServiceArea
from tests.monitoring.tracker_helpers import scheme, state, xlsx

pytestmark = pytest.mark.django_db

REQUIRED = ("Financial year", "Quarter", "Directorate", "Service area", "Ref", "Title", "Target")
OPTIONAL = (
    "Portfolio",
    "Recurrent",
    "Unallocated",
    "YTD budget",
    "YTD actual",
    "Forecast",
    "Forecast next year",
    "Projected shortfall",
    "RAG",
    "Timeline",
    "Commentary",
)
AREAS = [
    ("Adult Social Care", "Living and Ageing Well"),
    ("Adult Social Care", "Adults with a Disability"),
    ("Children's Services", "Children's Staffing"),
]


def history() -> dict[str, int]:
    return {
        model.__name__: model.history.count()  # type: ignore[attr-defined]
        for model in (Scheme, SchemeQuarter, ServiceArea, Portfolio, Directorate)
    }


def versions() -> list[tuple[int, int]]:
    return list(SchemeQuarter.objects.order_by("pk").values_list("pk", "version"))


money = st.one_of(
    st.none(),
    st.integers(min_value=-50_000, max_value=5_000_000),
    st.decimals(min_value=-1000, max_value=1_000_000, places=2, allow_nan=False, allow_infinity=False).map(str),
)
text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=15)


@st.composite
def trackers(draw: Any) -> tuple[list[str], list[dict[str, Any]]]:
    header = [*REQUIRED, *draw(st.lists(st.sampled_from(OPTIONAL), unique=True))]
    if "RAG" in header:
        header.append("RAG reason")  # a worsening RAG needs its reason: the rule has tests of its own
    rows = []
    for number in range(draw(st.integers(min_value=1, max_value=6))):
        directorate, area = draw(st.sampled_from(AREAS))
        quarters = draw(st.lists(st.sampled_from([None, "Q1", "Q2", "Q3", "Q4"]), min_size=1, max_size=3, unique=True))
        base_target = draw(st.integers(min_value=0, max_value=2_000_000))
        for quarter in quarters:
            values: dict[str, Any] = {
                "Financial year": draw(st.sampled_from(["2023/24", "2023-24"])),
                "Quarter": quarter,
                # The same area written in another case is the same area.
                "Directorate": draw(st.sampled_from([directorate, directorate.upper()])),
                "Service area": draw(st.sampled_from([area, area.lower()])),
                "Ref": f"{number}a",
                "Title": f"Scheme {number}",
                # A scheme's target as each quarter's row states it: usually the same, sometimes revised.
                "Target": draw(st.sampled_from([base_target, base_target + 1000])),
                "Portfolio": draw(st.sampled_from(["", "Portfolio A", "Portfolio B"])),
                "Recurrent": draw(st.sampled_from(["", "R", "NR"])),
                "Unallocated": draw(st.sampled_from(["", "Y"])),
                "Timeline": draw(text),
                "Commentary": draw(text),
            }
            if quarter is not None:
                values |= {
                    "YTD budget": draw(money),
                    "YTD actual": draw(money),
                    "Forecast": draw(money),
                    "Forecast next year": draw(money),
                    "Projected shortfall": draw(money),
                    "RAG": draw(st.sampled_from(["", "RED", "AMBER", "GREEN", "BLUE", "g"])),
                    "RAG reason": draw(st.sampled_from(["Recruitment slipped", "Back on track"])),
                }
            rows.append({name: value for name, value in values.items() if name in header})
    return header, rows


class _Undo(Exception):
    pass


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(trackers())
def test_importing_any_tracker_twice_changes_nothing_the_second_time(finance, tracker):
    header, rows = tracker
    data = xlsx(rows, header)
    try:
        with transaction.atomic():  # each example starts from an empty database
            first = tracker_import(source=data, user=finance)
            assert first.errors == [], [str(problem) for problem in first.errors]
            assert first.committed
            before, before_history, before_versions = state(), history(), versions()

            preview = tracker_preview(source=data)
            again = tracker_import(source=data, user=finance)

            for summary in (preview, again):
                assert (summary.new, summary.updated, summary.unchanged) == (0, 0, first.total)
                assert summary.new_service_areas == []
            assert again.committed
            assert state() == before
            assert history() == before_history
            assert versions() == before_versions
            raise _Undo
    except _Undo:
        pass


def test_a_scheme_whose_target_each_quarter_states_differently_takes_the_latest_quarters(finance):
    """A scheme has one full-year target. Rows for Q1 and Q2 that state different targets: the
    latest quarter's target is kept (with a warning naming both rows), whatever the rows' order,
    so importing the file again finds it unchanged."""
    rows = [scheme(quarter="Q2", target=310000), scheme(quarter="Q1", target=303000)]
    first = tracker_import(source=xlsx(rows), user=finance)

    assert [str(problem) for problem in first.warnings] == [
        "rows 2 and 3 give scheme 1 Reduced Agency Spend (Living and Ageing Well) of 2023/24 different "
        "targets (£310,000 for Q2, £303,000 for Q1): a scheme has one full-year target; the latest "
        "quarter's (Q2) is used."
    ]
    assert Scheme.objects.get().target == Decimal("310000")
    assert Scheme.history.count() == 1
    again = tracker_import(source=xlsx(rows), user=finance)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 2)
    assert Scheme.history.count() == 1


def test_a_change_to_one_quarters_figures_writes_no_history_of_the_scheme(finance):
    assert tracker_import(source=xlsx([scheme(quarter="Q1"), scheme(quarter="Q2")]), user=finance).committed
    schemes, quarters = Scheme.history.count(), SchemeQuarter.history.count()

    summary = tracker_import(source=xlsx([scheme(quarter="Q1"), scheme(quarter="Q2", ytd_actual=1)]), user=finance)

    assert (summary.updated, summary.unchanged) == (1, 1)
    assert Scheme.history.count() == schemes
    assert SchemeQuarter.history.count() == quarters + 1
    assert SchemeQuarter.objects.get(quarter=2).version == 2
    assert SchemeQuarter.objects.get(quarter=1).version == 1
