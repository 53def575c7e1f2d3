"""The one structure every report is built into, and every renderer reads.

A builder turns selected rows into a Report; the HTML, PDF, XLSX and JSON renderers take a Report
and nothing else. A column is defined once, with its unit, and every output formats it from that.
No Django here: a Report is plain data (Decimals, strings, RAG values).
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from recovery.rag import RAG


class Unit(enum.StrEnum):
    """How a column's values are held and shown. Amounts are always held in pounds."""

    TEXT = "text"
    POUNDS = "pounds"  # shown as whole pounds: 1,849,232
    THOUSANDS = "thousands"  # held in pounds, shown in £000s: 10,888
    PERCENT = "percent"  # held as a ratio (0.6424), shown as a percentage
    RAG = "rag"  # a RAG status, shown as its word (and colour)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    unit: Unit = Unit.TEXT
    places: int = 0  # decimal places shown (percentages: 0 in Appendix 1, 1 in headlines)
    width: int = 12  # in characters, for spreadsheets
    wrap: bool = False  # long text that wraps in its cell
    rich: bool = False  # narrative text: paragraphs, bullets and small tables (rendered safely)

    @property
    def numeric(self) -> bool:
        return self.unit in (Unit.POUNDS, Unit.THOUSANDS, Unit.PERCENT)


@dataclass(frozen=True)
class Coverage:
    """How many of a total's rows gave its figure: a total over some unknowns is the sum of the
    known ones, and says so ("3 of 7 schemes")."""

    known: int
    of: int
    rows_are: str = "schemes"  # what a row is: "projects" in Appendix 1

    def __str__(self) -> str:
        return f"{self.known} of {self.of} {self.rows_are}"


@dataclass
class Row:
    values: dict[str, Any]
    kind: str = "item"  # item | unallocated | subtotal | total
    # A total's figures that only some of its rows gave, by column key (the others: all or none).
    partial: dict[str, Coverage] = field(default_factory=dict)

    def get(self, key: str) -> Any:
        return self.values.get(key)


@dataclass
class Section:
    """A titled part of a report: a table (columns, rows, a total), a list of fields, or text."""

    key: str
    title: str
    kind: str = "table"  # table | fields | text
    columns: list[Column] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    total: Row | None = None
    lines: list[str] = field(default_factory=list)  # lines under the table, or the text itself
    fields: list[tuple[str, str]] = field(default_factory=list)
    caption: str = ""
    rag: RAG | None = None
    guidance: list[str] = field(default_factory=list)  # the form's guidance under the title (italics)


@dataclass(frozen=True)
class Headline:
    key: str
    label: str
    text: str  # the sentence as shown ("£7.956m")
    value: Decimal | int | None = None  # the figure behind it, unrounded
    unit: Unit = Unit.TEXT
    rag: RAG | None = None  # the status a headline is about (shown as its badge)


@dataclass
class Report:
    kind: str  # appendix | transformation | plan
    title: str
    period: str
    organisation: str
    generated_at: datetime
    sections: list[Section] = field(default_factory=list)
    headlines: list[Headline] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    filters: dict[str, str] = field(default_factory=dict)
    summary: list[str] = field(default_factory=list)  # finance's published summary, paragraphs

    @property
    def filename_stem(self) -> str:
        safe = "".join(ch if ch.isalnum() else "-" for ch in f"{self.title} {self.period}".lower())
        return "-".join(part for part in safe.split("-") if part)[:100]


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, RAG):
        return value.value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def report_as_data(report: Report) -> dict[str, Any]:
    """The report as plain data (the JSON feed): Decimals as exact strings, RAG as words."""
    data: dict[str, Any] = _plain(asdict(report))
    return data
