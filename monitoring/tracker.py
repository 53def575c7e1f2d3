"""Reading an Excel savings tracker: find the columns, check every row, compare stated totals.

Pure of the database: ``read_tracker`` turns a workbook into checked rows, warnings and errors;
``monitoring.imports`` previews and commits them. Every problem names the sheet, the row number,
the column and the value. See README ("Importing a savings tracker") for the format.
"""

from __future__ import annotations

import functools
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, BinaryIO

from monitoring.figures import AMOUNT_FIGURES, BY_NAME, QUARTER_FIGURE_NAMES, header_key
from recovery.money import MILLION, THOUSAND, MoneyError, format_pounds, parse_money, plain, round_half_up
from recovery.periods import FinancialYear, Quarter
from recovery.rag import RAG
from recovery.text import clean_text

MAX_BYTES = 10 * 1024 * 1024  # the upload itself
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024  # what it unzips to: refuses zip bombs
MAX_ROWS = 60_000  # a county's whole history (6,000 schemes x 10 quarters); more is refused
MAX_COLUMNS = 256  # cells read per row: a tracker has about twenty columns
HEADER_SEARCH_ROWS = 20
PROGRESS_EVERY = 1000  # rows between two progress reports

# Called as an import goes: progress(read=rows read so far) here, then checked= and written= by
# monitoring.imports. A background job's ``ctx.progress`` and the command line's bar fit it.
Progress = Callable[..., None]


