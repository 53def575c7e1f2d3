"""Template filters for money and narratives. Formatting lives in recovery.money."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.safestring import SafeString

from plans.narrative import render_narrative
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
def narrative(text: str | None) -> SafeString:
    return render_narrative(text)


@register.filter
def whole_pounds(value: Decimal | None) -> str:
    """Pounds without the sign, rounded half-up to whole pounds: 1,849,232. Blank for nil."""
    if value is None or value == "":  # "" is what a template gives for a missing row's figure
        return ""
    return money.format_pounds(value).replace("£", "")


@register.filter
def percent1(value: Decimal | None) -> str:
    """A ratio as a percentage to one decimal place, half-up (as the headlines show it)."""
    return money.format_percent(value, places=1) if value is not None else "–"
