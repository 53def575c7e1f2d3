"""Financial years and quarters of UK local government, as real types.

A financial year runs from 1 April to 31 March and is written ``2023/24``. Its quarters end on
30 June (Q1), 30 September (Q2), 31 December (Q3) and 31 March of the next calendar year (Q4).
Nothing in here touches Django, so it can be tested on its own.
"""

from __future__ import annotations

import calendar
import enum
import re
from dataclasses import dataclass
from datetime import date

_YEAR_PATTERN = re.compile(r"^\s*(\d{2}|\d{4})\s*[/\-–]\s*(\d{2}|\d{4})\s*$")
_SINGLE_YEAR_PATTERN = re.compile(r"^\s*(\d{4})\s*$")


class Quarter(enum.IntEnum):
    """A quarter of the financial year: Q1 (April–June) to Q4 (January–March)."""

    Q1 = 1
    Q2 = 2
    Q3 = 3
    Q4 = 4

    @property
    def label(self) -> str:
        return f"Q{self.value}"

    @property
    def long_label(self) -> str:
        return f"Quarter {self.value}"

    def end_date(self, year: FinancialYear) -> date:
        """The last day of this quarter in the given financial year."""
        month = {1: 6, 2: 9, 3: 12, 4: 3}[self.value]
        calendar_year = year.start_year + (1 if self is Quarter.Q4 else 0)
        return date(calendar_year, month, calendar.monthrange(calendar_year, month)[1])

    def start_date(self, year: FinancialYear) -> date:
        """The first day of this quarter in the given financial year."""
        month = {1: 4, 2: 7, 3: 10, 4: 1}[self.value]
        return date(year.start_year + (1 if self is Quarter.Q4 else 0), month, 1)

    @classmethod
    def parse(cls, text: str | int) -> Quarter:
        """Read ``Q2``, ``q2``, ``2`` or ``Quarter 2``; raise ValueError otherwise."""
        if isinstance(text, int) and not isinstance(text, bool):
            number = text
        else:
            match = re.fullmatch(r"\s*(?:q|quarter\s*)?([1-4])\s*", str(text), flags=re.IGNORECASE)
            if not match:
                raise ValueError(f"{text!r} is not a quarter: use Q1, Q2, Q3 or Q4.")
            number = int(match.group(1))
        try:
            return cls(number)
        except ValueError:
            raise ValueError(f"{text!r} is not a quarter: use Q1, Q2, Q3 or Q4.") from None


@dataclass(frozen=True, order=True)
class FinancialYear:
    """The financial year that starts on 1 April of ``start_year``; ``str()`` gives ``2023/24``."""

    start_year: int

    def __post_init__(self) -> None:
        if not 1900 <= self.start_year <= 2999:
            raise ValueError(f"{self.start_year} is out of range for a financial year.")

    def __str__(self) -> str:
        return f"{self.start_year}/{(self.start_year + 1) % 100:02d}"

    @property
    def short_label(self) -> str:
        """``23/24``, as the seed forms print it beside a figure."""
        return f"{self.start_year % 100:02d}/{(self.start_year + 1) % 100:02d}"

    @property
    def start_date(self) -> date:
        return date(self.start_year, 4, 1)

    @property
    def end_date(self) -> date:
        return date(self.start_year + 1, 3, 31)

    @property
    def previous(self) -> FinancialYear:
        return FinancialYear(self.start_year - 1)

    @property
    def next(self) -> FinancialYear:
        return FinancialYear(self.start_year + 1)

    def quarter_end(self, quarter: Quarter) -> date:
        return quarter.end_date(self)

    def contains(self, day: date) -> bool:
        return self.start_date <= day <= self.end_date

    @classmethod
    def for_date(cls, day: date) -> FinancialYear:
        """The financial year a calendar date falls in."""
        return cls(day.year if day.month >= 4 else day.year - 1)

    @classmethod
    def parse(cls, text: str | int | FinancialYear) -> FinancialYear:
        """Read ``2022/23``, ``2022-23``, ``22/23``, ``2022/2023`` (or a start year ``2022``).

        Raises ValueError, with a message a user can act on, for anything else, including a
        pair of years that are not consecutive (``2022/24``).
        """
        if isinstance(text, FinancialYear):
            return text
        if isinstance(text, int) and not isinstance(text, bool):
            return cls(text)
        raw = str(text)
        single = _SINGLE_YEAR_PATTERN.match(raw)
        if single:
            return cls(int(single.group(1)))
        match = _YEAR_PATTERN.match(raw)
        if not match:
            raise ValueError(f"{raw!r} is not a financial year: write it like 2023/24.")
        first, second = match.groups()
        start = int(first) if len(first) == 4 else 2000 + int(first)
        end_suffix = int(second) % 100
        if (start + 1) % 100 != end_suffix or (len(second) == 4 and int(second) != start + 1):
            raise ValueError(f"{raw!r} is not a financial year: the second year must follow the first (e.g. 2023/24).")
        return cls(start)