def progress_percent(*, rows: int, read: int = 0, checked: int = 0, written: int = 0, writes: bool) -> int:
    """How far an import of about ``rows`` rows has gone, 0 to 100: reading, checking and (when
    it ``writes``) writing each count for an equal share. 0 when the size is unknown."""
    if rows <= 0:
        return 0
    done = min(read, rows) + min(checked, rows) + (min(written, rows) if writes else 0)
    return min(100, done * 100 // ((3 if writes else 2) * rows))


AMOUNT_COLUMNS = tuple(figure.name for figure in AMOUNT_FIGURES)
QUARTER_AMOUNTS = QUARTER_FIGURE_NAMES

# Column name (normalised by ``header_key``, without its unit) → field. Aliases accepted; the
# amounts' headers come from ``monitoring.figures``.
COLUMNS: dict[str, str] = {
    "financialyear": "financial_year",
    "year": "financial_year",
    "quarter": "quarter",
    "directorate": "directorate",
    "portfolio": "portfolio",
    "servicearea": "service_area",
    "ref": "ref",
    "schemeno": "ref",
    "title": "title",
    "recurrent": "recurrence",
    "recurrent/nonrecurrent": "recurrence",
    "unallocated": "unallocated",
    **{key: figure.name for figure in AMOUNT_FIGURES for key in figure.header_keys},
    "rag": "rag",
    "ragreason": "rag_reason",
    "reasonforrag": "rag_reason",
    "reasonforragchange": "rag_reason",
    "ragchangereason": "rag_reason",
    "timeline": "timeline",
    "challenges": "challenges",
    "commentary": "challenges",
}
REQUIRED = ("financial_year", "directorate", "service_area", "title", "target")
LABELS = {
    "financial_year": "Financial year",
    "quarter": "Quarter",
    "directorate": "Directorate",
    "portfolio": "Portfolio",
    "service_area": "Service area",
    "ref": "Ref",
    "title": "Title",
    "recurrence": "Recurrent",
    "unallocated": "Unallocated",
    **{figure.name: figure.label for figure in AMOUNT_FIGURES},
    "rag": "RAG",
    "rag_reason": "RAG reason",
    "timeline": "Timeline",
    "challenges": "Challenges",
}
TOTAL_WORDS = {"total", "sub-total", "subtotal", "sub total", "grand total"}
_UNIT = re.compile(r"\(([^)]*)\)")


class TrackerUnreadable(ValueError):
    """The file as a whole cannot be read as a tracker (not xlsx, encrypted, too large …)."""


@dataclass(frozen=True)
class Problem:
    """An error or warning about one cell (or row, or the file), in words a user can act on."""

    message: str
    sheet: str = ""
    row: int | None = None
    column: str = ""
    value: str = ""

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


@dataclass(slots=True)  # no __dict__ for each of up to MAX_ROWS rows
class TrackerRow:
    """One scheme row, checked: amounts in pounds as Decimals."""

    row: int
    financial_year: FinancialYear
    quarter: Quarter | None
    directorate: str
    portfolio: str
    service_area: str
    ref: str
    title: str
    recurrence: str
    unallocated: bool
    target: Decimal
    figures: dict[str, Decimal | None] = field(default_factory=dict)
    rag: RAG | None = None
    rag_reason: str = ""  # why the RAG worsened or skipped a level (the grid's rule applies)
    timeline: str = ""
    challenges: str = ""
    present: frozenset[str] = frozenset()  # the fields the file has a column for

    @property
    def has_quarter_figures(self) -> bool:
        return self.rag is not None or any(value is not None for value in self.figures.values())


@dataclass
class Tracker:
    sheet: str
    rows: list[TrackerRow] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # field → the header as the file writes it

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class _Column:
    index: int
    field: str
    header: str
    multiplier: Decimal


def _normalise(header: str) -> tuple[str, Decimal]:
    """A header's field key and the multiplier its unit implies: "Target (£000s)" → target, 1000."""
    text = str(header).strip()
    multiplier = Decimal(1)
    unit = _UNIT.search(text)
    if unit:
        found = unit.group(1).lower().replace(" ", "")
        if found in {"£000s", "£000", "£'000", "£k", "000s", "£000's"}:
            multiplier = THOUSAND
        elif found in {"£m", "£millions", "m"}:
            multiplier = MILLION
        text = _UNIT.sub("", text)
    return header_key(text), multiplier


def _text(value: Any) -> str:
    """A cell as text to store: Excel's escapes of control characters (``_x000B_``, Word's
    Shift+Enter) decoded, then control characters cleaned (recovery.text.clean_text)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    if "_x" in text:
        from openpyxl.utils.escape import unescape

        text = unescape(text)
    return clean_text(text).strip()


def _check_archive(data: bytes) -> None:
    if len(data) > MAX_BYTES:
        raise TrackerUnreadable(f"The file is larger than the {MAX_BYTES // (1024 * 1024)} MB limit.")
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise TrackerUnreadable(
            "The file is password-protected or an old Excel (.xls) file: save it as an unprotected .xlsx workbook."
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            if "xl/workbook.xml" not in names:
                raise TrackerUnreadable("The file is not an Excel workbook (.xlsx).")
            if sum(info.file_size for info in archive.infolist()) > MAX_UNCOMPRESSED_BYTES:
                raise TrackerUnreadable("The workbook is too large once uncompressed: split it into smaller files.")
    except zipfile.BadZipFile:
        raise TrackerUnreadable("The file is not an Excel workbook (.xlsx).") from None


_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s/>]")


def count_rows(data: bytes) -> int:
    """About how many rows the workbook has, cheaply: the ``<row>`` elements of its sheets,
    counted in the XML as it unzips (not parsed, not trusting the declared size). An upper
    bound on the scheme rows (every sheet, blank rows included); 0 for a file that is not a
    workbook, which ``read_tracker`` then refuses with its reason."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = unzipped = 0
            for info in archive.infolist():
                if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
                    continue
                tail = b""
                with archive.open(info) as part:
                    while chunk := part.read(1 << 20):
                        unzipped += len(chunk)
                        if unzipped > MAX_UNCOMPRESSED_BYTES:
                            return total  # enough to know it is large; read_tracker refuses it
                        text = tail + chunk
                        total += len(_ROW_TAG.findall(text))
                        # Keep the end that could hold the start of a tag cut in two (never a
                        # whole tag, which would be counted twice).
                        cut = text.rfind(b"<")
                        tail = text[cut:] if cut >= 0 and b">" not in text[cut:] and len(text) - cut < 64 else b""
                        if tail:
                            total -= len(_ROW_TAG.findall(tail))
            return total
    except (zipfile.BadZipFile, OSError, RuntimeError, ValueError):
        return 0


def _find_header(rows: list[tuple[int, tuple[Any, ...]]]) -> int | None:
    for index, (number, row) in enumerate(rows):
        if number > HEADER_SEARCH_ROWS:
            break
        keys = {COLUMNS.get(_normalise(_text(cell))[0]) for cell in row if _text(cell)}
        if {"title", "target"} <= keys:
            return index
    return None


def _sheet_rows(sheet: Any, progress: Progress | None = None) -> list[tuple[int, tuple[Any, ...]]]:
    """The sheet's non-empty rows as (Excel row number, values), read from the cells themselves.

    A sheet's declared size (its ``<dimension>`` record) is not trusted: some tools write one
    smaller than the data (openpyxl would then stop early and rows would vanish) or absurdly
    large (``A1:XFD20000`` would pad every row to 16,384 cells). Each row is read up to
    MAX_COLUMNS cells and its trailing blanks dropped, so memory follows the data, not the claim.
    """
    sheet.reset_dimensions()
    rows: list[tuple[int, tuple[Any, ...]]] = []
    for number, raw in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1):
        end = len(raw)
        while end and (raw[end - 1] is None or raw[end - 1] == ""):
            end -= 1
        if not end:
            continue
        rows.append((number, tuple(raw[:end])))
        if progress is not None and len(rows) % PROGRESS_EVERY == 0:
            progress(read=len(rows))
        if len(rows) > MAX_ROWS + HEADER_SEARCH_ROWS:
            raise TrackerUnreadable(f"The sheet has more than {MAX_ROWS:,} rows: split it into smaller files.")
    return rows


