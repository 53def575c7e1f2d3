"""Scheme arithmetic against seed 004 (Transformation Plan update, Q2 2012/13), and the RAG the
figures suggest. Expected figures are the ones the seed prints."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from monitoring.calculations import (
    SchemeFigures,
    Sum,
    balance_to_achieve,
    nil,
    rag_disagreements,
    ratio,
    shortfall_against_profile,
    suggested_rag,
    sum_of,
    total,
)
from recovery.rag import RAG

SEED_004 = Path(__file__).resolve().parents[2] / "fixtures" / "seed_004_transformation.json"
SEED = json.loads(SEED_004.read_text(encoding="utf-8"))
ROWS = SEED["schemes"]


def money(text: str | None) -> Decimal:
    """A figure of the fixture: its null is nil (a dash or blank the seed prints), 0."""
    return Decimal(0) if text is None else Decimal(text)


def printed(text: str) -> Decimal:
    """A figure as the seed prints it: "1,234,567" (blank is nil, shown as 0 in a subtotal)."""
    return Decimal(text.replace(",", "") or "0")


def figures(row: dict) -> SchemeFigures:
    return SchemeFigures(
        target=Decimal(row["target"]),
        ytd_budget=money(row["ytd_budget"]),
        ytd_actual=money(row["ytd_actual"]),
        projected_shortfall=money(row["projected_shortfall"]),
    )


def test_the_seed_has_every_scheme():
    assert len(ROWS) == 35
    assert sum(1 for row in ROWS if not row["unallocated"]) == 34


@pytest.mark.parametrize("row", ROWS, ids=[f"{row['ref'] or 'unallocated'}-{row['title'][:20]}" for row in ROWS])
def test_balance_to_achieve_of_every_scheme_is_the_printed_balance(row):
    balance = balance_to_achieve(target=Decimal(row["target"]), ytd_actual=money(row["ytd_actual"]))
    assert balance == printed(row["printed"]["balance"])


def test_balance_to_achieve_seed_2bii():
    # The docstring's own example: 86,805 - 78,114 = 8,691.
    assert balance_to_achieve(target=Decimal("86805"), ytd_actual=Decimal("78114")) == Decimal("8691")


def test_balance_with_a_nil_actual_is_the_target():
    # The unallocated requirement prints no YTD actual (nil): its balance is the whole 436,298.
    assert balance_to_achieve(target=Decimal("436298"), ytd_actual=Decimal(0)) == Decimal("436298")


def test_balance_with_an_unknown_actual_is_unknown():
    # Missing is not zero: with no YTD actual given, the balance is not the whole target.
    assert balance_to_achieve(target=Decimal("436298"), ytd_actual=None) is None
    assert shortfall_against_profile(ytd_budget=Decimal(5), ytd_actual=None) is None
    assert shortfall_against_profile(ytd_budget=None, ytd_actual=Decimal(5)) is None


def group_totals(rows: list[dict]) -> dict[str, Decimal]:
    return {
        "target": total(Decimal(row["target"]) for row in rows),
        "ytd_budget": total(money(row["ytd_budget"]) for row in rows),
        "ytd_actual": total(money(row["ytd_actual"]) for row in rows),
        "balance": total(
            balance_to_achieve(target=Decimal(row["target"]), ytd_actual=money(row["ytd_actual"])) for row in rows
        ),
        "projected_shortfall": total(money(row["projected_shortfall"]) for row in rows),
    }


STATED = {
    "RED": ("2,954,636", "181,006", "0", "2,954,636", "2,699,636"),
    "AMBER": ("2,634,805", "725,384", "288,785", "2,346,020", "0"),
    "GREEN": ("2,366,559", "942,842", "1,402,337", "964,222", "0"),
}
COLUMNS = ("target", "ytd_budget", "ytd_actual", "balance", "projected_shortfall")


@pytest.mark.parametrize("rag", ["RED", "AMBER", "GREEN"])
def test_each_rag_group_adds_up_to_its_printed_subtotal(rag):
    rows = [row for row in ROWS if row["rag"] == rag]
    expected = {column: printed(value) for column, value in zip(COLUMNS, STATED[rag], strict=True)}
    assert group_totals(rows) == expected


def test_the_fixture_subtotals_are_the_ones_the_seed_prints():
    # The figures above are copied from the seed; the fixture keeps them too.
    for subtotal in SEED["stated_subtotals"]:
        assert tuple(subtotal[column] for column in COLUMNS) == STATED[subtotal["rag"]]


def test_the_unallocated_row_is_in_the_red_subtotal():
    red = [row for row in ROWS if row["rag"] == "RED"]
    assert [row["unallocated"] for row in red].count(True) == 1
    without = group_totals([row for row in red if not row["unallocated"]])
    # RED's headline value 2.518m is the five schemes without the unallocated 436,298.
    assert without["target"] == Decimal("2518338")
    assert group_totals(red)["target"] - without["target"] == Decimal("436298")


def test_total_of_every_row_is_the_printed_total():
    expected = {
        "target": Decimal("7956000"),
        "ytd_budget": Decimal("1849232"),
        "ytd_actual": Decimal("1691122"),
        "balance": Decimal("6264878"),
        "projected_shortfall": Decimal("2699636"),
    }
    assert group_totals(ROWS) == expected
    assert {column: printed(SEED["stated_total"][column]) for column in COLUMNS} == expected


def test_shortfall_against_profile_is_the_headline_158k():
    assert shortfall_against_profile(ytd_budget=Decimal("1849232"), ytd_actual=Decimal("1691122")) == Decimal("158110")


def test_total_of_nothing_and_of_nils():
    assert total([]) == Decimal(0)
    assert isinstance(total([]), Decimal)  # a Decimal zero, formatted as money like any total
    assert total([None, None]) is None  # unknown, not 0
    assert total([Decimal("1.10"), None, Decimal("2.20")]) == Decimal("3.30")
    assert sum_of([Decimal("1.10"), None, Decimal("2.20")]) == Sum(Decimal("3.30"), known=2, count=3)
    assert sum_of([Decimal("1.10"), None]).partial
    assert not sum_of([None, None]).partial
    assert not sum_of([Decimal(0), Decimal(0)]).partial
    assert sum_of([Decimal(0), Decimal(0)]).amount == 0


def test_nil_and_ratio():
    assert nil(None) == Decimal(0)
    assert nil(Decimal("-2")) == Decimal("-2")
    assert ratio(Decimal("2518338"), Decimal(0)) is None
    assert ratio(Decimal("1"), Decimal("4")) == Decimal("0.25")


# The status the figures suggest, on each side of every boundary.

TARGET = Decimal("1000.00")


@pytest.mark.parametrize(
    ("fig", "expected"),
    [
        # A projected shortfall of half the target or more is RED.
        (SchemeFigures(target=TARGET, ytd_actual=Decimal(0), projected_shortfall=Decimal("500.00")), RAG.RED),
        (SchemeFigures(target=TARGET, ytd_actual=Decimal(0), projected_shortfall=Decimal("999.99")), RAG.RED),
        (SchemeFigures(target=TARGET, ytd_actual=Decimal(0), projected_shortfall=Decimal("499.99")), RAG.AMBER),
        (SchemeFigures(target=TARGET, ytd_actual=Decimal(0), projected_shortfall=Decimal("0.01")), RAG.AMBER),
        # On profile with no shortfall is GREEN; one penny behind the profile is AMBER.
        (
            SchemeFigures(
                target=TARGET,
                ytd_budget=Decimal("250.00"),
                ytd_actual=Decimal("250.00"),
                projected_shortfall=Decimal(0),
            ),
            RAG.GREEN,
        ),
        (
            SchemeFigures(
                target=TARGET,
                ytd_budget=Decimal("250.00"),
                ytd_actual=Decimal("249.99"),
                projected_shortfall=Decimal(0),
            ),
            RAG.AMBER,
        ),
        (
            SchemeFigures(
                target=TARGET,
                ytd_budget=Decimal("250.00"),
                ytd_actual=Decimal("250.01"),
                projected_shortfall=Decimal(0),
            ),
            RAG.GREEN,
        ),
        # Nil everywhere: nothing behind, nothing short.
        (SchemeFigures(target=TARGET), RAG.GREEN),
        # The whole target achieved is BLUE; a penny short of it is not.
        (SchemeFigures(target=TARGET, ytd_budget=TARGET, ytd_actual=TARGET), RAG.BLUE),
        (SchemeFigures(target=TARGET, ytd_budget=TARGET, ytd_actual=Decimal("1000.01")), RAG.BLUE),
        (SchemeFigures(target=TARGET, ytd_budget=Decimal("999.99"), ytd_actual=Decimal("999.99")), RAG.GREEN),
    ],
)
def test_suggested_rag_boundaries(fig, expected):
    assert suggested_rag(fig) is expected


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("1", RAG.RED),  # shortfall 50,000 of 50,000
        ("16a", RAG.RED),  # RED 16a: shortfall 700,338 of 933,338
        ("2D", RAG.BLUE),  # 35,000 of 35,000 achieved
        ("12b i", RAG.BLUE),  # 491,000 of 491,000 achieved
        ("10", RAG.BLUE),  # 50,364 of 50,364 achieved
        ("9", RAG.AMBER),  # 42,000 against a profile of 175,002
        ("2A", RAG.AMBER),  # GREEN in the seed, nothing against a profile of 190,002
        ("5", RAG.GREEN),  # 350,000 against a profile of 121,002
        ("14a", RAG.GREEN),  # nothing profiled yet, no shortfall
    ],
)
def test_suggested_rag_of_seed_004_schemes(ref, expected):
    row = next(row for row in ROWS if row["ref"] == ref)
    assert suggested_rag(figures(row)) is expected


def test_green_with_a_projected_shortfall_is_flagged():
    fig = SchemeFigures(target=TARGET, ytd_actual=Decimal(0), projected_shortfall=Decimal("0.01"))
    reasons = rag_disagreements(RAG.GREEN, fig)
    assert len(reasons) == 1
    assert "GREEN" in reasons[0]
    assert "shortfall" in reasons[0]


def test_green_with_no_shortfall_on_profile_is_not_flagged():
    fig = SchemeFigures(target=TARGET, ytd_budget=Decimal(100), ytd_actual=Decimal(100), projected_shortfall=Decimal(0))
    assert rag_disagreements(RAG.GREEN, fig) == []


def test_blue_with_a_balance_still_to_achieve_is_flagged():
    fig = SchemeFigures(target=TARGET, ytd_budget=Decimal("600.00"), ytd_actual=Decimal("600.00"))
    assert rag_disagreements(RAG.BLUE, fig) == ["BLUE (delivered) but £400 is still to achieve."]


def test_blue_a_penny_short_is_flagged():
    fig = SchemeFigures(target=TARGET, ytd_budget=Decimal("999.99"), ytd_actual=Decimal("999.99"))
    reasons = rag_disagreements(RAG.BLUE, fig)
    assert len(reasons) == 1
    assert reasons[0].startswith("BLUE (delivered) but £")


def test_blue_fully_delivered_is_not_flagged():
    fig = SchemeFigures(target=TARGET, ytd_budget=TARGET, ytd_actual=TARGET, projected_shortfall=Decimal(0))
    assert rag_disagreements(RAG.BLUE, fig) == []


def test_green_behind_the_profile_is_flagged():
    fig = SchemeFigures(
        target=TARGET, ytd_budget=Decimal("250.00"), ytd_actual=Decimal("249.99"), projected_shortfall=Decimal(0)
    )
    reasons = rag_disagreements(RAG.GREEN, fig)
    assert len(reasons) == 1
    assert "behind the year-to-date profile" in reasons[0]


def test_red_with_the_target_achieved_is_flagged():
    fig = SchemeFigures(target=TARGET, ytd_actual=TARGET)
    reasons = rag_disagreements(RAG.RED, fig)
    assert len(reasons) == 1
    assert "full target has been achieved" in reasons[0]


def test_amber_behind_profile_and_red_with_a_shortfall_are_not_contradictions():
    behind = SchemeFigures(target=TARGET, ytd_budget=Decimal(500), ytd_actual=Decimal(0))
    short = SchemeFigures(target=TARGET, ytd_actual=Decimal(0), projected_shortfall=Decimal(900))
    assert rag_disagreements(RAG.AMBER, behind) == []
    assert rag_disagreements(RAG.RED, short) == []


def test_no_stated_status_has_no_disagreements():
    assert rag_disagreements(None, SchemeFigures(target=TARGET, projected_shortfall=TARGET)) == []


def test_seed_004_scheme_2a_green_with_nothing_against_its_profile_is_flagged():
    row = next(row for row in ROWS if row["ref"] == "2A")
    assert row["rag"] == "GREEN"
    reasons = rag_disagreements(RAG.GREEN, figures(row))
    assert reasons == ["GREEN but £190,002 behind the year-to-date profile."]


def test_seed_004_green_schemes_on_or_ahead_of_profile_are_not_flagged():
    for ref in ("2D", "5", "12b i", "19", "21"):
        row = next(row for row in ROWS if row["ref"] == ref)
        assert rag_disagreements(RAG.GREEN, figures(row)) == [], ref


# Properties

PENNIES = st.decimals(min_value=Decimal("-999999999.99"), max_value=Decimal("999999999.99"), places=2, allow_nan=False)
MAYBE_PENNIES = st.one_of(st.none(), PENNIES)


@given(PENNIES, MAYBE_PENNIES)
def test_balance_is_target_less_actual(target, actual):
    expected = target - actual if actual is not None else None
    assert balance_to_achieve(target=target, ytd_actual=actual) == expected


@given(st.lists(MAYBE_PENNIES, max_size=12))
def test_a_sum_is_of_the_known_values_and_counts_them(values):
    known = [value for value in values if value is not None]
    result = sum_of(values)
    assert result.count == len(values)
    assert result.known == len(known)
    assert result.amount == (None if values and not known else sum(known, Decimal(0)))
    assert total(values) == result.amount
    assert result.partial == (0 < len(known) < len(values))


@given(PENNIES, MAYBE_PENNIES, MAYBE_PENNIES, MAYBE_PENNIES, st.one_of(st.none(), st.sampled_from(list(RAG))))
def test_suggested_rag_and_disagreements_never_raise(target, budget, actual, shortfall, stated):
    fig = SchemeFigures(target=target, ytd_budget=budget, ytd_actual=actual, projected_shortfall=shortfall)
    assert suggested_rag(fig) in set(RAG)
    assert isinstance(rag_disagreements(stated, fig), list)


@given(PENNIES.filter(lambda value: value > 0), MAYBE_PENNIES, MAYBE_PENNIES, MAYBE_PENNIES)
def test_the_suggested_status_never_contradicts_itself(target, budget, actual, shortfall):
    fig = SchemeFigures(target=target, ytd_budget=budget, ytd_actual=actual, projected_shortfall=shortfall)
    delivered = target - (actual or Decimal(0)) <= 0
    assume(not (delivered and shortfall is not None and shortfall > 0))  # delivered yet short: stale data
    assert rag_disagreements(suggested_rag(fig), fig) == []


def test_amounts_in_a_flag_are_rounded_half_up():
    # DOMAIN.md: amounts are rounded half-up at display. £2,500.50 behind is shown as £2,501.
    fig = SchemeFigures(target=Decimal("10000"), ytd_budget=Decimal("2500.50"), ytd_actual=Decimal(0))
    assert rag_disagreements(RAG.GREEN, fig) == ["GREEN but £2,501 behind the year-to-date profile."]
    short = SchemeFigures(target=Decimal("10000"), projected_shortfall=Decimal("0.50"))
    assert rag_disagreements(RAG.GREEN, short)[0] == "GREEN but a shortfall of £1 is projected."


# A zero target (a scheme with nothing to save yet, like seed 002's empty Chief Social Work Officer
# portfolio): it cannot be "delivered" (BLUE) nor be half-short (RED) of nothing; a projected
# shortfall or delivery behind the profile still makes it AMBER.

ZERO = Decimal(0)


@pytest.mark.parametrize(
    ("fig", "expected"),
    [
        (SchemeFigures(target=ZERO), RAG.GREEN),
        (SchemeFigures(target=ZERO, ytd_budget=ZERO, ytd_actual=ZERO, projected_shortfall=ZERO), RAG.GREEN),
        (SchemeFigures(target=ZERO, ytd_actual=Decimal("100.00")), RAG.GREEN),
        (SchemeFigures(target=ZERO, projected_shortfall=Decimal("0.01")), RAG.AMBER),
        (SchemeFigures(target=ZERO, projected_shortfall=Decimal("100.00")), RAG.AMBER),
        (SchemeFigures(target=ZERO, ytd_budget=Decimal("0.01"), ytd_actual=ZERO), RAG.AMBER),
    ],
)
def test_suggested_rag_of_a_zero_target(fig, expected):
    assert suggested_rag(fig) is expected


@pytest.mark.parametrize(
    ("fig", "expected"),
    [
        # Exactly half the target short is RED; a penny under half is AMBER (target 1.00: 0.50 / 0.49).
        (SchemeFigures(target=Decimal("1.00"), projected_shortfall=Decimal("0.50")), RAG.RED),
        (SchemeFigures(target=Decimal("1.00"), projected_shortfall=Decimal("0.49")), RAG.AMBER),
        (SchemeFigures(target=Decimal("0.01"), projected_shortfall=Decimal("0.01")), RAG.RED),
        # Delivered in full to the penny, whatever the profile said.
        (SchemeFigures(target=Decimal("0.01"), ytd_budget=Decimal(5), ytd_actual=Decimal("0.01")), RAG.BLUE),
        # Ahead of the profile by a penny, no shortfall: GREEN; behind by a penny: AMBER.
        (SchemeFigures(target=TARGET, ytd_budget=Decimal("0.00"), ytd_actual=Decimal("0.01")), RAG.GREEN),
        (SchemeFigures(target=TARGET, ytd_budget=Decimal("0.01"), ytd_actual=Decimal("0.00")), RAG.AMBER),
        # A negative projected shortfall (an over-delivery forecast) is no shortfall.
        (SchemeFigures(target=TARGET, ytd_actual=Decimal(0), projected_shortfall=Decimal("-600.00")), RAG.GREEN),
    ],
)
def test_suggested_rag_at_the_penny(fig, expected):
    assert suggested_rag(fig) is expected


@pytest.mark.parametrize("stated", [RAG.RED, RAG.AMBER, RAG.GREEN, RAG.BLUE])
def test_a_zero_target_with_nothing_entered_contradicts_no_status(stated):
    # "The full target has been achieved" is not said of a target of nothing.
    assert rag_disagreements(stated, SchemeFigures(target=ZERO, ytd_actual=ZERO)) == []


def test_a_zero_target_with_a_projected_shortfall_contradicts_green_and_blue():
    fig = SchemeFigures(target=ZERO, projected_shortfall=Decimal(250))
    assert rag_disagreements(RAG.GREEN, fig) == ["GREEN but a shortfall of £250 is projected."]
    assert rag_disagreements(RAG.BLUE, fig) == ["BLUE but a shortfall of £250 is projected."]
    assert rag_disagreements(RAG.AMBER, fig) == []


@pytest.mark.parametrize(
    ("fig", "stated", "reasons"),
    [
        # Amounts under £1 are shown in pounds and pence, not as "£0" or "£1".
        (
            SchemeFigures(target=TARGET, projected_shortfall=Decimal("0.40")),
            RAG.GREEN,
            ["GREEN but a shortfall of £0.40 is projected."],
        ),
        (
            SchemeFigures(target=TARGET, ytd_actual=Decimal("999.60")),
            RAG.BLUE,
            ["BLUE (delivered) but £0.40 is still to achieve."],
        ),
        (
            SchemeFigures(target=TARGET, ytd_budget=Decimal("250.01"), ytd_actual=Decimal("250.00")),
            RAG.GREEN,
            ["GREEN but £0.01 behind the year-to-date profile."],
        ),
        # From £1 up (after rounding half-up), whole pounds.
        (
            SchemeFigures(target=TARGET, projected_shortfall=Decimal("0.50")),
            RAG.GREEN,
            ["GREEN but a shortfall of £1 is projected."],
        ),
        (
            SchemeFigures(target=TARGET, ytd_actual=Decimal(0), projected_shortfall=Decimal("1234.49")),
            RAG.BLUE,
            ["BLUE but a shortfall of £1,234 is projected.", "BLUE (delivered) but £1,000 is still to achieve."],
        ),
        # Every contradiction at once, in this order.
        (
            SchemeFigures(
                target=TARGET, ytd_budget=Decimal(600), ytd_actual=Decimal(500), projected_shortfall=Decimal(100)
            ),
            RAG.GREEN,
            ["GREEN but a shortfall of £100 is projected.", "GREEN but £100 behind the year-to-date profile."],
        ),
        (
            SchemeFigures(target=TARGET, ytd_actual=Decimal("1000.01")),
            RAG.AMBER,
            ["AMBER but the full target has been achieved."],
        ),
        (
            SchemeFigures(target=Decimal("0.01"), ytd_actual=Decimal("0.01")),
            RAG.RED,
            ["RED but the full target has been achieved."],
        ),
        (SchemeFigures(target=TARGET, ytd_actual=Decimal("999.99")), RAG.RED, []),
    ],
)
def test_disagreement_sentences(fig, stated, reasons):
    assert rag_disagreements(stated, fig) == reasons


def test_scheme_figures_of_a_quarter_by_name():
    fig = SchemeFigures.of(TARGET, {"ytd_budget": Decimal(1), "ytd_actual": Decimal(2), "unrelated": Decimal(9)})
    assert fig == SchemeFigures(target=TARGET, ytd_budget=Decimal(1), ytd_actual=Decimal(2))


def test_shortfall_against_profile_ahead_is_negative_and_unknown_is_unknown():
    assert shortfall_against_profile(ytd_budget=Decimal(100), ytd_actual=Decimal(150)) == Decimal(-50)
    # Nil (0) counts as nothing; an unknown figure (None) leaves the shortfall unknown (issue 15 item 3).
    assert shortfall_against_profile(ytd_budget=Decimal(0), ytd_actual=Decimal(150)) == Decimal(-150)
    assert shortfall_against_profile(ytd_budget=Decimal(100), ytd_actual=Decimal(0)) == Decimal(100)
    assert shortfall_against_profile(ytd_budget=None, ytd_actual=Decimal(150)) is None
    assert shortfall_against_profile(ytd_budget=Decimal(100), ytd_actual=None) is None


def test_ratio_is_unrounded_and_signed():
    assert ratio(Decimal(1), Decimal(3)) == Decimal(1) / Decimal(3)
    assert ratio(Decimal(-529), Decimal(1254)) == Decimal(-529) / Decimal(1254)
    assert ratio(Decimal(0), Decimal(5)) == Decimal(0)