@dataclass(frozen=True, order=True)
class Period:
    """A quarter of a particular financial year: the unit that monitoring is done in."""

    year: FinancialYear
    quarter: Quarter

    def __str__(self) -> str:
        return f"{self.quarter.label} {self.year}"

    @property
    def end_date(self) -> date:
        return self.quarter.end_date(self.year)

    @property
    def long_label(self) -> str:
        """``Quarter 2 (to 30/09/2023)``, as the seed forms head each quarter."""
        return f"{self.quarter.long_label} (to {self.end_date:%d/%m/%Y})"

    @property
    def previous(self) -> Period:
        if self.quarter is Quarter.Q1:
            return Period(self.year.previous, Quarter.Q4)
        return Period(self.year, Quarter(self.quarter - 1))

    @property
    def previous_in_year(self) -> Period | None:
        """The quarter before in the same financial year (None for Q1): a scheme and a plan
        belong to one year, so their "last quarter" never crosses into the year before."""
        previous = self.previous
        return previous if previous.year == self.year else None

    @property
    def with_previous_in_year(self) -> list[Quarter]:
        """This quarter and, after Q1, the one before it: what a page comparing RAGs reads."""
        previous = self.previous_in_year
        return [self.quarter, previous.quarter] if previous else [self.quarter]

    @classmethod
    def for_date(cls, day: date) -> Period:
        year = FinancialYear.for_date(day)
        for quarter in Quarter:
            if day <= quarter.end_date(year):
                return cls(year, quarter)
        raise AssertionError("every date falls in a quarter")  # pragma: no cover


_MONTHS = {
    name.lower(): number
    for number in range(1, 13)
    for name in (calendar.month_name[number], calendar.month_abbr[number])
}
_MONTHS["sept"] = 9


def parse_due(text: str) -> date | None:
    """The date a milestone is due by, from how managers write it on the form.

    The seed forms write dates freely: ``December 23``, ``January 24``, ``2023/2024``. This reads
    a full date (``31/12/2023``, ``2023-12-31``), a month and year (the last day of that month)
    or a financial year (its last day, 31 March). It returns None for text it cannot read, so
    the text as written is always kept and only a readable one gets a date.
    """
    cleaned = text.strip().rstrip(".")
    if not cleaned:
        return None
    iso = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", cleaned)
    uk = re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})", cleaned)
    try:
        if iso:
            return date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        if uk:
            year = int(uk.group(3))
            year = year + 2000 if year < 100 else year
            return date(year, int(uk.group(2)), int(uk.group(1)))
    except ValueError:
        return None
    month_year = re.fullmatch(r"([A-Za-z]+)\.?\s*'?(\d{2}|\d{4})", cleaned)
    if month_year and month_year.group(1).lower() in _MONTHS:
        month = _MONTHS[month_year.group(1).lower()]
        year = int(month_year.group(2))
        year = year + 2000 if year < 100 else year
        return date(year, month, calendar.monthrange(year, month)[1])
    try:
        return FinancialYear.parse(cleaned).end_date if not cleaned.isdigit() else None
    except ValueError:
        return None