def read_tracker(source: bytes | BinaryIO, *, progress: Progress | None = None) -> Tracker:
    """Read and check a tracker workbook. Raises TrackerUnreadable when the file itself cannot be
    read; otherwise returns every row that could be read, and every error and warning."""
    data = source if isinstance(source, bytes) else source.read()
    _check_archive(data)
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds of error for a broken file
        raise TrackerUnreadable(f"The workbook cannot be read ({type(error).__name__}).") from None
    try:
        sheet = next((ws for ws in workbook.worksheets if ws.title.strip().lower() == "schemes"), None)
        sheet = sheet or workbook.worksheets[0]
        try:
            # openpyxl reads a sheet only as its rows are asked for: a damaged one fails here.
            rows = _sheet_rows(sheet, progress)
            if progress is not None:
                progress(read=len(rows))
        except TrackerUnreadable:
            raise
        except Exception as error:  # a damaged sheet raises parser errors of many kinds
            raise TrackerUnreadable(
                f"The workbook cannot be read: its sheet is damaged ({type(error).__name__})."
            ) from None
        return _read_rows(sheet.title, rows)
    finally:
        workbook.close()


def _read_rows(sheet_name: str, rows: list[tuple[int, tuple[Any, ...]]]) -> Tracker:
    tracker = Tracker(sheet=sheet_name)
    header_index = _find_header(rows)
    if header_index is None:
        raise TrackerUnreadable(
            f"Sheet {sheet_name!r} has no header row: the first rows must name the columns, "
            "including Title and Target (see the template)."
        )
    columns: list[_Column] = []
    seen: set[str] = set()
    header_number, header_cells = rows[header_index]
    for index, cell in enumerate(header_cells):
        header = _text(cell)
        if not header:
            continue
        key, multiplier = _normalise(header)
        field_name = COLUMNS.get(key)
        if field_name is None:
            tracker.warnings.append(
                Problem(f"column {header!r} is not one the tracker uses: ignored.", sheet_name, header_number)
            )
            continue
        if field_name in seen and field_name not in AMOUNT_COLUMNS:
            tracker.warnings.append(
                Problem(f"a second {LABELS[field_name]} column: ignored.", sheet_name, header_number, header)
            )
            continue
        seen.add(field_name)
        columns.append(_Column(index, field_name, header, multiplier))
        tracker.headers[field_name] = header
    missing = [LABELS[name] for name in REQUIRED if name not in seen]
    if missing:
        tracker.errors.append(Problem(f"the header row has no {', '.join(missing)} column.", sheet_name, header_number))
        return tracker

    entries: list[_Scheme | _Total] = []
    names_above: set[str] = set()  # every area named by a scheme row so far (not a list per row)
    for offset, raw in rows[header_index + 1 :]:
        read = _cells(tracker, sheet_name, offset, raw, columns)
        if read is None:
            continue
        cells, row_columns = read
        total = _total_row(offset, cells, row_columns, names_above)
        if total is not None:
            entries.append(total)
            continue
        parsed = _read_scheme(tracker, sheet_name, offset, cells, row_columns)
        if parsed is not None:
            tracker.rows.append(parsed)
            scheme = _Scheme(parsed)
            entries.append(scheme)
            names_above |= scheme.names()
    _judge_totals(tracker, sheet_name, entries)
    _check_repeats(tracker, sheet_name)
    _check_targets(tracker, sheet_name)
    return tracker


# Repeated rows ------------------------------------------------------------------------------
# One scheme has one row per quarter (and one year-start row without a quarter). A second row
# for the same scheme and quarter is either an exact repeat (a copy-paste: a warning, imported
# once) or a contradiction (an error naming both rows and what differs: nothing is imported,
# because which one is right is for the person who wrote the file to say).

