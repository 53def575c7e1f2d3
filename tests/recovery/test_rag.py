"""BRAG statuses: reading them, their order of severity, movement and when a change needs a reason."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recovery.rag import RAG, Movement, OnTarget, change_needs_reason, movement

RAGS_OR_NONE = st.one_of(st.none(), st.sampled_from(list(RAG)))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("RED", RAG.RED),
        ("red", RAG.RED),
        ("Red", RAG.RED),
        ("R", RAG.RED),
        ("r", RAG.RED),
        (" RED ", RAG.RED),
        ("AMBER", RAG.AMBER),
        ("Amber", RAG.AMBER),
        ("A", RAG.AMBER),
        ("GREEN", RAG.GREEN),
        ("green", RAG.GREEN),
        ("G", RAG.GREEN),
        ("BLUE", RAG.BLUE),
        ("Blue", RAG.BLUE),
        ("B", RAG.BLUE),
        ("b", RAG.BLUE),
    ],
)
def test_parse_reads_the_word_or_its_letter(text, expected):
    assert RAG.parse(text) is expected


@pytest.mark.parametrize("text", ["", " ", "Re", "REDD", "GR", "Yellow", "Y", "1", "RAG", "AMBER/RED"])
def test_parse_refuses_anything_else(text):
    with pytest.raises(ValueError, match="not a RAG status"):
        RAG.parse(text)


def test_severity_orders_blue_green_amber_red():
    assert sorted(RAG, key=lambda rag: rag.severity) == [RAG.BLUE, RAG.GREEN, RAG.AMBER, RAG.RED]
    assert RAG.BLUE.severity < RAG.GREEN.severity < RAG.AMBER.severity < RAG.RED.severity


def test_every_status_shows_its_word():
    assert [rag.word for rag in RAG] == ["BLUE", "GREEN", "AMBER", "RED"]


@pytest.mark.parametrize(
    ("previous", "current", "expected"),
    [
        (RAG.GREEN, RAG.AMBER, Movement.WORSENED),
        (RAG.AMBER, RAG.RED, Movement.WORSENED),
        (RAG.BLUE, RAG.RED, Movement.WORSENED),
        (RAG.RED, RAG.AMBER, Movement.IMPROVED),
        (RAG.RED, RAG.GREEN, Movement.IMPROVED),
        (RAG.GREEN, RAG.BLUE, Movement.IMPROVED),
        (RAG.AMBER, RAG.AMBER, Movement.UNCHANGED),
        (RAG.BLUE, RAG.BLUE, Movement.UNCHANGED),
        (None, RAG.RED, Movement.NEW),
        (None, RAG.GREEN, Movement.NEW),
    ],
)
def test_movement(previous, current, expected):
    assert movement(previous, current) is expected


def test_movement_arrows():
    assert Movement.IMPROVED.arrow == "↑"
    assert Movement.WORSENED.arrow == "↓"
    assert Movement.UNCHANGED.arrow == "→"
    assert Movement.NEW.arrow == ""


@pytest.mark.parametrize(
    ("previous", "current", "needed"),
    [
        (RAG.GREEN, RAG.AMBER, True),  # worsens
        (RAG.AMBER, RAG.RED, True),  # worsens
        (RAG.GREEN, RAG.RED, True),  # worsens, skipping AMBER
        (RAG.RED, RAG.GREEN, True),  # improves but skips AMBER
        (RAG.RED, RAG.BLUE, True),  # skips two levels
        (RAG.AMBER, RAG.BLUE, True),  # skips GREEN
        (RAG.AMBER, RAG.GREEN, False),  # one step better
        (RAG.RED, RAG.AMBER, False),  # one step better
        (RAG.GREEN, RAG.BLUE, False),  # delivered
        (None, RAG.RED, False),  # first rating
        (None, RAG.GREEN, False),
        (RAG.RED, None, False),
        (RAG.RED, RAG.RED, False),
        (RAG.GREEN, RAG.GREEN, False),
    ],
)
def test_change_needs_reason(previous, current, needed):
    assert change_needs_reason(previous, current) is needed


@given(RAGS_OR_NONE, RAGS_OR_NONE)
def test_movement_worsens_exactly_when_severity_increases(previous, current):
    worsened = previous is not None and current is not None and current.severity > previous.severity
    assert (movement(previous, current) is Movement.WORSENED) == worsened


@given(RAGS_OR_NONE, RAGS_OR_NONE)
def test_a_reason_is_only_ever_needed_for_an_actual_change(previous, current):
    if change_needs_reason(previous, current):
        assert previous != current
        assert previous is not None
        assert current is not None


@given(st.sampled_from(list(RAG)), st.sampled_from(list(RAG)))
def test_every_worsening_needs_a_reason(previous, current):
    if movement(previous, current) is Movement.WORSENED:
        assert change_needs_reason(previous, current)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Yes", OnTarget.YES),
        ("yes", OnTarget.YES),
        ("Green", OnTarget.YES),
        ("Partial", OnTarget.PARTIAL),
        ("partial", OnTarget.PARTIAL),
        ("Amber", OnTarget.PARTIAL),  # seed 003's Q2 answer
        (" AMBER ", OnTarget.PARTIAL),
        ("No", OnTarget.NO),
        ("RED", OnTarget.NO),
    ],
)
def test_on_target_parse(text, expected):
    assert OnTarget.parse(text) is expected


@pytest.mark.parametrize("text", ["", "Maybe", "Y", "N", "Blue", "partly"])
def test_on_target_parse_refuses_anything_else(text):
    with pytest.raises(ValueError, match="On target"):
        OnTarget.parse(text)


@pytest.mark.parametrize(
    ("answer", "rag"), [(OnTarget.YES, RAG.GREEN), (OnTarget.PARTIAL, RAG.AMBER), (OnTarget.NO, RAG.RED)]
)
def test_on_target_implies_a_status(answer, rag):
    assert answer.rag is rag
