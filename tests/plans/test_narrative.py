"""Narratives pasted from Word rendered as safe HTML: paragraphs, bullets and small tables."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plans.demo import read_seed
from recovery.narrative import render_narrative

# The only tags render_narrative writes itself; anything else in the output came from the user.
ALLOWED_TAG = re.compile(
    r'</?(?:p|br|ul|li|thead|tbody|tr|td)>|<th scope="col">|</th>|<caption class="visually-hidden">|</caption>'
    r'|<div class="table-responsive">|</div>|<table class="table table-sm table-bordered narrative-table">|</table>'
)


def seed_plan(seed: str) -> dict:
    return next(plan for plan in read_seed()["plans"] if plan["seed"] == seed)


@pytest.mark.parametrize(
    "attack",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '"><svg onload=alert(1)>',
        "· <script>alert(1)</script>",
        "| <script>alert(1)</script> | <img src=x onerror=alert(1)> |\n| <b>x</b> | y |",
    ],
)
def test_everything_typed_is_escaped(attack):
    html = str(render_narrative(attack))
    assert "<script" not in html
    assert "<img" not in html
    assert "<svg" not in html
    assert "<b>" not in html
    assert ALLOWED_TAG.sub("", html).count("<") == 0


def test_script_is_shown_as_text():
    assert str(render_narrative("<script>alert(1)</script>")) == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"


def test_img_onerror_is_shown_as_text():
    html = str(render_narrative("See <img src=x onerror=alert(1)>"))
    assert html == "<p>See &lt;img src=x onerror=alert(1)&gt;</p>"


def test_nothing_gives_nothing():
    assert render_narrative("") == ""
    assert render_narrative(None) == ""
    assert render_narrative("\n  \n") == ""


def test_lines_of_a_paragraph_are_kept_and_paragraphs_separated():
    html = str(render_narrative("First line\nsecond line\r\n\r\nNext paragraph"))
    assert html == "<p>First line<br>second line</p><p>Next paragraph</p>"


@pytest.mark.parametrize("bullet", ["·", "•", "-", "*", "▪"])
def test_bullets_become_a_list(bullet):
    html = str(render_narrative(f"Intro\n{bullet} There were 72 children\n{bullet} 58 of those cost over £1k"))
    assert html == "<p>Intro</p><ul><li>There were 72 children</li><li>58 of those cost over £1k</li></ul>"


def test_a_minus_figure_is_not_a_bullet():
    assert str(render_narrative("-2 is the budget")) == "<p>-2 is the budget</p>"


def test_seed_001_pressure_note_is_a_list_of_two():
    html = str(render_narrative(seed_plan("001")["pressure_note"]))
    assert html.startswith("<ul><li>£1.557m projected overspend")
    assert html.count("<li>") == 2
    assert "<li>£366k final outturn overspend in 22/23</li>" in html


def test_pipe_rows_become_a_table_with_a_header_row():
    html = str(render_narrative("| Position | Difference |\n|---|---|\n| IRO | £392.70 |"))
    assert '<thead><tr><th scope="col">Position</th><th scope="col">Difference</th></tr></thead>' in html
    assert "<tbody><tr><td>IRO</td><td>£392.70</td></tr></tbody>" in html
    assert "---" not in html


def test_seed_003_context_renders_its_table():
    html = str(render_narrative(seed_plan("003")["context"]))
    assert html.startswith("<p>The budget has been in persistent overspend since at least 2019/20")
    assert html.count("<table") == 1
    assert html.count('<th scope="col">') == 5
    assert '<th scope="col">Position</th>' in html
    assert (
        "<tr><td>Team Manager</td><td>£1,865.27</td><td>£1,387.23</td><td>£478.04</td><td>£22,946.04</td></tr>" in html
    )
    assert html.count("<tr>") == 6  # header and five positions
    assert "<p>The additional cost between agency and permanent" in html


@pytest.mark.parametrize("separator", ["|---|---|", "| -- |", "|:--:|"])
def test_a_table_of_only_separator_rows_does_not_break_the_page(separator):
    # A manager who types only the separator line of a table must not get an error page.
    html = str(render_narrative(f"Before\n{separator}\nAfter"))
    assert html.startswith("<p>Before</p>")
    assert html.endswith("<p>After</p>")


@given(st.text())
def test_any_text_renders_without_error_and_escaped(text):
    html = str(render_narrative(text))
    assert ALLOWED_TAG.sub("", html).count("<") == 0


@given(st.lists(st.sampled_from(["| a | b |", "|---|---|", "· x", "<i>", "plain", "", "| -- |"]), max_size=6))
def test_pasted_fragments_render_without_error(lines):
    html = str(render_narrative("\n".join(lines)))
    assert ALLOWED_TAG.sub("", html).count("<") == 0