# The fields two rows of one scheme and quarter are compared on, with their labels. The
# identity (directorate, service area, year, ref, title, quarter) is the same by definition.
_COMPARED = (
    "portfolio",
    "recurrence",
    "unallocated",
    "target",
    *QUARTER_AMOUNTS,
    "rag",
    "rag_reason",
    "timeline",
    "challenges",
)


def scheme_identity(row: TrackerRow) -> tuple[object, ...]:
    """The scheme a row is about, whatever its quarter."""
    return (row.directorate.lower(), row.service_area.lower(), row.financial_year, row.ref, row.title)


def latest_first(row: TrackerRow) -> tuple[int, int]:
    """Sort key of a scheme's rows, latest last: by quarter (a year-start row first), then by
    row. The scheme's own fields (target, timeline, challenges …) come from its latest row."""
    return (int(row.quarter) if row.quarter is not None else 0, row.row)


def row_identity(row: TrackerRow) -> tuple[object, ...]:
    """The scheme and quarter a row is about: a scheme is matched by directorate and service
    area (without case), financial year, ref and title."""
    return (row.directorate.lower(), row.service_area.lower(), row.financial_year, row.ref, row.title, row.quarter)


def scheme_name(row: TrackerRow) -> str:
    """'scheme 2Bii Reduced agency spend (Living and Ageing Well)'."""
    return f"scheme {f'{row.ref} {row.title}'.strip()} ({row.service_area})"


def _value_of(row: TrackerRow, name: str) -> object:
    if name == "target":
        return row.target
    if name in QUARTER_AMOUNTS:
        return row.figures.get(name)
    if name == "portfolio":
        return row.portfolio.lower()
    return getattr(row, name)


def _shown_value(row: TrackerRow, name: str) -> str:
    value = _value_of(row, name)
    if value is None or value == "":
        return "blank"
    if isinstance(value, Decimal):
        return format_pounds(value, places=2).removesuffix(".00")
    if isinstance(value, RAG):
        return value.label
    if isinstance(value, bool):
        return "Y" if value else "N"
    text = row.portfolio if name == "portfolio" else str(value)
    return repr(text if len(text) <= 40 else text[:37] + "…")


def _check_repeats(tracker: Tracker, sheet: str) -> None:
    """A scheme and quarter given by more than one row: an exact repeat is a warning and is
    imported once (the later row is dropped); rows that differ are an error naming both rows
    and every value that differs."""
    first: dict[tuple[object, ...], TrackerRow] = {}
    kept: list[TrackerRow] = []
    for row in tracker.rows:
        identity = row_identity(row)
        earlier = first.get(identity)
        if earlier is None:
            first[identity] = row
            kept.append(row)
            continue
        when = f"{row.financial_year} {row.quarter.label}" if row.quarter else f"{row.financial_year} (no quarter)"
        differences = [name for name in _COMPARED if _value_of(earlier, name) != _value_of(row, name)]
        if not differences:
            tracker.warnings.append(
                Problem(
                    f"repeats row {earlier.row} exactly ({scheme_name(row)} for {when}): imported once.",
                    sheet,
                    row.row,
                )
            )
            continue
        amounts = {"target", *QUARTER_AMOUNTS, "rag"}
        what = "figures" if any(name in amounts for name in differences) else "details"
        detail = "; ".join(
            f"{LABELS[name]} {_shown_value(earlier, name)} in row {earlier.row}, "
            f"{_shown_value(row, name)} in row {row.row}"
            for name in differences
        )
        tracker.errors.append(
            Problem(
                f"rows {earlier.row} and {row.row} are both {scheme_name(row)} for {when} with different {what} "
                f"({detail}): keep one row for each scheme and quarter.",
                sheet,
            )
        )
        kept.append(row)
    tracker.rows = kept


