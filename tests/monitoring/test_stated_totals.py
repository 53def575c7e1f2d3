"""Stated totals judged by the table's layout (monitoring.tracker): random trackers in each
layout councils publish, with correct totals (no warning) and with one stated figure off by 1
(exactly one warning, naming its row and column and the scope compared)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitoring.tracker import read_tracker
from tests.monitoring.tracker_helpers import TRACKER_002, TRACKER_004, xlsx

HEADER = [
    "Financial year",
    "Quarter",
    "Directorate",
    "Service area",
    "Ref",
    "Title",
    "Target",
    "YTD budget",
    "YTD actual",
]
AMOUNTS = ("Target", "YTD budget", "YTD actual")
LAYOUTS = ("flat", "sections", "subtotals_and_grand_total", "named")

amount = st.integers(min_value=1_000, max_value=2_000_000)
area_rows = st.lists(st.tuples(amount, amount, amount), min_size=1, max_size=4)
directorates = st.lists(st.lists(area_rows, min_size=1, max_size=3), min_size=1, max_size=3)


def layout(structure: list[list[list[tuple[int, int, int]]]], kind: str, data: st.DataObject) -> list[list[Any]]:
    """The sheet's rows (without the header) in the layout ``kind``, with correct totals."""
    rows: list[list[Any]] = []
    everything: list[tuple[int, int, int]] = []

    def total_row(label: str, covered: list[tuple[int, int, int]]) -> list[Any]:
        sums = [sum(item[i] for item in covered) for i in range(3)]
        return [None, None, None, None, None, label, *sums]

    number = 0
    for d, areas in enumerate(structure, start=1):
        directorate = f"Directorate {d}"
        in_directorate: list[tuple[int, int, int]] = []
        for a, schemes in enumerate(areas, start=1):
            area = f"Service {d}.{a}"
            for item in schemes:
                number += 1
                rows.append(["2024/25", "Q2", directorate, area, str(number), f"Scheme {number}", *item])
            in_directorate += schemes
            everything += schemes
            if kind == "sections":
                rows.append(total_row(data.draw(st.sampled_from(["Total", "Sub-total", "TOTAL"])), schemes))
            elif kind == "subtotals_and_grand_total":
                rows.append(total_row(data.draw(st.sampled_from(["Sub-total", "Subtotal", "Sub total"])), schemes))
            elif kind == "named":
                label = data.draw(st.sampled_from([f"Total {area}", f"{area} total", f"Total: {area}"]))
                rows.append(total_row(label, schemes))
        if kind == "named":
            rows.append(total_row(f"Total {directorate}", in_directorate))
    if kind == "flat":
        rows.append(total_row(data.draw(st.sampled_from(["Total", "Grand total", "TOTAL"])), everything))
    elif kind in ("subtotals_and_grand_total", "named"):
        rows.append(total_row("Grand total", everything))
    return rows


def is_total(row: list[Any]) -> bool:
    return row[0] is None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(structure=directorates, kind=st.sampled_from(LAYOUTS), data=st.data())
def test_correct_stated_totals_in_every_layout_give_no_warning(structure, kind, data):
    result = read_tracker(xlsx(layout(structure, kind, data), header=HEADER))
    assert result.errors == []
    assert result.warnings == []
    assert len(result.rows) == sum(len(schemes) for areas in structure for schemes in areas)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(structure=directorates, kind=st.sampled_from(LAYOUTS), data=st.data())
def test_one_stated_figure_off_by_one_gives_exactly_one_warning_naming_its_row_and_column(structure, kind, data):
    rows = layout(structure, kind, data)
    totals = [index for index, row in enumerate(rows) if is_total(row)]
    index = data.draw(st.sampled_from(totals))
    column = data.draw(st.sampled_from(range(3)))
    stated = rows[index][6 + column] + data.draw(st.sampled_from([1, -1]))
    rows[index][6 + column] = stated
    result = read_tracker(xlsx(rows, header=HEADER))
    assert result.errors == []
    assert [(warning.row, warning.column) for warning in result.warnings] == [(index + 2, AMOUNTS[column])]
    message = result.warnings[0].message
    assert f"stated £{stated:,}" in message
    assert "add up to" in message or "adds up to" in message


def test_the_warning_names_the_scope_it_compared():
    rows = [["2024/25", "Q2", "Adults", "Service A", str(n), f"Scheme {n}", 500, None, None] for n in range(1, 8)] + [
        [None, None, None, None, None, "Total", 4120, None, None]
    ]
    rows[6][6] = 1102  # rows 2–8 add up to 4,102
    result = read_tracker(xlsx(rows, header=HEADER))
    assert [str(warning) for warning in result.warnings] == [
        "row 9, column Target: stated £4,120; rows 2–8 add up to £4,102."
    ]


def test_a_first_section_without_a_total_leaves_the_second_total_covering_its_own_area():
    # Seed 002's layout: the first section has no Total; the next Total covers only its area.
    rows = [
        ["2024/25", "Q2", "Adults", "First", "1", "One", 1500, None, None],
        ["2024/25", "Q2", "Adults", "Second", "2", "Two", 3470, None, None],
        ["2024/25", "Q2", "Adults", "Second", "3", "Three", 4408, None, None],
        [None, None, None, None, None, "Total", 7878, None, None],
    ]
    assert read_tracker(xlsx(rows, header=HEADER)).warnings == []


def test_a_sub_total_is_not_counted_twice_in_the_grand_total():
    rows = [
        ["2024/25", "Q2", "Adults", "A", "1", "One", 100, None, None],
        [None, None, None, None, None, "Sub-total", 100, None, None],
        ["2024/25", "Q2", "Adults", "B", "2", "Two", 200, None, None],
        [None, None, None, None, None, "Sub-total", 200, None, None],
        [None, None, None, None, None, "Grand total", 600, None, None],  # 300 + the sub-totals: wrong
    ]
    warnings = read_tracker(xlsx(rows, header=HEADER)).warnings
    assert [(warning.row, warning.column) for warning in warnings] == [(6, "Target")]
    assert "add up to £300" in warnings[0].message


def test_a_title_that_merely_starts_with_total_is_a_scheme():
    rows = [["2024/25", "Q2", "Adults", "A", "1", "Total transport review", 100, None, None]]
    result = read_tracker(xlsx(rows, header=HEADER))
    assert [row.title for row in result.rows] == ["Total transport review"]


def test_seed_trackers_warn_only_of_002s_4312_against_4338():
    seed_002 = read_tracker(TRACKER_002.read_bytes())
    seed_004 = read_tracker(TRACKER_004.read_bytes())
    assert seed_004.warnings == []
    assert [str(warning) for warning in seed_002.warnings] == [
        "row 23, column Forecast (£000s): stated 4,312; rows 11–22 add up to 4,338."
    ]
