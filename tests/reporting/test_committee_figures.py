"""Every figure a committee reads from the builders, pinned to the text it reads (issue 15, item 7).

Pure (no database). The expected sentences and percentages are worked out from the seeds' amounts
(DOMAIN.md), not copied from the builders' output: seed 004's headlines (Transformation update, Q2
2012/13) and seed 002's Appendix 1 (2022/23). Each test here was written to kill mutants that
survived `make mutation`: a dropped headline, a flipped sign, `>` for `>=`, a lost unit.
Only known figures are used: how unknown figures are totalled and shown is tested elsewhere.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recovery.money import parse_money
from recovery.periods import FinancialYear, Period, Quarter
from recovery.rag import RAG
from recovery.reporting.builders import (
    STATED_TOTAL_NOTE_END,
    MilestoneLine,
    PlanSnapshot,
    SchemeLine,
    StatedFigure,
    UpdateLine,
    build_appendix,
    build_plan,
    build_transformation,
    figure_values,
    transformation_figures,
)
from recovery.reporting.formatting import format_cell
from recovery.reporting.report import Report, Section, Unit
from tests.reporting.seeds import (
    APPENDIX_PERIOD,
    OVERALL,
    PORTFOLIOS,
    TRANSFORMATION_PERIOD,
    appendix_lines,
    transformation_lines,
)

D = Decimal
GENERATED = datetime(2024, 1, 15, 9, 30)
PERIOD_2024_Q2 = Period(FinancialYear(2024), Quarter.Q2)


def line(**values) -> SchemeLine:
    """One scheme with known figures (amounts in pounds)."""
    defaults = {
        "directorate": "Adult Social Care",
        "portfolio": "Living and Ageing Well",
        "service_area": "Living and Ageing Well",
        "ref": "1",
        "title": "A scheme",
        "target": D(1_000_000),
    }
    return SchemeLine(**(defaults | values))


def appendix(lines: list[SchemeLine], *, portfolios=None, stated=(), period=APPENDIX_PERIOD) -> Report:
    return build_appendix(
        period=period,
        lines=lines,
        portfolios=[] if portfolios is None else portfolios,
        organisation="Example Council",
        generated_at=GENERATED,
        stated=stated,
    )


def transformation(lines: list[SchemeLine], period: Period = TRANSFORMATION_PERIOD) -> Report:
    return build_transformation(period=period, lines=lines, organisation="Example Council", generated_at=GENERATED)


def section(report: Report, key: str) -> Section:
    (found,) = [s for s in report.sections if s.key == key]
    return found


def shown(sec: Section, values: dict, key: str) -> str:
    column = next(c for c in sec.columns if c.key == key)
    return format_cell(values[key], column)


def headlines(report: Report) -> dict[str, str]:
    return {headline.key: headline.text for headline in report.headlines}


# Seed 004's executive summary ------------------------------------------------------------------
# Total target 7,956,000; profiled to Q2 1,849,232 (23.24% → 23.2%); actual 1,691,122 (21.26% →
# 21.3%); shortfall 1,849,232 − 1,691,122 = 158,110 (£158k); 34 schemes (35 rows less the
# unallocated requirement); unallocated 436,298 (5.48% → 5.5%); RED 2,518,338 (31.65% → 31.7%,
# not the seed's 31.6%); AMBER 2,634,805 (£2.635m half-up, 33.12% → 33.1%); GREEN 2,366,559
# (29.75% → 29.7% at the headlines' one decimal).
SEED_004_HEADLINES = {
    "total_target": "Total Savings Plan target is £7.956m",
    "cumulative_target": (
        "Cumulative savings target (to end of quarter two 2012/13) £1.849m, which equates to 23.2% "
        "of the full year target"
    ),
    "actual": (
        "Actual savings achieved are £1.691m, which is 21.3% of the full year target, "
        "a shortfall of £158k against the profile"
    ),
    "shortfall_against_profile": "Shortfall against the profiled target: £158k",
    "scheme_count": "Currently there are 34 schemes with identified savings targets",
    "unallocated": (
        "Balance of savings targets to achieve a balanced budget is £436k, which is 5.5% of the overall savings target"
    ),
    "rag_red": "5 schemes RAG rated RED with a total value of £2.518m (31.7% of the total savings)",
    "rag_amber": "16 schemes RAG rated AMBER with a total value of £2.635m (33.1% of the total savings)",
    "rag_green": "13 schemes RAG rated GREEN with a total value of £2.367m (29.7% of the total savings)",
}


def test_seed_004_headlines_are_these_and_only_these_in_this_order():
    assert list(headlines(transformation(transformation_lines()))) == list(SEED_004_HEADLINES)


@pytest.mark.parametrize(("key", "text"), SEED_004_HEADLINES.items())
def test_seed_004_headline_reads(key, text):
    assert headlines(transformation(transformation_lines()))[key] == text


def test_seed_004_headline_labels_values_and_units():
    report = transformation(transformation_lines())
    got = {h.key: (h.label, h.value, h.unit, h.rag) for h in report.headlines}
    assert got == {
        "total_target": ("Total savings plan target", D(7956000), Unit.POUNDS, None),
        "cumulative_target": ("Cumulative savings target", D(1849232), Unit.POUNDS, None),
        "actual": ("Actual savings achieved", D(1691122), Unit.POUNDS, None),
        "shortfall_against_profile": ("Shortfall against profile", D(158110), Unit.POUNDS, None),
        "scheme_count": ("Number of schemes", 34, Unit.TEXT, None),
        "unallocated": ("Balance to achieve a balanced budget", D(436298), Unit.POUNDS, None),
        "rag_red": ("RED schemes", D(2518338), Unit.POUNDS, RAG.RED),
        "rag_amber": ("AMBER schemes", D(2634805), Unit.POUNDS, RAG.AMBER),
        "rag_green": ("GREEN schemes", D(2366559), Unit.POUNDS, RAG.GREEN),
    }


@pytest.mark.parametrize(
    ("quarter", "words"),
    [(Quarter.Q1, "one"), (Quarter.Q2, "two"), (Quarter.Q3, "three"), (Quarter.Q4, "four")],
)
def test_cumulative_headline_names_the_quarter_in_words(quarter, words):
    report = transformation([line(target=D(400_000), ytd_budget=D(100_000))], Period(FinancialYear(2024), quarter))
    assert headlines(report)["cumulative_target"] == (
        f"Cumulative savings target (to end of quarter {words} 2024/25) £0.100m, which equates to 25.0% "
        "of the full year target"
    )
    assert report.title == f"Transformation Plan Update Report to End of Quarter {int(quarter)}"


# The actual-savings headline's clause and the shortfall headline, on each side of the profile.


@pytest.mark.parametrize(
    ("profiled", "actual", "clause", "shortfall_text"),
    [
        # Behind the profile by 158,110 (seed 004), by £1k exactly, and by a half-thousand (half-up).
        ("1849232", "1691122", "a shortfall of £158k against the profile", "£158k"),
        ("250000", "249000", "a shortfall of £1k against the profile", "£1k"),
        ("250000", "248500", "a shortfall of £2k against the profile", "£2k"),
        # Ahead: the amount ahead is shown as a positive figure after "ahead of"; the shortfall
        # headline shows a negative shortfall, the sign before the £.
        ("250000", "300000", "£50k ahead of the profile", "-£50k"),
        ("250000", "251000", "£1k ahead of the profile", "-£1k"),
        # On the profile to the penny.
        ("250000", "250000", "exactly on the profile", "£0k"),
        ("0", "0", "exactly on the profile", "£0k"),
    ],
)
def test_actual_headline_clause_and_shortfall_headline(profiled, actual, clause, shortfall_text):
    report = transformation([line(target=D(1_000_000), ytd_budget=D(profiled), ytd_actual=D(actual))])
    texts = headlines(report)
    assert texts["actual"].endswith(f" of the full year target, {clause}")
    shortfall = next(h for h in report.headlines if h.key == "shortfall_against_profile")
    assert shortfall.value == D(profiled) - D(actual)
    assert shortfall.text == f"Shortfall against the profiled target: {shortfall_text}"


@pytest.mark.parametrize(
    ("profiled", "actual", "words"),
    [
        ("100.01", "100.00", "a shortfall of "),  # a penny behind is behind
        ("100.99", "100.00", "a shortfall of "),
        ("101.00", "100.00", "a shortfall of "),
        ("100.00", "100.01", " ahead of the profile"),  # a penny ahead is ahead
        ("100.00", "100.99", " ahead of the profile"),
        ("100.00", "101.00", " ahead of the profile"),
        ("100.00", "100.00", "exactly on the profile"),
    ],
)
def test_the_clause_follows_the_sign_of_the_unrounded_shortfall(profiled, actual, words):
    report = transformation([line(target=D(1_000_000), ytd_budget=D(profiled), ytd_actual=D(actual))])
    clause = headlines(report)["actual"].split(" of the full year target, ", 1)[1]
    assert words in clause
    assert sum(kind in clause for kind in ("a shortfall of ", " ahead of the profile", "exactly on the profile")) == 1


pennies = st.decimals(min_value=0, max_value=10**8, places=2, allow_nan=False, allow_infinity=False)


@settings(max_examples=50, deadline=None)
@given(profiled=pennies, actual=pennies)
def test_the_clause_and_the_shortfall_headline_agree_with_the_figures(profiled, actual):
    report = transformation([line(target=D(10**9), ytd_budget=profiled, ytd_actual=actual)])
    clause = headlines(report)["actual"].split(" of the full year target, ", 1)[1]
    behind = profiled - actual
    shortfall = next(h for h in report.headlines if h.key == "shortfall_against_profile")
    assert shortfall.value == behind
    # The figure in the sentence, read back in £000s, is the shortfall rounded half-up.
    stated = parse_money(shortfall.text.rsplit(": ", 1)[1].removesuffix("k"))
    assert stated == (behind / 1000).quantize(D(1), rounding=ROUND_HALF_UP)
    if behind > 0:
        assert clause.startswith("a shortfall of £")
    elif behind < 0:
        assert clause.endswith("k ahead of the profile")
    else:
        assert clause == "exactly on the profile"
    if abs(behind) >= 500:  # a whole £k or more: the clause names the rounded amount
        amount = f"£{abs(stated):,.0f}k"
        assert clause in (f"a shortfall of {amount} against the profile", f"{amount} ahead of the profile")


def test_shares_are_of_the_total_target_to_one_decimal_half_up():
    # 1 of 8 = 12.5% exactly; 1 of 3 = 33.3%; 2 of 3 = 66.7% (half-up at one decimal).
    lines = [
        line(ref="1", target=D(100), ytd_budget=D(100), ytd_actual=D(25), rag=RAG.RED),
        line(ref="2", target=D(200), ytd_budget=D(0), ytd_actual=D(0), rag=RAG.GREEN),
        # Nil, not unknown: a share is only worked out where every line gave the figure (issue 15 item 3).
        line(ref="3", target=D(500), is_unallocated=True, rag=RAG.RED, ytd_budget=D(0), ytd_actual=D(0)),
    ]
    texts = headlines(transformation(lines))
    assert texts["cumulative_target"].endswith("£0.000m, which equates to 12.5% of the full year target")
    assert texts["actual"].startswith("Actual savings achieved are £0.000m, which is 3.1% of the full year target, ")
    assert texts["unallocated"] == (
        "Balance of savings targets to achieve a balanced budget is £1k, which is 62.5% of the overall savings target"
    )
    assert texts["scheme_count"] == "Currently there are 2 schemes with identified savings targets"
    assert texts["rag_red"] == "1 scheme RAG rated RED with a total value of £0.000m (12.5% of the total savings)"
    assert texts["rag_amber"] == "0 schemes RAG rated AMBER with a total value of £0.000m (0.0% of the total savings)"
    assert texts["rag_green"] == "1 scheme RAG rated GREEN with a total value of £0.000m (25.0% of the total savings)"


def test_a_blue_scheme_has_its_headline_and_a_count_of_one_is_singular():
    lines = [
        line(ref="1", target=D(600_000), rag=RAG.BLUE, ytd_actual=D(600_000)),
        line(ref="2", target=D(400_000), rag=RAG.GREEN),
        line(ref="3", target=D(1_000_000), rag=RAG.GREEN),
    ]
    texts = headlines(transformation(lines))
    assert list(texts)[-4:] == ["rag_red", "rag_amber", "rag_green", "rag_blue"]
    assert texts["rag_blue"] == "1 scheme RAG rated BLUE with a total value of £0.600m (30.0% of the total savings)"
    assert texts["rag_green"] == "2 schemes RAG rated GREEN with a total value of £1.400m (70.0% of the total savings)"
    assert texts["rag_red"] == "0 schemes RAG rated RED with a total value of £0.000m (0.0% of the total savings)"


def test_headline_figures_of_seed_004_count_the_unallocated_requirement_in_money_only():
    figures = transformation_figures(transformation_lines())
    assert figures.unallocated_share == D(436298) / D(7956000)
    by_rag = {summary.rag: summary for summary in figures.by_rag}
    assert [summary.rag for summary in figures.by_rag] == [RAG.RED, RAG.AMBER, RAG.GREEN, RAG.BLUE]
    assert by_rag[RAG.AMBER].share == D(2634805) / D(7956000)
    assert by_rag[RAG.GREEN].share == D(2366559) / D(7956000)
    assert by_rag[RAG.BLUE].share == D(0)


def test_transformation_report_heading_and_notes():
    report = transformation(transformation_lines())
    assert report.kind == "transformation"
    assert report.title == "Transformation Plan Update Report to End of Quarter 2"
    assert report.period == "2012/13, to 30/09/2012"
    assert report.organisation == "Example Council"
    assert report.notes == [
        "Amounts in pounds. Balance still to achieve = full year budget − year to date actual. "
        "Subtotals, the total and every headline are computed from the scheme rows. "
        "An unallocated savings requirement counts in the money totals but not as a scheme, "
        "nor in a RAG's scheme value. Percentages are of the total target, to one decimal place, "
        "rounded half-up."
    ]


def test_transformation_columns_in_pounds():
    report = transformation(transformation_lines())
    columns = section(report, "rag-red").columns
    assert [(c.key, c.label, c.unit) for c in columns] == [
        ("ref", "Scheme no", Unit.TEXT),
        ("rag", "RAG status", Unit.RAG),
        ("title", "Saving Summary", Unit.TEXT),
        ("recurrence", "Recurrent/ Non Recurrent", Unit.TEXT),
        ("target", "Full year budget", Unit.POUNDS),
        ("ytd_budget", "Year to date budget", Unit.POUNDS),
        ("ytd_actual", "Year to Date actual", Unit.POUNDS),
        ("balance", "Balance still to achieve", Unit.POUNDS),
        ("projected_shortfall", "Projected shortfall", Unit.POUNDS),
    ]
    red = section(report, "rag-red")
    assert (red.title, red.caption) == ("RED schemes", "Schemes rated RED, Q2 2012/13")
    total = section(report, "total")
    assert (total.title, total.caption, total.rows) == ("Total", "All schemes, Q2 2012/13", [])
    assert total.columns == columns
    assert report.generated_at == GENERATED


def test_transformation_row_carries_the_scheme_as_entered():
    report = transformation(transformation_lines())
    row = next(r for s in report.sections for r in s.rows if r.get("ref") == "2Bii")
    # Seed 004, scheme 2Bii: full year 86,805, actual 78,114, balance 8,691.
    assert row.get("target") == D(86805)
    assert row.get("ytd_actual") == D(78114)
    assert row.get("balance") == D(8691)
    assert row.get("rag") is RAG.AMBER
    assert row.get("recurrence") == "R"
    assert row.kind == "item"


# Appendix 1: the mitigation sentence under each table ---------------------------------------------


@pytest.mark.parametrize(
    ("remaining", "sentence"),
    [
        # Seed 002: Living and Ageing Well, 10,888 − 10,227 = 661.
        ("661000", "£661k remains to be mitigated."),
        ("1000", "£1k remains to be mitigated."),
        ("500", "£1k remains to be mitigated."),  # half-up to £1k
        # Under £500 is £0k in a report in £000s: nothing to mitigate at the report's precision.
        ("499.99", "Delivered – no mitigations required."),
        ("0.01", "Delivered – no mitigations required."),
        ("0", "Delivered – no mitigations required."),
        ("-0.01", "Delivered – no mitigations required."),
        ("-499.99", "Delivered – no mitigations required."),
        # Over-delivery, shown as a positive amount over: seed 002's Governance and Inclusion, −529.
        ("-500", "Delivered – no mitigations required (£1k over-delivery forecast)."),
        ("-1000", "Delivered – no mitigations required (£1k over-delivery forecast)."),
        ("-529000", "Delivered – no mitigations required (£529k over-delivery forecast)."),
        ("1234567", "£1,235k remains to be mitigated."),
    ],
)
def test_mitigation_sentence(remaining, sentence):
    target = D(2_000_000)
    report = appendix([line(target=target, forecast_year_end=D(0), forecast_next_year=target - D(remaining))])
    (area,) = [s for s in report.sections if s.key.startswith("area-")]
    assert area.total.get("timeline") == sentence
    assert area.total.get("challenges") == ""
    overall = section(report, "overall")
    assert overall.total.get("mitigations") == D(remaining)


@settings(max_examples=50, deadline=None)
@given(st.decimals(min_value=-(10**8), max_value=10**8, places=2, allow_nan=False, allow_infinity=False))
def test_the_mitigation_sentence_states_the_rounded_amount_with_its_sign(remaining):
    target = D(10**8)
    report = appendix([line(target=target, forecast_next_year=target - remaining, forecast_year_end=D(0))])
    sentence = report.sections[0].total.get("timeline")
    thousands = (remaining / 1000).quantize(D(1), rounding=ROUND_HALF_UP)
    if thousands > 0:
        assert sentence == f"£{thousands:,}k remains to be mitigated."
    elif thousands < 0:
        assert sentence == f"Delivered – no mitigations required (£{-thousands:,}k over-delivery forecast)."
    else:
        assert sentence == "Delivered – no mitigations required."


# Appendix 1: the Overall Total's percentages, computed from its amounts ----------------------------
# Seed 002's Overall Total; the amounts are the rows' (so Adults with Disabilities' forecast is
# 4,338, not the printed 4,312: 4,338 ÷ 9,506 = 45.6% → 46%, where the seed prints 45%).
OVERALL_PERCENTAGES = {
    "Change and Strategy Delivery": ("83%", "100%"),  # 1,500 ÷ 1,803; 1,803 ÷ 1,803
    "Living and Ageing Well": ("64%", "94%"),  # 6,994 ÷ 10,888 = 64.2%; 10,227 ÷ 10,888 = 93.9%
    "Adults with Disabilities": ("46%", "92%"),  # 4,338 ÷ 9,506 = 45.6%; 8,710 ÷ 9,506 = 91.6%
    "Mental Health and Wellbeing": ("73%", "88%"),  # 1,210 ÷ 1,650 = 73.3%; 1,450 ÷ 1,650 = 87.9%
    "Care Governance and Inclusion": ("142%", "142%"),  # 1,783 ÷ 1,254 = 142.2%
    "Commissioning and Partnerships": ("100%", "100%"),
}


@pytest.mark.parametrize(("portfolio", "percentages"), OVERALL_PERCENTAGES.items())
def test_overall_total_percentages_by_portfolio(portfolio, percentages):
    overall = section(appendix(appendix_lines(), portfolios=PORTFOLIOS), "overall")
    row = next(row for row in overall.rows if row.get("portfolio") == portfolio)
    target, forecast, forecast_next, _ = OVERALL[portfolio]
    assert row.get("percent_year_end") == D(forecast) / D(target)
    assert row.get("percent_next_year") == D(forecast_next) / D(target)
    assert (shown(overall, row.values, "percent_year_end"), shown(overall, row.values, "percent_next_year")) == (
        percentages
    )


def test_overall_total_amounts_in_thousands_with_the_over_delivery_negative():
    overall = section(appendix(appendix_lines(), portfolios=PORTFOLIOS), "overall")
    governance = next(row for row in overall.rows if row.get("portfolio") == "Care Governance and Inclusion")
    assert [
        shown(overall, governance.values, key)
        for key in ("target", "forecast_year_end", "forecast_next_year", "mitigations")
    ] == ["1,254", "1,783", "1,783", "-529"]
    assert governance.get("mitigations") == D(-529000)


def test_a_portfolio_that_is_not_listed_still_gets_its_row():
    # A line whose portfolio is missing from the list given: its row comes after the listed ones.
    report = appendix(
        [line(portfolio="Listed", target=D(1000)), line(portfolio="Unlisted", target=D(3000), service_area="B")],
        portfolios=["Listed"],
    )
    overall = section(report, "overall")
    assert [(row.get("portfolio"), row.get("target")) for row in overall.rows] == [
        ("Listed", D(1000)),
        ("Unlisted", D(3000)),
    ]


# Appendix 1: stated totals, at area, portfolio and whole-report level ----------------------------


def test_a_portfolio_stated_total_that_disagrees_is_noted_with_both_figures():
    # Seed 002's Overall Total prints 4,312 for Adults with Disabilities' forecast; the rows give 4,338.
    report = appendix(
        appendix_lines(),
        portfolios=PORTFOLIOS,
        stated=[StatedFigure("Adults with Disabilities", "forecast_year_end", D(4312000), "Seed 002")],
    )
    assert report.notes[1:] == [
        "Adults with Disabilities: the forecast for the year computed from the rows is 4,338 (£000s); "
        f"Seed 002 states 4,312. {STATED_TOTAL_NOTE_END}"
    ]


@pytest.mark.parametrize(
    ("stated", "note"),
    [
        (
            StatedFigure("Living and Ageing Well", "target", D(10889000)),
            "Living and Ageing Well: the target computed from the rows is 10,888 (£000s); "
            "the source document states 10,889.",
        ),
        (
            StatedFigure("Mental Health and Wellbeing", "forecast_next_year", D(1449000)),
            "Mental Health and Wellbeing: the forecast by the end of the following year computed from the rows "
            "is 1,450 (£000s); the source document states 1,449.",
        ),
        (
            StatedFigure("Total", "ytd_actual", D(11127000)),
            # Achieved to date: 925 + 5,206 + 2,833.4 + 877 + 100 + 1,187 = 11,128.4 → 11,128.
            "Total: the achieved to date computed from the rows is 11,128 (£000s); the source document states 11,127.",
        ),
        (
            StatedFigure("Care Governance and Inclusion", "target", D(-1254000)),
            "Care Governance and Inclusion: the target computed from the rows is 1,254 (£000s); "
            "the source document states -1,254.",
        ),
    ],
)
def test_a_stated_total_one_thousand_out_is_noted(stated, note):
    report = appendix(appendix_lines(), portfolios=PORTFOLIOS, stated=[stated])
    assert report.notes[1:] == [f"{note} {STATED_TOTAL_NOTE_END}"]


@pytest.mark.parametrize(
    "stated",
    [
        StatedFigure("Adults with Disabilities", "forecast_year_end", D(4338000)),
        StatedFigure("Adults with Disabilities", "forecast_year_end", D("4338499.99")),
        StatedFigure("Adults with Disabilities", "forecast_year_end", D(4337500)),
        StatedFigure("Mental Health and Wellbeing", "target", D(1650000)),
        StatedFigure("Total", "forecast_next_year", D(24073000)),
        # A scope the report does not total is not compared.
        StatedFigure("No such area", "target", D(1)),
    ],
)
def test_a_stated_total_that_agrees_in_whole_thousands_or_cannot_be_compared_is_not_noted(stated):
    report = appendix(appendix_lines(), portfolios=PORTFOLIOS, stated=[stated])
    assert len(report.notes) == 1


def test_appendix_notes_and_heading():
    report = appendix(appendix_lines(), portfolios=PORTFOLIOS)
    assert report.notes == [
        "Figures in £000s. Totals and percentages are computed from the project rows; "
        "mitigations required = target − forecast by the end of the following year "
        "(negative where a portfolio over-delivers)."
    ]
    assert report.title == "Appendix 1: Recovery Plan Performance by Service Area"
    assert report.period == "2022/23 as at the end of Q3 (31/12/2022)"
    assert report.kind == "appendix"
    assert report.organisation == "Example Council"


# Appendix 1: columns, each with its unit; dates as the seed heads them (dd/mm/yy) -------------------


def test_appendix_columns_and_units():
    report = appendix(appendix_lines(), portfolios=PORTFOLIOS)
    area = report.sections[0]
    assert [(c.key, c.label, c.unit) for c in area.columns] == [
        ("title", "Project Title", Unit.TEXT),
        ("target", "Target 31/03/23 (£000s)", Unit.THOUSANDS),
        ("forecast_year_end", "Forecast 31/03/23 (£000s)", Unit.THOUSANDS),
        ("percent_year_end", "% By 31/03/23", Unit.PERCENT),
        ("forecast_next_year", "Forecast 31/03/24 (£000s)", Unit.THOUSANDS),
        ("percent_next_year", "% By 31/03/24", Unit.PERCENT),
        ("ytd_actual", "Achieved to Date (£000s)", Unit.THOUSANDS),
        ("timeline", "Timeline for completion", Unit.TEXT),
        ("challenges", "Challenges", Unit.TEXT),
    ]
    assert [c.places for c in area.columns] == [0] * 9
    overall = section(report, "overall")
    assert [(c.key, c.label, c.unit) for c in overall.columns] == [
        ("portfolio", "Saving Category by Portfolio", Unit.TEXT),
        ("target", "Target 31/03/23 (£000s)", Unit.THOUSANDS),
        ("forecast_year_end", "Forecast 31/03/23 (£000s)", Unit.THOUSANDS),
        ("forecast_next_year", "Forecast 31/03/24 (£000s)", Unit.THOUSANDS),
        ("percent_year_end", "Forecast % by 1 April 2023", Unit.PERCENT),
        ("percent_next_year", "Forecast % by 1 April 2024", Unit.PERCENT),
        ("mitigations", "Mitigations Required (£000s)", Unit.THOUSANDS),
    ]


@pytest.mark.parametrize(
    ("start", "end", "next_end"),
    [(2009, "31/03/10", "31/03/11"), (2023, "31/03/24", "31/03/25"), (2099, "31/03/00", "31/03/01")],
)
def test_appendix_dates_are_dd_mm_yy_of_the_year_end_and_the_next(start, end, next_end):
    report = appendix([line()], period=Period(FinancialYear(start), Quarter.Q1))
    labels = [c.label for c in report.sections[0].columns]
    assert f"Target {end} (£000s)" in labels
    assert f"% By {end}" in labels
    assert f"Forecast {next_end} (£000s)" in labels
    assert f"% By {next_end}" in labels


def test_appendix_sections_are_numbered_titled_and_captioned():
    report = appendix(
        [
            line(service_area="Second", service_area_order=2, title="b"),
            line(service_area="First", service_area_order=1, title="a"),
        ]
    )
    assert [(s.key, s.title, s.caption) for s in report.sections] == [
        ("area-1", "1. First", "First: savings projects, Q3 2022/23"),
        ("area-2", "2. Second", "Second: savings projects, Q3 2022/23"),
        ("overall", "3. Overall Total", "Overall total by portfolio, Q3 2022/23"),
    ]


def test_appendix_row_figures_and_percentages_of_one_project():
    # Seed 002's first Living and Ageing Well project reads 2,628 achieved (its "2.628" is £m).
    report = appendix(
        [
            line(
                title="Right-sizing",
                target=D(4408000),
                forecast_year_end=D(1378000),
                forecast_next_year=D(4200000),
                ytd_actual=D(2628000),
                timeline="March 2024",
                challenges="Recruitment",
            )
        ]
    )
    area = report.sections[0]
    (row,) = area.rows
    assert [shown(area, row.values, c.key) for c in area.columns] == [
        "Right-sizing",
        "4,408",
        "1,378",
        "31%",  # 1,378 ÷ 4,408 = 31.3%
        "4,200",
        "95%",  # 4,200 ÷ 4,408 = 95.3%: the seed prints 96%
        "2,628",
        "March 2024",
        "Recruitment",
    ]
    assert [shown(area, area.total.values, c.key) for c in area.columns[:7]] == [
        "Total",
        "4,408",
        "1,378",
        "31%",
        "4,200",
        "95%",
        "2,628",
    ]
    assert area.total.kind == "total"


# A single plan as filed (seed 000): the header's figures in £'000 and the quarters' headings -------


def plan_snapshot(**changes) -> PlanSnapshot:
    """Seed 000's plan (2023/24): 22/23 budget −2, outturn 397, 23/24 budget 0, pressure 397 − (−2) = 399."""
    values = {
        "year": FinancialYear(2023),
        "directorate": "Chief Executive",
        "tracker_ref": "FRB/23/007",
        "service_director": "Dev Gopal",
        "service_area": "Adult Social care assessment costs and income shortfall",
        "service_manager": "Deb Fensome",
        "cost_centres": "FF4104",
        "previous_year_budget": D(-2000),
        "previous_year_budget_note": "",
        "previous_year_outturn": D(397000),
        "previous_year_outturn_note": "",
        "current_year_budget": D(0),
        "current_year_budget_note": "",
        "pressure": D(399000),
        "pressure_note": "",
        "deficit_since": "2019/20",
        "context": "Not enough resource.",
        "actions": "Recruit.",
        "status": "Submitted",
        "milestones": [
            MilestoneLine("Recruitment of 2 IRO’s", D("37699.68"), True, "December 23", revised="January 24"),
            MilestoneLine("Obtain shortfall", D(80000), False, "2023/2024", status="Met"),
        ],
        "updates": [
            UpdateLine(
                quarter=Quarter.Q2,
                on_target="Partial",
                narrative="Slipped.",
                status="Submitted",
                rag=RAG.AMBER,
                milestones_explanation="Recruitment slipped.",
            )
        ],
    }
    return PlanSnapshot(**(values | changes))