def _check_targets(tracker: Tracker, sheet: str) -> None:
    """A scheme has one full-year target: rows of one scheme (for different quarters) that
    state different targets are a warning naming the rows; the latest quarter's is used (a
    target revised during the year), whatever order the rows are in."""
    by_scheme: dict[tuple[object, ...], list[TrackerRow]] = {}
    for row in tracker.rows:
        rows = by_scheme.setdefault(scheme_identity(row), [])
        if all(other.quarter != row.quarter for other in rows):  # a repeated quarter is an error already
            rows.append(row)
    for rows in by_scheme.values():
        if len({row.target for row in rows}) < 2:
            continue
        latest = max(rows, key=latest_first)
        numbers = [str(row.row) for row in rows]
        stated = ", ".join(
            f"{format_pounds(row.target, places=2).removesuffix('.00')} for "
            f"{row.quarter.label if row.quarter else 'the year start'}"
            for row in rows
        )
        tracker.warnings.append(
            Problem(
                f"rows {', '.join(numbers[:-1])} and {numbers[-1]} give {scheme_name(latest)} of "
                f"{latest.financial_year} different targets ({stated}): a scheme has one full-year target; "
                f"the latest quarter's ({latest.quarter.label if latest.quarter else 'the year start'}) is used.",
                sheet,
            )
        )


# Stated totals ------------------------------------------------------------------------------
# A stated total is judged by where it stands, not by one layout: it may close the rows since
# the previous stated total, the rows of the service area just above it, the area (service
# area, portfolio or directorate) it names, or (a Grand total, a total straight after another,
# or the last total after several areas) every scheme row above, sub-totals not counted twice.
# It is accepted when it equals the sum over one of the scopes its position allows; otherwise
# each column that disagrees is warned, with the scope it was compared against.


@dataclass(frozen=True)
class _Scheme:
    row: TrackerRow

    def names(self) -> set[str]:
        return {self.row.service_area.lower(), self.row.directorate.lower(), self.row.portfolio.lower()}


@dataclass(frozen=True)
class _Total:
    row: int
    cells: dict[str, Any]
    columns: list[_Column]
    kind: str  # total | grand total
    names: str  # the area it names, lower case ("" if none)


@dataclass(frozen=True)
class _Scope:
    rows: list[TrackerRow]
    described: str
    totals: dict[str, Decimal] | None = field(default=None, compare=False)  # the sums, when kept as rows were read

    def sum(self, name: str) -> Decimal:
        if self.totals is not None:
            return self.totals[name]
        return sum(
            ((row.target if name == "target" else row.figures.get(name)) or Decimal(0) for row in self.rows), Decimal(0)
        )


_TOTAL_PATTERN = re.compile(
    r"^(?:(?P<lead>grand total|sub[- ]?total|total)\s*(?:[:\-–—]|for|of)?\s*(?P<after>.+)"
    r"|(?P<before>.+?)\s*[:\-–—]?\s*(?P<trail>grand total|sub[- ]?total|total))$"
)


def _total_row(row: int, cells: dict[str, Any], columns: list[_Column], names_above: set[str]) -> _Total | None:
    """The row as a stated total, or None for a scheme row. "Total", "Sub-total", "Grand total"
    (in Title or Ref), or one of them with the name of an area above ("Total Adult Social
    Care", "Living and Ageing Well sub-total"): ``names_above``, the names (lower case) of the
    service areas, portfolios and directorates of the scheme rows above."""
    ref = _text(cells.get("ref")).lower().strip(" :")
    label = (_text(cells.get("title")) or _text(cells.get("ref"))).lower().strip(" :")
    for text in (label, ref):
        if text in TOTAL_WORDS:
            return _Total(row, cells, columns, "grand total" if text == "grand total" else "total", "")
    match = _TOTAL_PATTERN.match(label)
    if match is None:
        return None
    kind = (match.group("lead") or match.group("trail") or "").replace("-", " ")
    named = (match.group("after") or match.group("before") or "").strip(" :-–—")
    if named and named in names_above:
        return _Total(row, cells, columns, "grand total" if kind == "grand total" else "total", named)
    return None


class _Above:
    """The scheme rows above a stated total, and what judging a total asks of them, kept up to
    date as each row is added (its position, the rows of each area name, the service areas, the
    running sum of each amount), so that judging a total never goes over every row above again:
    a file with a sub-total every few rows stays linear in its rows."""

    def __init__(self) -> None:
        self.rows: list[TrackerRow] = []
        self.position: dict[int, int] = {}  # id(row) → its index in rows
        self.by_name: dict[str, list[TrackerRow]] = {}  # area name (lower case) → its rows, in order
        self.areas: set[str] = set()  # service areas (lower case)
        self.sums: dict[str, Decimal] = {name: Decimal(0) for name in AMOUNT_COLUMNS}

    def add(self, row: TrackerRow) -> None:
        self.position[id(row)] = len(self.rows)
        self.rows.append(row)
        for name in _Scheme(row).names():
            self.by_name.setdefault(name, []).append(row)
        self.areas.add(row.service_area.lower())
        for name in AMOUNT_COLUMNS:  # added in row order, as _Scope.sum adds them
            self.sums[name] += (row.target if name == "target" else row.figures.get(name)) or Decimal(0)


