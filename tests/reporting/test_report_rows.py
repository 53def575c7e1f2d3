"""Report table rows are drawn by plain string formatting: the HTML must be what Django's own
escaping (linebreaksbr with autoescape, format_html) gives, for any text a user can type."""

from __future__ import annotations

from decimal import Decimal

from django.template.defaultfilters import linebreaksbr
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from hypothesis import given, settings
from hypothesis import strategies as st

from recovery.rag import RAG
from recovery.reporting.report import Column, Row, Unit
from recovery.reporting.templatetags.report_tags import _lines_html, report_row
from recovery.templatetags.ui import rag_badge

TEXT = st.text(alphabet=st.sampled_from(list("ab <>&\"'\r\n£–é")), max_size=30)
COLUMNS = [
    Column("ref", "Scheme no", Unit.TEXT),
    Column("title", "Scheme", Unit.TEXT, wrap=True),
    Column("rag", "RAG", Unit.RAG),
    Column("target", "Target", Unit.POUNDS),
]


@settings(max_examples=50, deadline=None)
@given(TEXT)
def test_text_is_escaped_and_broken_into_lines_as_linebreaksbr_does(text):
    assert _lines_html(text) == linebreaksbr(text, autoescape=True)


def test_safe_text_is_not_escaped_twice():
    assert _lines_html(mark_safe("<b>x</b>\nnext")) == "<b>x</b><br>next"


@settings(max_examples=50, deadline=None)
@given(ref=TEXT, title=TEXT, rag=st.sampled_from([None, *RAG]), kind=st.sampled_from(["item", "unallocated"]))
def test_a_row_is_the_html_format_html_would_draw(ref, title, rag, kind):
    row = Row({"ref": ref, "title": title, "rag": rag, "target": Decimal("1234.5")}, kind=kind)

    expected = format_html(
        '<tr class="row-{}">{}{}{}{}</tr>',
        kind,
        format_html('<th scope="row">{}</th>', linebreaksbr(ref, autoescape=True)),
        format_html('<td class=" wrap">{}</td>', linebreaksbr(title, autoescape=True)),
        format_html("<td>{}</td>", rag_badge(rag) if rag else ""),
        format_html('<td class="num">{}</td>', "1,235"),
    )
    assert str(report_row(row, COLUMNS)) == str(expected)