def plan_report(**changes) -> Report:
    return build_plan(plan=plan_snapshot(**changes), organisation="Example Council", generated_at=GENERATED)


def test_plan_header_figures_in_thousands_as_on_the_form():
    header = dict(section(plan_report(), "header").fields)
    assert header["22/23 Budget £'000"] == "-2"
    assert header["22/23 Outturn £'000"] == "397"
    assert header["23/24 Budget £'000"] == "0"
    assert header["Pressure on this activity in 23/24 (based on 22/23 outturn) £'000"] == "399"
    assert header["Combined Tracker Ref."] == "FRB/23/007"
    assert header["Status"] == "Submitted"


@pytest.mark.parametrize(
    ("amount", "note", "text"),
    [
        (D(18473500), "", "18,473.5"),  # exact: half a thousand is not rounded away
        (D("18473550"), "", "18,473.55"),
        (D(-2000), "", "-2"),
        (D(-500), "", "-0.5"),
        (D(31752000), "(£1,932k overspend)", "31,752 (£1,932k overspend)"),  # seed 001: a figure and a note
        (None, "", "—"),
        (None, "Projected overspend as per Q3 is £765k.", "— Projected overspend as per Q3 is £765k."),
    ],
)
def test_plan_figure_with_its_note(amount, note, text):
    header = dict(section(plan_report(previous_year_outturn=amount, previous_year_outturn_note=note), "header").fields)
    assert header["22/23 Outturn £'000"] == text


