"""Reading and showing amounts of money. Decimal only: a float never touches money here.

Amounts are stored in pounds (and pence). Reports show them in pounds, £000s or £m by their
own convention; rounding is half-up and happens only here, at display.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

PENCE = Decimal("0.01")
THOUSAND = Decimal(1000)
MILLION = Decimal(1_000_000)

# Largest amount a DecimalField(max_digits=14, decimal_places=2) holds.
MAX_AMOUNT = Decimal("999999999999.99")

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_GROUPED = re.compile(r"^\d{1,3}(,\d{3})+(\.\d*)?$")


class MoneyError(ValueError):
    """Text that cannot be read as an amount of money."""


def _times(value: Decimal, multiplier: Decimal) -> Decimal:
    """value × multiplier exactly: the default 28-digit context would round a long fraction
    (1.0000000000000000000000000001) and so let more than two places of pence through."""
    with localcontext() as context:
        context.prec = 80
        return value * multiplier


# Signs as people paste them: the hyphen-minus, the Unicode minus "−" (Word, PDFs), the en dash
# "–" (Word's autocorrect of " - "), the figure dash, and the small and full-width hyphen-minus.
_MINUS = dict.fromkeys(map(ord, "\u2212\u2013\u2012\u2010\u2011\ufe63\uff0d"), "-")
# Invisible characters a copy from a web page or PDF carries: zero-width spaces and joiners, BOM.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
# A space that is not between two digits (after £, around a sign or bracket) means nothing; one
# between digits is a thousands separator (" ", no-break, thin, narrow no-break, figure space).
_LOOSE_SPACE = re.compile(r"(?<!\d)\s+|\s+(?!\d)")
_DIGIT_SPACE = re.compile(r"(?<=\d)\s+(?=\d)")


def parse_money(text: str | int | Decimal | None, *, multiplier: Decimal = Decimal(1)) -> Decimal | None:
    """Read an amount as people write it: ``1,234``, ``£1,234.50``, ``-2``, ``(529)`` (negative).

    Text pasted from Word, Excel and PDFs is read as a person means it: a space, no-break space
    or thin space as the thousands separator (``1 000``), the Unicode minus ``−`` or an en dash
    ``–`` as a minus sign. ``multiplier`` turns an amount in £000s into pounds (1000). Blank
    means nothing was given and gives None (unknown); a dash alone (``-``, ``–``, ``—``) is nil,
    as the seeds print it, and gives 0 (DOMAIN.md: nil and unknown differ). Raises MoneyError,
    saying why, for anything else:
    an unbalanced bracket, two signs, misplaced separators, amounts too large to store and more
    than two decimal places of pounds.
    """
    if text is None:
        return None
    if isinstance(text, Decimal | int) and not isinstance(text, bool):
        value = _times(Decimal(text), multiplier)
        return _checked(value, str(text))
    raw = str(text)
    shown = raw.strip()
    cleaned = shown.translate(_INVISIBLE).translate(_MINUS)
    cleaned = _LOOSE_SPACE.sub("", cleaned)
    if cleaned == "":
        return None
    if cleaned in {"-", "—"}:
        return Decimal(0).quantize(PENCE)
    opening, closing = cleaned.startswith("("), cleaned.endswith(")")
    if opening != closing:
        inner = cleaned.strip("()")
        which = "an opening bracket but no closing one" if opening else "a closing bracket but no opening one"
        raise MoneyError(
            f"{shown!r} has {which}: write a negative amount in brackets on both sides, ({inner}), or as -{inner}."
        )
    # One sign at most: brackets, or a minus before or after the £. "--2" or "(-2)" is a typo
    # whose meaning is unclear, so it is refused rather than silently read as +2.
    signs = 0
    if opening and closing:
        signs += 1
        cleaned = cleaned[1:-1]
    if cleaned[:1] == "-":
        signs += 1
        cleaned = cleaned[1:]
    cleaned = cleaned.removeprefix("£")
    if cleaned[:1] == "-":  # £-2
        signs += 1
        cleaned = cleaned[1:]
    if signs > 1:
        raise MoneyError(f"{shown!r} has more than one minus sign: write minus two as -2 or (2).")
    negative = signs == 1
    cleaned = _DIGIT_SPACE.sub(",", cleaned)
    if not _NUMBER.match(cleaned.replace(",", "")):
        raise MoneyError(f"{shown!r} is not an amount of money: write it like 1,234 or (2).")
    if "," in cleaned:
        if not _GROUPED.match(cleaned):
            raise MoneyError(
                f"{shown!r} is not an amount: check the thousands separators, in threes (e.g. 1,234,567 or 1 234 567)."
            )
        cleaned = cleaned.replace(",", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:  # pragma: no cover - the pattern above admits only valid decimals
        raise MoneyError(f"{shown!r} is not an amount of money.") from None
    if negative:
        value = -value
    return _checked(_times(value, multiplier), shown)


def _checked(value: Decimal, shown: str) -> Decimal:
    if not value.is_finite():
        raise MoneyError(f"{shown!r} is not an amount of money.")
    # Size first: quantizing a number wider than the decimal context raises InvalidOperation.
    if abs(value) > MAX_AMOUNT:
        raise MoneyError(f"{shown!r} is too large to be an amount.")
    if value != value.quantize(PENCE, rounding=ROUND_HALF_UP):
        raise MoneyError(f"{shown!r} has more than two decimal places of pounds (pence).")
    return value.quantize(PENCE)


def plain(value: Decimal) -> str:
    """A Decimal written out exactly, without exponent or trailing zeros: 397.0005, -2, 18473."""
    text = f"{value.normalize():f}"
    return text if "." not in text else text.rstrip("0").rstrip(".")


def round_half_up(value: Decimal, places: int = 0) -> Decimal:
    """Round for display: half-up, as accountants expect (not banker's rounding)."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _grouped(value: Decimal, places: int) -> str:
    return f"{round_half_up(abs(value), places):,.{places}f}"


def format_pounds(value: Decimal | None, *, places: int = 0, brackets: bool = False) -> str:
    """``£1,234`` (or ``-£2`` / ``(£2)``); blank for nil."""
    if value is None:
        return ""
    body = "£" + _grouped(value, places)
    return _signed(value, body, places, brackets)


def format_thousands(value: Decimal | None, *, places: int = 0, brackets: bool = False) -> str:
    """An amount in pounds shown in £000s: 397,000 → ``397``; −529,000 → ``-529`` or ``(529)``."""
    if value is None:
        return ""
    scaled = value / THOUSAND
    return _signed(scaled, _grouped(scaled, places), places, brackets)


def format_millions(value: Decimal | None, *, places: int = 2) -> str:
    """An amount in pounds shown in £m: 1,691,122 → ``£1.69m``."""
    if value is None:
        return ""
    scaled = value / MILLION
    return _signed(scaled, "£" + _grouped(scaled, places) + "m", places, False)


def _signed(value: Decimal, body: str, places: int, brackets: bool) -> str:
    if round_half_up(value, places) < 0:
        return f"({body})" if brackets else f"-{body}"
    return body


def format_percent(value: Decimal | None, *, places: int = 0) -> str:
    """A ratio shown as a percentage: 0.3165 → ``32%`` (half-up); blank where undefined."""
    if value is None:
        return ""
    return f"{round_half_up(value * 100, places):.{places}f}%"


def format_share(value: Decimal | None) -> str:
    """A share of a total as the headlines and the dashboard write it: one decimal place,
    half-up (0.6424 → ``64.2%``); ``–`` where it is undefined (a total of nothing)."""
    return format_percent(value, places=1) if value is not None else "–"


def format_thousands_k(value: Decimal) -> str:
    """An amount in pounds as the seeds write it in a sentence, in £000s: 661,000 → ``£661k``;
    −50,000 → ``-£50k`` (the sign before the £, as ``format_pounds`` writes it)."""
    return _signed(value / THOUSAND, f"£{_grouped(value / THOUSAND, 0)}k", 0, False)
