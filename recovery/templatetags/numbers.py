"""Template filters for numbers: money and percentages. Each delegates to recovery.money, the one
place a Decimal becomes text, so a page shows a figure exactly as its report and workbook do."""

from __future__ import annotations

from decimal import Decimal

from django import template

from recovery import money

register = template.Library()


@register.filter
def thousands(value: Decimal | None) -> str:
    """Pounds shown in £000s, as the plan form prints its figures: 397000 → 397."""
    return money.format_thousands(value)


@register.filter
def pounds(value: Decimal | None) -> str:
    """Pounds with pence where there are any: £18,849.84, £80,000."""
    if value is None:
        return ""
    return money.format_pounds(value, places=2).removesuffix(".00")


@register.filter
def whole_pounds(value: Decimal | None) -> str:
    """Pounds without the sign, rounded half-up to whole pounds: 1,849,232. Blank for nil."""
    if value is None or value == "":  # "" is what a template gives for a missing row's figure
        return ""
    return money.format_pounds(value).replace("£", "")


@register.filter
def percent1(value: Decimal | None) -> str:
    """A ratio as a percentage to one decimal place, half-up (as the headlines show it)."""
    return money.format_share(value)
