"""The tracker import sets a scheme's RAG by the grid's rule: a RAG that worsens or skips a
level needs a reason, given in a "RAG reason" column. Without it the import names the row and
imports nothing, exactly where the grid would refuse the same change."""

from __future__ import annotations

from itertools import product

import pytest
from django.core.exceptions import ValidationError

from monitoring import services
from monitoring.imports import tracker_import, tracker_preview
from monitoring.models import Scheme, SchemeQuarter
from recovery.periods import Quarter
from recovery.rag import RAG, change_needs_reason
from tests.monitoring.tracker_helpers import HEADER, scheme, xlsx

pytestmark = pytest.mark.django_db

WITH_REASON = (*HEADER, "RAG reason")
CHANGES = [(before, after) for before, after in product(RAG, RAG) if before != after]


def with_reason(reason: str, **values: object) -> dict[str, object]:
    return {**scheme(**values), "RAG reason": reason}


def grid_refuses(finance, before: RAG, after: RAG) -> bool:
    """Whether the grid refuses the same change, without a reason, on a scheme of its own."""
    other = Scheme.objects.get(ref="1")
    other.pk = None
    other.ref = "grid"
    other.save()
    services.scheme_quarter_save(scheme=other, quarter=Quarter.Q1, user=finance, fields={}, rag=before)
    try:
        services.scheme_quarter_save(scheme=other, quarter=Quarter.Q2, user=finance, fields={}, rag=after)
    except ValidationError:
        return True
    return False


@pytest.mark.parametrize(("before", "after"), CHANGES, ids=[f"{b}-{a}" for b, a in CHANGES])
def test_a_rag_change_from_last_quarter_follows_the_grids_rule(finance, before, after):
    assert tracker_import(source=xlsx([scheme(quarter="Q1", rag=before.value)]), user=finance).committed
    data = xlsx([scheme(quarter="Q2", rag=after.value)])

    preview = tracker_preview(source=data)
    summary = tracker_import(source=data, user=finance)

    needs_reason = change_needs_reason(before, after)
    assert summary.committed is not needs_reason
    assert grid_refuses(finance, before, after) is needs_reason
    assert [(p.row, p.column) for p in summary.errors] == ([(2, "RAG reason")] if needs_reason else [])
    assert [(p.row, p.column) for p in preview.errors] == [(p.row, p.column) for p in summary.errors]
    assert SchemeQuarter.objects.filter(scheme__ref="1", quarter=Quarter.Q2).exists() is not needs_reason


@pytest.mark.parametrize(("before", "after"), CHANGES, ids=[f"{b}-{a}" for b, a in CHANGES])
def test_a_rag_change_with_its_reason_is_imported_and_the_reason_kept(finance, before, after):
    assert tracker_import(source=xlsx([scheme(quarter="Q2", rag=before.value)]), user=finance).committed
    reason = f"Moved to {after} after the review."
    summary = tracker_import(
        source=xlsx([with_reason(reason, quarter="Q2", rag=after.value)], header=WITH_REASON), user=finance
    )
    assert summary.committed, summary.errors
    row = SchemeQuarter.objects.get(scheme__ref="1", quarter=Quarter.Q2)
    assert (row.rag, row.rag_reason) == (after.value, reason)
    assert row.history.order_by("-history_date", "-history_id").first().rag_reason == reason


@pytest.mark.parametrize(("before", "after"), [c for c in CHANGES if change_needs_reason(*c)])
def test_a_worsening_within_one_file_needs_its_reason(finance, before, after):
    rows = [scheme(quarter="Q1", rag=before.value), scheme(quarter="Q2", rag=after.value)]
    summary = tracker_import(source=xlsx(rows), user=finance)
    assert not summary.committed
    assert [(p.row, p.column) for p in summary.errors] == [(3, "RAG reason")]
    assert "give the reason" in summary.errors[0].message
    assert not Scheme.objects.exists()

    rows = [
        with_reason("", quarter="Q1", rag=before.value),
        with_reason("Contract lost.", quarter="Q2", rag=after.value),
    ]
    assert tracker_import(source=xlsx(rows, header=WITH_REASON), user=finance).committed


def test_an_unchanged_rag_needs_no_reason_and_keeps_the_one_recorded(finance):
    services_row = tracker_import(source=xlsx([scheme(quarter="Q1", rag="GREEN")]), user=finance)
    assert services_row.committed
    first = xlsx([with_reason("Provider failed.", quarter="Q2", rag="RED")], header=WITH_REASON)
    assert tracker_import(source=first, user=finance).committed
    again = tracker_import(source=xlsx([scheme(quarter="Q2", rag="RED", ytd_actual=1)]), user=finance)
    assert again.committed
    assert SchemeQuarter.objects.get(scheme__ref="1", quarter=Quarter.Q2).rag_reason == "Provider failed."
