"""The dashboard's long lists are drawn in Python (recovery/reporting/templatetags/dashboard_tags.py):
whatever the names, figures and statuses, each gives the HTML the template it replaced gave."""

from __future__ import annotations

from decimal import Decimal

from django.template import Context, Template
from hypothesis import given, settings
from hypothesis import strategies as st

from recovery.rag import RAG, Movement
from recovery.reporting.builders import SchemeLine
from recovery.reporting.dashboard import Bar
from recovery.reporting.exception_report import PlanLine, SchemeException
from recovery.reporting.templatetags import dashboard_tags

# The loops as dashboard.html had them.
FORECAST_CHARTS = (
    "{% for area, bars in groups %}\n"
    '      <h3 class="h6 mb-0 mt-2">{{ area }}</h3>\n'
    '      {% include "reporting/_bar_chart.html" with bars=bars chart_id="forecast" index=forloop.counter'
    " title=area height=64 %}\n"
    "    {% endfor %}"
)
FORECAST_ROWS = (
    "{% load numbers %}"
    '{% for area, bars in groups %}<tr><th scope="row">{{ area }}</th><td class="text-end">'
    '{{ bars.0.value|whole_pounds }}</td><td class="text-end">{% if bars.1.value is None %}not known{% else %}'
    '{{ bars.1.value|whole_pounds }}{% endif %}{% if bars.1.covers %} <span class="small">({{ bars.1.covers }})'
    "</span>{% endif %}</td></tr>{% endfor %}"
)
CHANGES = (
    "{% load ui %}{% for item, moved in changes %}<li>{{ item.line.ref }} {{ item.line.title }}: "
    "{% rag_badge item.previous_rag %} → {% rag_badge item.line.rag %}</li>{% endfor %}"
)
PLANS = (
    "{% for plan in plans %}<li>{{ plan.plan }} — {{ plan.update_status }}{% if plan.managers %}"
    " ({{ plan.managers }}){% endif %}</li>{% endfor %}"
)
CHART = '{% include "reporting/_bar_chart.html" with bars=bars chart_id=chart_id title=title height=height %}'

# Text with everything HTML escapes, and ordinary names.
text = st.one_of(st.sampled_from(["Adults & Children", "<b>", 'a "b"', "O'Neil", "", "£1m"]), st.text(max_size=12))
amount = st.one_of(st.none(), st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False))
share = st.decimals(min_value=0, max_value=1, places=6, allow_nan=False)
bar = st.builds(
    Bar,
    label=text,
    value=amount,
    text=text,
    share=share,
    css=text,
    count=st.one_of(st.none(), st.integers(min_value=0, max_value=100_000)),
    covers=text,
)
rag = st.one_of(st.none(), st.sampled_from(list(RAG)))


def render(source: str, **context) -> str:
    return Template(source).render(Context(context))


@settings(max_examples=60, deadline=None)
@given(groups=st.lists(st.tuples(text, st.lists(bar, min_size=2, max_size=2)), max_size=4))
def test_forecast_charts_and_rows_as_the_template_drew_them(groups):
    assert dashboard_tags.forecast_charts(groups) == render(FORECAST_CHARTS, groups=groups)
    assert dashboard_tags.forecast_rows(groups) == render(FORECAST_ROWS, groups=groups)


@settings(max_examples=60, deadline=None)
@given(bars=st.lists(bar, max_size=5), chart_id=text, title=text, height=st.integers(min_value=0, max_value=500))
def test_a_bar_chart_as_the_template_draws_it(bars, chart_id, title, height):
    expected = render(CHART, bars=bars, chart_id=chart_id, title=title, height=height)
    assert dashboard_tags.bar_chart(bars, chart_id=chart_id, title=title, height=height) == expected


@settings(max_examples=60, deadline=None)
@given(items=st.lists(st.tuples(text, text, rag, rag), max_size=5))
def test_rag_changes_as_the_template_drew_them(items):
    changes = [
        (
            SchemeException(
                line=SchemeLine(
                    directorate="D", portfolio="P", service_area="S", ref=ref, title=title, target=Decimal(1), rag=now
                ),
                previous_rag=before,
                has_figures=True,
            ),
            Movement.IMPROVED,
        )
        for ref, title, before, now in items
    ]
    assert dashboard_tags.rag_changes_list(changes) == render(CHANGES, changes=changes)


@settings(max_examples=60, deadline=None)
@given(plans=st.lists(st.builds(PlanLine, plan=text, directorate=text, managers=text, update_status=text), max_size=5))
def test_plans_not_updated_as_the_template_drew_them(plans):
    assert dashboard_tags.plans_not_updated_list(plans) == render(PLANS, plans=plans)
