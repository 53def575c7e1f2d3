"""A tracker's errors and warnings summarised for a page a person can read: counts by kind, the
first ``SHOWN`` listed, and every one of them as CSV to download. Pure: no Django.

A file of 20,000 bad rows would otherwise be a page of 40,000 messages (issue 16).
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from monitoring.tracker import Problem

SHOWN = 200  # problems listed on the page; the CSV has them all

_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|“[^”]*”")
_NUMBER = re.compile(r"£?-?\d[\d,.]*")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def problem_kind(problem: Problem) -> str:
    """What kind of problem it is, without the row's own values: "column Target: '…' is not an
    amount of money: write it like N or (N)." Problems of one kind differ only in row and value."""
    message = _NUMBER.sub("N", _QUOTED.sub("'…'", problem.message))
    return f"column {problem.column}: {message}" if problem.column else message


@dataclass(frozen=True)
class KindCount:
    kind: str
    count: int


def kinds(problems: Iterable[Problem]) -> list[KindCount]:
    """Counts by kind, the commonest first (then in order of first appearance)."""
    counted = Counter(problem_kind(problem) for problem in problems)
    return [KindCount(kind, count) for kind, count in counted.most_common()]


def _safe(value: str) -> str:
    """Text no spreadsheet opening the CSV will run as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def problems_csv(*, errors: Iterable[Problem], warnings: Iterable[Problem]) -> bytes:
    """Every error and warning, one a line: level, sheet, row, column, value, message (UTF-8 with
    a byte-order mark, so Excel reads £ and – correctly)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["level", "sheet", "row", "column", "value", "message"])
    for level, problems in (("error", errors), ("warning", warnings)):
        for problem in problems:
            writer.writerow(
                [
                    level,
                    _safe(problem.sheet),
                    "" if problem.row is None else problem.row,
                    _safe(problem.column),
                    _safe(problem.value),
                    _safe(problem.message),
                ]
            )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