def _describe(rows: list[TrackerRow], above: _Above, name: str = "") -> str:
    """ "rows 2–8", "rows 2–4, 9–12 (Adults)": runs of scheme rows, a run unbroken by a scheme
    row outside the scope (sub-total and blank rows between do not break it). ``rows`` are some
    of the rows above, in their order."""
    runs: list[list[int]] = []
    if rows and len(rows) == len(above.rows):
        runs.append([rows[0].row, rows[-1].row])  # every row above: one run
    else:
        previous = -2
        for row in rows:
            at = above.position[id(row)]
            if at == previous + 1:
                runs[-1][1] = row.row
            else:
                runs.append([row.row, row.row])
            previous = at
    if not runs:
        return "no scheme rows above"
    text = ", ".join(f"{a}–{b}" if a != b else f"{a}" for a, b in runs)
    word = "rows" if len(rows) != 1 else "row"
    return f"{word} {text}" + (f" ({name})" if name else "")


def _scopes(total: _Total, above: _Above, since: list[TrackerRow], last: bool) -> list[_Scope]:
    """The scopes a stated total may close, given where it stands, most likely first."""
    before = above.rows
    if total.names:
        named = list(above.by_name.get(total.names, ()))
        title = next(
            (
                n
                for row in named
                for n in (row.service_area, row.portfolio, row.directorate)
                if n.lower() == total.names
            ),
            total.names,
        )
        return [_Scope(named, _describe(named, above, title))]
    everything = _Scope(
        before,
        _describe(before, above) + (" (every scheme row above)" if before else ""),
        totals=dict(above.sums),
    )
    if total.kind == "grand total" or not since:
        return [everything]
    scopes = [_Scope(since, _describe(since, above))]
    area = since[-1].service_area.lower()
    run: list[TrackerRow] = []
    for row in reversed(since):
        if row.service_area.lower() != area:
            break
        run.append(row)
    run.reverse()
    if len(run) < len(since):
        scopes.append(_Scope(run, _describe(run, above, since[-1].service_area)))
    several_areas = len(above.areas) > 1
    if last and several_areas and len(before) > len(since):
        scopes.append(everything)
    return scopes


def _judge_totals(tracker: Tracker, sheet: str, entries: list[_Scheme | _Total]) -> None:
    above = _Above()
    since: list[TrackerRow] = []
    last_scheme = max((index for index, entry in enumerate(entries) if isinstance(entry, _Scheme)), default=-1)
    for index, entry in enumerate(entries):
        if isinstance(entry, _Scheme):
            above.add(entry.row)
            since.append(entry.row)
            continue
        # Judged at once: the scopes may hold the rows above as they are now.
        _compare_total(tracker, sheet, entry, _scopes(entry, above, since, last=index > last_scheme))
        since = []


def _cells(
    tracker: Tracker, sheet: str, row: int, raw: tuple[Any, ...], columns: list[_Column]
) -> tuple[dict[str, Any], list[_Column]] | None:
    """The row's cells by field and the column each was read from (None for an empty row).

    Where two columns answer to one figure ("Achieved to date" and "YTD actual"), the one
    filled in is used; two filled-in cells that differ are an error naming the row and both."""
    cells: dict[str, Any] = {}
    chosen: dict[str, _Column] = {}
    anything = False
    for column in columns:
        value = raw[column.index] if column.index < len(raw) else None
        filled = _text(value) != ""
        anything = anything or filled
        name = column.field
        if name not in chosen or (filled and _text(cells[name]) == ""):
            cells[name], chosen[name] = value, column
        elif filled and not _same_amount(chosen[name], cells[name], column, value):
            figure = BY_NAME[name]
            tracker.errors.append(
                Problem(
                    f"{chosen[name].header} is {_text(cells[name])} but {column.header} is {_text(value)}: "
                    f"both are the {figure.label} ({figure.description.split('.')[0].lower()}): give one "
                    "figure, or the same in both.",
                    sheet,
                    row,
                    column.header,
                    _text(value),
                )
            )
    return (cells, list(chosen.values())) if anything else None


def _same_amount(first: _Column, first_value: Any, second: _Column, second_value: Any) -> bool:
    """Whether two cells state the same amount (each read in its own column's unit). A cell that
    cannot be read is reported when the row is read, so it does not count as a disagreement."""
    try:
        one = parse_money(_cell_text(first_value), multiplier=first.multiplier)
        two = parse_money(_cell_text(second_value), multiplier=second.multiplier)
    except MoneyError:
        return True
    return one == two