def test_plan_milestones_and_quarters():
    report = plan_report()
    milestones = section(report, "milestones")
    assert [c.unit for c in milestones.columns] == [Unit.TEXT, Unit.POUNDS, Unit.TEXT, Unit.TEXT]
    assert [row.values for row in milestones.rows] == [
        {
            "details": "Recruitment of 2 IRO’s",
            "amount": D("37699.68"),
            "due": "December 23 (revised: January 24)",
            "progress": "Yearly saving",
        },
        {"details": "Obtain shortfall", "amount": D(80000), "due": "2023/2024", "progress": "Met"},
    ]
    quarterly = section(report, "quarterly")
    assert [row.get("quarter") for row in quarterly.rows] == [
        "QUARTER 1 (TO 30/06/2023)",
        "QUARTER 2 (TO 30/09/2023)",
        "QUARTER 3 (TO 31/12/2023)",
        "QUARTER 4 (TO 31/03/2024)",  # the seed's "31/03/23" is a typo for the 2023/24 year's end
    ]
    assert [(row.get("rag"), row.get("status"), row.get("on_target")) for row in quarterly.rows] == [
        (None, "Not started", ""),
        (RAG.AMBER, "Submitted", "Partial"),
        (None, "Not started", ""),
        (None, "Not started", ""),
    ]
    detail = section(report, "update-q2")
    assert detail.fields == [("Where milestones were not met", "Recruitment slipped.")]
    assert report.title == "Deficit Recovery Plan: Adult Social care assessment costs and income shortfall"
    assert report.period == "2023/24"
    assert section(report, "context").lines == ["In deficit since 2019/20.", "Not enough resource."]
    assert section(report, "actions").title == "Actions to keep 23/24 spend in line with approved budget"


