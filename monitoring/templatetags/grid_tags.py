"""The scheme grid's rows, drawn in Python: one call a row, not one template include a row.

The grid page and the row that htmx swaps back in after an edit both use ``grid_row``, so a
row is defined once. Values are formatted by the formatting module (``recovery.money``)."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.template.defaultfilters import linebreaksbr
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from monitoring.selectors import GRID_COLUMNS, GridRow
from recovery import money
from recovery.periods import Period
from recovery.rag import Movement
from recovery.templatetags.ui import rag_badge

register = template.Library()

NIL = "–"  # a figure nobody gave: never shown as 0 (as the reports show it)


@register.filter
def grid_pounds(value: Decimal | None) -> str:
    """An amount as the grid shows it: whole pounds with their unit (£1,234); "–" where no
    figure was given."""
    return money.format_pounds(value) if value is not None else NIL


def pounds_cell(value: Decimal | None) -> SafeString:
    return format_html('<td class="num">{}</td>', grid_pounds(value))


def _movement(row: GridRow) -> SafeString:
    if row.movement is Movement.IMPROVED:
        return mark_safe(
            ' <span class="movement-improved" title="Improved since last quarter">↑'
            '<span class="visually-hidden"> improved</span></span>'
        )
    if row.movement is Movement.WORSENED:
        return mark_safe(
            ' <span class="movement-worsened" title="Worsened since last quarter">↓'
            '<span class="visually-hidden"> worsened</span></span>'
        )
    return mark_safe("")


def _fold(row: GridRow, name: str) -> SafeString:
    """Commentary, the reason for the RAG, the checks and the history link, folded into the
    scheme's cell (a disclosure that works without JavaScript)."""
    figures = row.figures
    flags = row.disagreements
    parts = []
    if figures is not None and figures.commentary:
        parts.append(
            format_html('<div class="grid-commentary">{}</div>', linebreaksbr(figures.commentary, autoescape=True))
        )
    if figures is not None and figures.rag_reason:
        parts.append(format_html("<div><strong>Reason:</strong> {}</div>", figures.rag_reason))
    if flags:
        suggested = row.suggested_rag.word
        parts.append(
            format_html_join(
                "",
                '<div class="flag"><strong>Check:</strong> {} Figures suggest {}.</div>',
                ((flag, suggested) for flag in flags),
            )
        )
    parts.append(
        format_html(
            '<a href="{}">History<span class="visually-hidden"> of {}</span></a>',
            reverse("monitoring:scheme_history", args=[row.scheme.pk]),
            name,
        )
    )
    label = "Check, commentary and history" if flags else "Commentary and history"
    return format_html(
        '<details class="grid-fold"><summary class="small{}">{}</summary><div class="small">{}</div></details>',
        " flag" if flags else "",
        label,
        mark_safe("".join(parts)),  # noqa: S308 - each part escaped above
    )


@register.simple_tag
def grid_row(row: GridRow, period: Period, can_edit: bool, saved: bool = False) -> SafeString:
    """One scheme's row of the grid."""
    scheme = row.scheme
    name = f"{scheme.ref} {scheme.title}".strip()
    classes = " ".join(name for name, on in (("unallocated", scheme.is_unallocated), ("saved", saved)) if on)
    area = scheme.service_area.name + (" · unallocated requirement" if scheme.is_unallocated else "")
    cells = [
        format_html(
            '<th scope="row" class="fw-normal grid-scheme">{}{}<br>'
            '<span class="small text-body-secondary">{}</span>{}</th>',
            format_html('<span class="grid-ref">{}</span> ', scheme.ref) if scheme.ref else "",
            scheme.title,
            area,
            _fold(row, name),
        ),
        format_html("<td>{}</td>", scheme.recurrence or "—"),
        *(pounds_cell(amount) for amount in row.amounts),
    ]
    if period.quarter > 1:
        cells.append(format_html("<td>{}</td>", rag_badge(row.previous_rag)))
    cells.append(format_html('<td class="text-nowrap">{}{}</td>', rag_badge(row.rag), _movement(row)))
    if can_edit:
        url = reverse("monitoring:scheme_row", args=[period.year, period.quarter, scheme.pk])
        cells.append(
            format_html(
                '<td class="grid-actions"><a class="btn btn-sm btn-outline-primary" href="{}" data-hx-get="{}" '
                'data-hx-target="closest tr" data-hx-swap="outerHTML">'
                'Edit<span class="visually-hidden"> {}</span></a></td>',
                url,
                url,
                name,
            )
        )
    return format_html(
        '<tr id="scheme-{}"{}>{}</tr>',
        scheme.pk,
        format_html(' class="{}"', classes) if classes else "",
        mark_safe("".join(cells)),  # noqa: S308 - each cell escaped above
    )


@register.simple_tag
def grid_columns(period: Period, can_edit: bool) -> int:
    """How many columns the grid has (for a row that spans them all)."""
    return 3 + len(GRID_COLUMNS) + (1 if period.quarter > 1 else 0) + (1 if can_edit else 0)