def _cell_text(value: Any) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def _amount(
    tracker: Tracker, sheet: str, row: int, column: _Column, value: Any, *, for_total: bool = False
) -> tuple[bool, Decimal | None]:
    if value is None or _text(value) == "":
        return True, None
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            # A number typed in Excel arrives as a float; its shortest text is what was typed.
            amount = parse_money(repr(value) if isinstance(value, float) else str(value), multiplier=column.multiplier)
        else:
            amount = parse_money(str(value), multiplier=column.multiplier)
    except MoneyError as error:
        target = tracker.warnings if for_total else tracker.errors
        target.append(Problem(str(error), sheet, row, column.header, _text(value)))
        return False, None
    return True, amount


@functools.lru_cache(maxsize=64)
def _present(fields: tuple[str, ...]) -> frozenset[str]:
    """The fields a row has columns for: one frozenset shared by the rows with the same columns
    (about a kilobyte each, not a copy for every row of a large file)."""
    return frozenset(fields)


def _read_scheme(
    tracker: Tracker, sheet: str, row: int, cells: dict[str, Any], columns: list[_Column]
) -> TrackerRow | None:
    before = len(tracker.errors)

    def error(column_field: str, message: str) -> None:
        header = next((c.header for c in columns if c.field == column_field), LABELS[column_field])
        tracker.errors.append(Problem(message, sheet, row, header, _text(cells.get(column_field))))

    for name in REQUIRED:
        if name != "target" and not _text(cells.get(name)):
            error(name, f"{LABELS[name]} is required.")
    year: FinancialYear | None = None
    if _text(cells.get("financial_year")):
        try:
            year = FinancialYear.parse(_text(cells["financial_year"]))
        except ValueError as problem:
            error("financial_year", str(problem))
    quarter: Quarter | None = None
    if _text(cells.get("quarter")):
        try:
            quarter = Quarter.parse(_text(cells["quarter"]))
        except ValueError as problem:
            error("quarter", str(problem))
    rag: RAG | None = None
    if _text(cells.get("rag")):
        try:
            rag = RAG.parse(_text(cells["rag"]))
        except ValueError as problem:
            error("rag", str(problem))
    recurrence = _text(cells.get("recurrence")).upper().replace("-", "").replace(" ", "") or "R"
    if recurrence in {"RECURRENT"}:
        recurrence = "R"
    elif recurrence in {"NONRECURRENT"}:
        recurrence = "NR"
    if recurrence not in {"R", "NR"}:
        error("recurrence", "Recurrent must be R or NR.")
    unallocated_text = _text(cells.get("unallocated")).upper()
    if unallocated_text not in {"", "Y", "YES", "N", "NO"}:
        error("unallocated", "Unallocated must be Y (or blank).")
    amounts: dict[str, Decimal | None] = {}
    for column in columns:
        if column.field in AMOUNT_COLUMNS:
            readable, amount = _amount(tracker, sheet, row, column, cells.get(column.field))
            amounts[column.field] = amount if readable else None
    target = amounts.get("target")
    if target is None and not any(p.row == row and p.column.startswith("Target") for p in tracker.errors[before:]):
        error("target", "Target is required.")
    figures = {name: amounts.get(name) for name in QUARTER_AMOUNTS}
    if quarter is None and (rag is not None or any(value is not None for value in figures.values())):
        error("quarter", "Figures and a RAG belong to a quarter: give the Quarter (Q1 to Q4).")
    elif quarter is not None:
        # Nil and unknown (DOMAIN.md): a blank cell in a column the tracker has is nil, as a dash or
        # a 0 is; only a figure whose column the tracker lacks is unknown (left as None).
        given = {column.field for column in columns}
        figures = {name: Decimal(0) if value is None and name in given else value for name, value in figures.items()}
    if len(tracker.errors) > before or year is None or target is None:
        return None
    area = _text(cells["service_area"])
    return TrackerRow(
        row=row,
        financial_year=year,
        quarter=quarter,
        directorate=_text(cells["directorate"]),
        portfolio=_text(cells.get("portfolio")) or area,
        service_area=area,
        ref=_text(cells.get("ref")),
        title=_text(cells["title"]),
        recurrence="" if unallocated_text in {"Y", "YES"} and not _text(cells.get("recurrence")) else recurrence,
        unallocated=unallocated_text in {"Y", "YES"},
        target=target,
        figures=figures,
        rag=rag,
        rag_reason=_text(cells.get("rag_reason")),
        timeline=_text(cells.get("timeline")),
        challenges=_text(cells.get("challenges")),
        present=_present(tuple(column.field for column in columns)),
    )


