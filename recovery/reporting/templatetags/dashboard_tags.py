"""The dashboard's long lists drawn in Python, not a template per item: a county's sixty service
areas each have a chart, and hundreds of schemes change RAG in a quarter. Each tag gives the same
HTML as the template it replaces (``reporting/_bar_chart.html`` and the loops that were in
``reporting/dashboard.html``), which tests/reporting/test_dashboard_tags.py checks."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from recovery.reporting.dashboard import Bar
from recovery.reporting.exception_report import PlanLine, SchemeException
from recovery.templatetags.numbers import whole_pounds
from recovery.templatetags.ui import rag_badge

register = template.Library()


def _e(value: Any) -> str:
    """A value as ``{{ value }}`` shows it: escaped unless already safe (django.utils.html's
    conditional_escape, without its lazy-string wrapper: a dashboard escapes thousands)."""
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return html.escape(str(value))


def _width(share: Any, width: int) -> str:
    """``{% widthratio share 1 width %}``."""
    try:
        return str(round(float(share) / 1.0 * width))
    except (ValueError, TypeError, OverflowError):
        return ""


def bar_chart(bars: Sequence[Bar], *, chart_id: str, title: str, height: int, index: Any = "") -> str:
    """``{% include "reporting/_bar_chart.html" %}``: a horizontal bar chart as SVG."""
    parts = [
        f'\n<svg class="bar-chart" viewBox="0 0 640 {_e(height)}" width="100%" role="img" '
        f'aria-labelledby="{_e(chart_id)}{_e(index)}-title" preserveAspectRatio="xMinYMin meet">\n'
        f'  <title id="{_e(chart_id)}{_e(index)}-title">{_e(title)} (the table beside gives the figures)</title>\n  '
    ]
    for number, bar in enumerate(bars):
        width = _width(bar.share, 340)
        count = f" ({_e(bar.count)})" if bar.count is not None else ""
        covers = f" ({_e(bar.covers)})" if bar.covers else ""
        parts.append(
            f'\n  <g transform="translate(0,{number * 30})">\n'
            f'    <text x="0" y="19" class="bar-label">{_e(bar.label)}</text>\n'
            f'    <rect x="190" y="4" height="20" width="{width}" class="bar {_e(bar.css)}"></rect>\n'
            f'    <text x="{width}" dx="196" y="19" class="bar-value">{_e(bar.text)}{count}{covers}</text>\n'
            "  </g>\n  "
        )
    parts.append("\n</svg>\n")
    return "".join(parts)


@register.simple_tag
def forecast_charts(groups: Sequence[tuple[str, Sequence[Bar]]]) -> SafeString:
    """Each service area's target and forecast: a heading and a chart per area."""
    return mark_safe(  # noqa: S308 - every value is escaped above
        "".join(
            f'\n      <h3 class="h6 mb-0 mt-2">{_e(area)}</h3>\n      '
            + bar_chart(bars, chart_id="forecast", index=number, title=area, height=64)
            + "\n    "
            for number, (area, bars) in enumerate(groups, start=1)
        )
    )


@register.simple_tag
def forecast_rows(groups: Sequence[tuple[str, Sequence[Bar]]]) -> SafeString:
    """The forecast table's rows: target and forecast of each service area."""
    rows = []
    for area, bars in groups:
        target, forecast = bars[0], bars[1]
        shown = "not known" if forecast.value is None else _e(whole_pounds(forecast.value))
        covers = f' <span class="small">({_e(forecast.covers)})</span>' if forecast.covers else ""
        rows.append(
            f'<tr><th scope="row">{_e(area)}</th><td class="text-end">{_e(whole_pounds(target.value))}</td>'
            f'<td class="text-end">{shown}{covers}</td></tr>'
        )
    return mark_safe("".join(rows))  # noqa: S308 - every value is escaped above


@register.simple_tag
def rag_changes_list(changes: Sequence[tuple[SchemeException, Any]]) -> SafeString:
    """The schemes whose RAG moved: reference, title, last quarter's RAG → this quarter's."""
    return mark_safe(  # noqa: S308 - every value is escaped above, rag_badge escapes its own
        "".join(
            f"<li>{_e(item.line.ref)} {_e(item.line.title)}: {rag_badge(item.previous_rag)} → "
            f"{rag_badge(item.line.rag)}</li>"
            for item, _ in changes
        )
    )


@register.simple_tag
def plans_not_updated_list(plans: Sequence[PlanLine]) -> SafeString:
    """Plans waiting for this quarter's update: plan — status (managers)."""
    return mark_safe(  # noqa: S308 - every value is escaped above
        "".join(
            f"<li>{_e(plan.plan)} — {_e(plan.update_status)}{f' ({_e(plan.managers)})' if plan.managers else ''}</li>"
            for plan in plans
        )
    )
