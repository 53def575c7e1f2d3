"""Typed report requests: what a page asks for reaches the selectors as a small dataclass, and a
background job carries it as plain data that reads back to the same request."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recovery.periods import FinancialYear, Period, Quarter
from recovery.reporting.selectors import (
    AppendixRequest,
    ExceptionsRequest,
    PlanRequest,
    ReportFilters,
    ReportKind,
    TransformationRequest,
    report_request,
    request_params,
)

periods = st.builds(
    Period, st.integers(min_value=2000, max_value=2090).map(FinancialYear), st.sampled_from(list(Quarter))
)
ids = st.none() | st.integers(min_value=1, max_value=10**9)
filters = st.builds(ReportFilters, directorate=ids, portfolio=ids, service_area=ids)
requests = st.one_of(
    st.builds(AppendixRequest, period=periods, filters=filters),
    st.builds(TransformationRequest, period=periods, filters=filters),
    st.builds(
        ExceptionsRequest,
        period=periods,
        filters=filters,
        only=st.sampled_from(["", "red_amber", "overdue", "not_updated", "disagreements", "rag_changes"]),
    ),
    st.builds(PlanRequest, plan_id=st.integers(min_value=1, max_value=10**9)),
)


@given(requests)
def test_a_request_survives_the_trip_through_a_background_job(asked):
    carried = json.loads(json.dumps(request_params(asked)))  # what the job queue stores
    assert report_request(asked.kind.value, carried) == asked


def test_every_kind_has_its_request():
    assert {cls.kind for cls in (AppendixRequest, TransformationRequest, ExceptionsRequest, PlanRequest)} == set(
        ReportKind
    )


@pytest.mark.parametrize("kind", ["", "Appendix", "report", "exceptions "])
def test_an_unknown_kind_is_refused(kind):
    with pytest.raises(ValueError, match="is not a valid ReportKind"):
        report_request(kind, {"year": "2022/23", "quarter": "Q3"})