def _compare_total(tracker: Tracker, sheet: str, total: _Total, scopes: list[_Scope]) -> None:
    """Compare each amount a total row states with the sum over each scope it may close: the
    first scope every stated amount agrees with accepts it; otherwise the scope most amounts
    agree with (the likeliest first) is the one named in a warning for each that does not."""
    stated: list[tuple[_Column, Decimal, int]] = []
    for column in total.columns:
        if column.field not in AMOUNT_COLUMNS or _text(total.cells.get(column.field)) == "":
            continue
        readable, amount = _amount(tracker, sheet, total.row, column, total.cells.get(column.field), for_total=True)
        if not readable or amount is None:
            continue
        # A printed total is rounded to the places it shows: 2,833 (£000s) agrees with 2,833.4.
        places = max(0, -_as_typed(total.cells.get(column.field)).as_tuple().exponent)  # type: ignore[operator]
        stated.append((column, amount, places))
    if not stated or not scopes:
        return

    def agrees(column: _Column, amount: Decimal, places: int, scope: _Scope) -> bool:
        unit = column.multiplier
        return round_half_up(amount / unit, places) == round_half_up(scope.sum(column.field) / unit, places)

    best = max(scopes, key=lambda scope: (sum(agrees(c, a, p, scope) for c, a, p in stated), -scopes.index(scope)))
    for column, amount, places in stated:
        if agrees(column, amount, places, best):
            continue
        tracker.warnings.append(
            Problem(
                f"stated {_shown(amount, column)}; {best.described} "
                f"{'adds' if len(best.rows) == 1 else 'add'} up to {_shown(best.sum(column.field), column)}.",
                sheet,
                total.row,
                column.header,
                _text(total.cells.get(column.field)),
            )
        )


def _as_typed(value: Any) -> Decimal:
    """The number as written in the cell, for its count of decimal places."""
    text = repr(value) if isinstance(value, float) else _text(value).replace(",", "").replace("£", "")
    text = text.strip("()").lstrip("-")
    try:
        return Decimal(text)  # not normalised: "1,000.50" keeps its two places
    except ArithmeticError:
        return Decimal(0)


def _shown(amount: Decimal, column: _Column) -> str:
    """An amount in the column's own unit: 4,312 in a £000s column, £7,956,000 in a pounds one."""
    if column.multiplier == THOUSAND:
        return _grouped(amount / THOUSAND)
    if column.multiplier == MILLION:
        return _grouped(amount / MILLION) + "m"
    return format_pounds(amount, places=2).removesuffix(".00")


def _grouped(value: Decimal) -> str:
    """4312 → "4,312"; 266.4 → "266.4" (exact, grouped, no trailing zeros after the point)."""
    whole, _, fraction = plain(value).partition(".")
    sign = "-" if whole.startswith("-") else ""
    grouped = f"{int(whole.lstrip('-') or 0):,}"
    return f"{sign}{grouped}{'.' + fraction if fraction else ''}"


def template_workbook() -> bytes:
    """An empty tracker (.xlsx) with every column and one example row, for finance to fill in."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Schemes"
    example: dict[str, object] = {
        "financial_year": "2024/25",
        "quarter": "Q1",
        "directorate": "Adult Social Care",
        "portfolio": "Living and Ageing Well",
        "service_area": "Living and Ageing Well",
        "ref": "1a",
        "title": "Example scheme (delete this row)",
        "recurrence": "R",
        "target": "150",
        "ytd_budget": 30000,
        "ytd_actual": 25000,
        "forecast_year_end": 150000,
        "forecast_next_year": 150000,
        "projected_shortfall": 0,
        "rag": "GREEN",
        "timeline": "By March 2025",
    }
    sheet.append([LABELS[name] + (" (£000s)" if name == "target" else "") for name in LABELS])
    sheet.append([example.get(name, "") for name in LABELS])
    wide = {"title": 40, "timeline": 30, "challenges": 40, "directorate": 24, "portfolio": 24, "service_area": 24}
    for index, name in enumerate(LABELS, start=1):
        sheet.column_dimensions[chr(64 + index)].width = wide.get(name, 14)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