def test_every_stated_total_is_judged_not_only_the_first():
    # The first agrees, the second and third do not: both disagreements are noted, in order.
    stated = [
        StatedFigure("Living and Ageing Well", "target", D(10888000)),
        StatedFigure("Adults with a Disability", "forecast_year_end", D(4312000)),
        StatedFigure("Total", "target", D(25200000)),
    ]
    report = appendix(appendix_lines(), portfolios=PORTFOLIOS, stated=stated)
    assert [note.split(":")[0] for note in report.notes[1:]] == ["Adults with a Disability", "Total"]
    assert "4,338" in report.notes[1]
    assert "25,201" in report.notes[2]


def test_appendix_total_rows_are_totals_and_filters_are_kept():
    report = build_appendix(
        period=APPENDIX_PERIOD,
        lines=appendix_lines(),
        portfolios=PORTFOLIOS,
        organisation="Example Council",
        generated_at=GENERATED,
        filters={"directorate": "Adult Social Care"},
    )
    assert [s.total.kind for s in report.sections] == ["total"] * len(report.sections)
    assert report.filters == {"directorate": "Adult Social Care"}
    assert report.generated_at == GENERATED
    transformation_report = build_transformation(
        period=TRANSFORMATION_PERIOD,
        lines=transformation_lines(),
        organisation="Example Council",
        generated_at=GENERATED,
        filters={"directorate": "Adult Social Care"},
    )
    assert transformation_report.filters == {"directorate": "Adult Social Care"}


