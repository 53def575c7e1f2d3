"""The same scheme and quarter on two rows of one tracker: rows that differ are an error at
preview naming both rows and what differs (nothing is imported); an exact repeat is a warning
and is imported once. Tried in several layouts and positions, and with hypothesis."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitoring.imports import tracker_import, tracker_preview
from monitoring.models import Scheme, SchemeQuarter
from monitoring.tracker import read_tracker
from tests.monitoring.tracker_helpers import HEADER, KEYS, counts, scheme, state, total, xlsx

pytestmark = pytest.mark.django_db

AGENCY = "scheme 1 Reduced Agency Spend (Living and Ageing Well)"


def other(number: int, **values):
    return scheme(ref=str(100 + number), title=f"Other scheme {number}", **values)


def messages(problems) -> list[str]:
    return [str(problem) for problem in problems]


# Rows that differ: an error naming both rows


@pytest.mark.parametrize(
    ("rows", "leading", "first", "second"),
    [
        ([scheme(), scheme(ytd_actual=120000)], (), 2, 3),  # adjacent
        ([other(1), scheme(), other(2), other(3), scheme(ytd_actual=120000), other(4)], (), 3, 6),  # apart
        ([scheme(), other(1), total(), other(2), scheme(ytd_actual=120000)], (), 2, 6),  # a Total between
        ([other(1), scheme(), scheme(ytd_actual=120000)], [["Savings tracker 2023/24"], []], 5, 6),  # a title above
    ],
    ids=["adjacent", "apart", "total-between", "title-above"],
)
def test_rows_that_differ_are_an_error_naming_both(rows, leading, first, second):
    before = state()
    summary = tracker_preview(source=xlsx(rows, leading=leading))

    assert messages(summary.errors) == [
        f"rows {first} and {second} are both {AGENCY} for 2023/24 Q2 with different figures "
        f"(YTD actual £100,000 in row {first}, £120,000 in row {second}): keep one row for each scheme and quarter."
    ]
    assert state() == before


def test_every_value_that_differs_is_named_in_the_units_of_pounds():
    header = ("Quarter", "Financial year", "Title", "Ref", "Service area", "Directorate", "Target (£000s)", "RAG")
    rows = [
        ["Q3", "2022/23", "Reduced Agency Spend", "1", "Living and Ageing Well", "Adult Social Care", 303, "AMBER"],
        ["Q3", "2022/23", "Reduced Agency Spend", "1", "Living and Ageing Well", "Adult Social Care", 310.5, "RED"],
    ]
    summary = tracker_preview(source=xlsx(rows, header))

    assert messages(summary.errors) == [
        f"rows 2 and 3 are both {AGENCY} for 2022/23 Q3 with different figures (Target £303,000 in row 2, "
        "£310,500 in row 3; RAG Amber in row 2, Red in row 3): keep one row for each scheme and quarter."
    ]


def test_rows_that_differ_only_in_text_have_different_details():
    header = (*HEADER, "Timeline")
    rows = [scheme() | {"Timeline": "By March 2024"}, scheme() | {"Timeline": "By June 2024"}]
    summary = tracker_preview(source=xlsx(rows, header))

    assert messages(summary.errors) == [
        f"rows 2 and 3 are both {AGENCY} for 2023/24 Q2 with different details (Timeline 'By March 2024' in "
        "row 2, 'By June 2024' in row 3): keep one row for each scheme and quarter."
    ]


def test_a_blank_figure_is_nil_so_against_0_it_repeats_and_against_a_figure_it_differs():
    """A blank cell in a column the tracker has is nil (DOMAIN.md), the same as 0."""
    same = tracker_preview(source=xlsx([scheme(), scheme(projected_shortfall=None)]))
    assert same.errors == []
    assert len(same.warnings) == 1
    summary = tracker_preview(source=xlsx([scheme(projected_shortfall=5000), scheme(projected_shortfall=None)]))
    assert messages(summary.errors) == [
        f"rows 2 and 3 are both {AGENCY} for 2023/24 Q2 with different figures (Projected shortfall £5,000 in "
        "row 2, £0 in row 3): keep one row for each scheme and quarter."
    ]


def test_year_start_rows_without_a_quarter_repeat_too():
    rows = [scheme(quarter=None, ytd_budget=None, ytd_actual=None, projected_shortfall=None, rag=None)] * 2
    rows[1] = {**rows[1], "Target": 300000}
    summary = tracker_preview(source=xlsx(rows))
    assert messages(summary.errors) == [
        f"rows 2 and 3 are both {AGENCY} for 2023/24 (no quarter) with different figures (Target £303,000 in "
        "row 2, £300,000 in row 3): keep one row for each scheme and quarter."
    ]


def test_the_service_area_and_directorate_match_without_case():
    rows = [scheme(), scheme(service_area="LIVING AND AGEING WELL", directorate="adult social care", ytd_actual=1)]
    summary = tracker_preview(source=xlsx(rows))
    assert len(summary.errors) == 1
    assert str(summary.errors[0]).startswith("rows 2 and 3 are both scheme 1 Reduced Agency Spend")


def test_three_rows_each_later_one_is_compared_with_the_first():
    rows = [scheme(), scheme(ytd_actual=1), scheme(), scheme(ytd_actual=2)]
    summary = tracker_preview(source=xlsx(rows))
    assert [str(problem).split(" with ")[0] for problem in summary.errors] == [
        f"rows 2 and 3 are both {AGENCY} for 2023/24 Q2",
        f"rows 2 and 5 are both {AGENCY} for 2023/24 Q2",
    ]
    assert messages(summary.warnings) == [f"row 4: repeats row 2 exactly ({AGENCY} for 2023/24 Q2): imported once."]


@pytest.mark.parametrize(
    "change",
    [
        {"quarter": "Q3"},
        {"financial_year": "2024/25"},
        {"ref": "1a"},
        {"title": "Reduced agency spend"},  # a title differing in case is another scheme, as in the database
        {"service_area": "Adults with a Disability"},
        {"directorate": "Children's Services"},
    ],
    ids=lambda change: next(iter(change)),
)
def test_another_quarter_year_or_scheme_is_not_a_repeat(finance, change):
    summary = tracker_import(source=xlsx([scheme(), scheme(ytd_actual=1, **change)]), user=finance)
    assert summary.errors == []
    assert summary.warnings == []
    assert summary.committed
    assert summary.new == (1 if "quarter" in change else 2)


def test_rows_that_differ_import_nothing(finance):
    before = state()
    summary = tracker_import(source=xlsx([scheme(), other(1), scheme(ytd_actual=120000)]), user=finance)
    assert not summary.committed
    assert len(summary.errors) == 1
    assert state() == before


# An exact repeat: a warning, imported once


@pytest.mark.parametrize("gap", [0, 1, 3])
def test_an_exact_repeat_is_a_warning_and_imports_once(finance, gap):
    rows = [scheme(), *[other(n) for n in range(gap)], scheme()]
    summary = tracker_import(source=xlsx(rows), user=finance)

    assert summary.errors == []
    assert messages(summary.warnings) == [
        f"row {3 + gap}: repeats row 2 exactly ({AGENCY} for 2023/24 Q2): imported once."
    ]
    assert summary.committed
    assert (summary.new, summary.updated, summary.unchanged) == (1 + gap, 0, 0)
    assert Scheme.objects.filter(title="Reduced Agency Spend").count() == 1
    agency = SchemeQuarter.objects.get(scheme__title="Reduced Agency Spend")
    assert (agency.ytd_actual, agency.version) == (Decimal("100000"), 1)
    assert agency.history.count() == 1


def test_an_exact_repeat_of_an_existing_scheme_is_unchanged_and_writes_no_history(finance):
    assert tracker_import(source=xlsx([scheme()]), user=finance).committed
    before = state()
    summary = tracker_import(source=xlsx([scheme(), scheme()]), user=finance)
    assert (summary.new, summary.updated, summary.unchanged) == (0, 0, 1)
    assert len(summary.warnings) == 1
    assert state() == before


def test_a_repeated_rag_change_is_judged_once(finance):
    """A worsening RAG needs its reason; an exact repeat of that row is not a second change."""
    assert tracker_import(source=xlsx([scheme(rag="GREEN")]), user=finance).committed
    header = (*HEADER, "RAG reason")
    worse = scheme(rag="AMBER") | {"RAG reason": "Recruitment slipped"}
    summary = tracker_import(source=xlsx([worse, worse], header), user=finance)
    assert summary.errors == []
    assert summary.committed
    assert (summary.updated, summary.unchanged) == (1, 0)


# The command line and the browser


def test_the_command_line_prints_the_error_and_fails(tmp_path):
    path = tmp_path / "tracker.xlsx"
    path.write_bytes(xlsx([scheme(), scheme(ytd_actual=120000)]))
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match=r"^1 error\(s\): nothing was imported\.$"):
        call_command("import_tracker", str(path), stdout=out, stderr=err)
    assert err.getvalue() == (
        f"error: rows 2 and 3 are both {AGENCY} for 2023/24 Q2 with different figures (YTD actual £100,000 in "
        "row 2, £120,000 in row 3): keep one row for each scheme and quarter.\n"
    )
    assert Scheme.objects.count() == 0


def test_the_command_line_imports_an_exact_repeat_once(tmp_path):
    path = tmp_path / "tracker.xlsx"
    path.write_bytes(xlsx([scheme(), scheme()]))
    out = StringIO()
    call_command("import_tracker", str(path), stdout=out, stderr=StringIO())
    assert out.getvalue().splitlines() == [
        "1 scheme rows: 1 new, 0 updated, 0 unchanged (were imported).",
        f"warning: row 3: repeats row 2 exactly ({AGENCY} for 2023/24 Q2): imported once.",
    ]
    assert SchemeQuarter.objects.count() == 1


def test_the_preview_page_shows_the_error_and_offers_no_import(client, finance):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(finance)
    data = xlsx([scheme(), other(1), scheme(ytd_actual=120000)])
    response = client.post(reverse("monitoring:tracker_upload"), {"file": SimpleUploadedFile("dupes.xlsx", data)})
    assert response.status_code == 400
    page = response.content.decode()
    assert f"rows 2 and 4 are both {AGENCY} for 2023/24 Q2 with different figures" in page
    assert response.context["token"] == ""
    assert "<button" not in page.split("error-summary")[1]


# The kind, with hypothesis: any number of distinct schemes, one of them repeated anywhere

FIGURE_KEYS = ("target", "ytd_budget", "ytd_actual", "projected_shortfall")
amounts = st.integers(min_value=0, max_value=10_000_000)


@st.composite
def files_with_a_repeat(draw):
    count = draw(st.integers(min_value=1, max_value=8))
    rows = [
        scheme(
            ref=str(n),
            title=f"Scheme {n}",
            service_area=draw(st.sampled_from(["Living and Ageing Well", "Adults with a Disability"])),
            quarter=draw(st.sampled_from(["Q1", "Q2", "Q3", "Q4"])),
            **{key: draw(amounts) for key in FIGURE_KEYS},
            rag=draw(st.sampled_from(["", "RED", "AMBER", "GREEN"])) or None,
        )
        for n in range(count)
    ]
    copied = draw(st.integers(min_value=0, max_value=count - 1))
    position = draw(st.integers(min_value=copied + 1, max_value=count))
    changed = draw(st.sampled_from((None, *FIGURE_KEYS)))
    repeat = dict(rows[copied])
    if changed is not None:
        repeat[KEYS[changed]] += draw(st.integers(min_value=1, max_value=1000))
    rows.insert(position, repeat)
    # Excel row numbers: the header is row 1, a row at list index i is row i + 2.
    return rows, copied + 2, position + 2, changed


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files_with_a_repeat())
def test_any_repeat_anywhere_is_found_and_named(case):
    rows, first, second, changed = case
    tracker = read_tracker(xlsx(rows))
    repeated = rows[first - 2]
    name = f"scheme {repeated['Ref']} {repeated['Title']} ({repeated['Service area']})"
    when = f"2023/24 {repeated['Quarter']}"
    if changed is None:
        assert messages(tracker.errors) == []
        warning = f"row {second}: repeats row {first} exactly ({name} for {when}): imported once."
        assert messages(tracker.warnings) == [warning]
        assert [row.row for row in tracker.rows] == [n + 2 for n in range(len(rows)) if n + 2 != second]
    else:
        assert len(tracker.errors) == 1
        assert str(tracker.errors[0]).startswith(
            f"rows {first} and {second} are both {name} for {when} with different figures ("
        )
        assert tracker.warnings == []


def test_the_import_of_an_exact_repeat_counts_as_the_file_without_it(finance):
    with_repeat = tracker_preview(source=xlsx([scheme(), other(1), scheme(), other(2)]))
    without = tracker_preview(source=xlsx([scheme(), other(1), other(2)]))
    assert (with_repeat.new, with_repeat.updated, with_repeat.unchanged) == (without.new, 0, 0) == (3, 0, 0)
    assert counts()["schemes"] == 0