def test_plan_laid_out_as_the_seed_form():
    report = plan_report(
        tracker_ref="",
        service_director="",
        service_manager="",
        cost_centres="",
        previous_year_budget_note="(budget note)",
        current_year_budget_note="(current note)",
        pressure_note="(pressure note)",
        deficit_since="",
        milestones=[MilestoneLine("Review", D("18849.84"), True, "2023/24", status="Met")],
        updates=[
            UpdateLine(
                quarter=Quarter.Q3,
                on_target="No",
                narrative="Behind.",
                status="Submitted",
                rag=RAG.RED,
                rag_reason="Worse.",
                recovery_actions="Recruit.",
                alternative_proposal="Realign.",
            )
        ],
    )
    assert [(s.key, s.title, s.kind) for s in report.sections] == [
        ("header", "Deficit Recovery Plan", "fields"),
        ("context", "Context behind the pressure", "text"),
        ("actions", "Actions to keep 23/24 spend in line with approved budget", "text"),
        ("milestones", "Timescale for budget deficit recovery", "table"),
        ("quarterly", "Quarterly monitoring updates", "table"),
        ("update-q3", "Q3: further detail", "fields"),
    ]
    assert section(report, "header").fields == [
        ("Directorate", "Chief Executive"),
        ("Combined Tracker Ref.", "—"),
        ("Service Director", "—"),
        ("Service Area", "Adult Social care assessment costs and income shortfall"),
        ("Service Manager", "—"),
        ("Activity/Cost centres", "—"),
        ("22/23 Budget £'000", "-2 (budget note)"),
        ("22/23 Outturn £'000", "397"),
        ("23/24 Budget £'000", "0 (current note)"),
        ("Pressure on this activity in 23/24 (based on 22/23 outturn) £'000", "399 (pressure note)"),
        ("Status", "Submitted"),
    ]
    assert section(report, "context").lines == ["Not enough resource."]
    assert section(report, "actions").lines == ["Recruit."]
    (milestone,) = section(report, "milestones").rows
    assert milestone.get("progress") == "Yearly saving; Met"
    quarterly = section(report, "quarterly")
    assert [row.get("narrative") for row in quarterly.rows] == ["", "", "Behind.", ""]
    assert quarterly.caption == (
        "On target? Yes = GREEN; Partial (e.g. milestones slipped) = AMBER; No = RED. RAG as set by finance."
    )
    assert [c.key for c in quarterly.columns] == ["quarter", "on_target", "rag", "status", "narrative"]
    assert section(report, "update-q3").fields == [
        ("Bringing delivery back on track", "Recruit."),
        ("Alternative proposal for realigning budgets (for DMT)", "Realign."),
        ("Reason for the RAG", "Worse."),
    ]
    assert report.kind == "plan"
    assert report.organisation == "Example Council"
    assert report.generated_at == GENERATED
    assert report.notes == [
        "Figures in £'000 as on the form; milestone amounts in pounds. Pressure = outturn − budget."
    ]


def test_a_quarters_figures_by_name_become_a_scheme_lines_figures():
    values = figure_values({"ytd_actual": D(925000), "forecast_year_end": D(1500000), "unrelated": D(1)})
    assert values == {
        "ytd_budget": None,
        "ytd_actual": D(925000),
        "forecast_year_end": D(1500000),
        "forecast_next_year": None,
        "projected_shortfall": None,
    }
    assert line(**values).ytd_actual == D(925000)
