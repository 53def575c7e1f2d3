"""Importing a savings tracker: preview what it would change, then commit it in one transaction.

A scheme is matched by financial year, service area, ref and title. Re-importing the same file
changes nothing (no new history either); an edited file updates the figures, and the history
keeps the old values. With any error in the file, nothing is imported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import BinaryIO

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from monitoring.figures import QUARTER_FIGURE_NAMES
from monitoring.import_changes import (
    IMPORT_REASON,
    FieldChange,
    SchemeChange,
    app_edits,
    fingerprint,
    scheme_key,
    shown,
)
from monitoring.models import MonitoringQuarter, Scheme, SchemeQuarter
from monitoring.tracker import (
    LABELS,
    PROGRESS_EVERY,
    Problem,
    Progress,
    Tracker,
    TrackerRow,
    latest_first,
    read_tracker,
    scheme_identity,
    template_workbook,
)
from plans.models import Directorate, Portfolio, ServiceArea
from plans.rules import can
from recovery.audit import changed_by
from recovery.periods import FinancialYear, Period, Quarter
from recovery.rag import RAG, missing_reason

SCHEME_FIELDS = ("recurrence", "is_unallocated", "target", "timeline", "challenges")
QUARTER_FIELDS = QUARTER_FIGURE_NAMES


@dataclass
class ImportSummary:
    """What an import would do (preview) or did (commit)."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    new_service_areas: list[str] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    committed: bool = False
    # Every scheme the file would add or change, each field old → new (monitoring.import_changes).
    changes: list[SchemeChange] = field(default_factory=list)
    skipped: int = 0  # rows that would change, of schemes finance unticked: not written
    fingerprint: str = ""  # of the file and the changes: the confirm must find the same
    stale: bool = False  # the confirm found other changes than the preview showed: nothing written

    @property
    def flagged(self) -> list[SchemeChange]:
        """The schemes whose change would overwrite an edit made in the app since the last import."""
        return [change for change in self.changes if change.flagged]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def total(self) -> int:
        return self.new + self.updated + self.unchanged


class ImportFailed(Exception):
    """Raised inside the transaction to undo everything when a row cannot be written."""

    def __init__(self, summary: ImportSummary) -> None:
        super().__init__("The tracker has errors; nothing was imported.")
        self.summary = summary


# Scheme field ← the tracker column it comes from. A column the file does not have leaves the
# field of an existing scheme as it is (a new scheme gets the default).
_SCHEME_SOURCES = {
    "recurrence": "recurrence",
    "is_unallocated": "unallocated",
    "target": "target",
    "timeline": "timeline",
    "challenges": "challenges",
}


def _scheme_values(row: TrackerRow, *, new: bool = False) -> dict[str, object]:
    """The scheme's fields from the row: all of them for a new scheme (defaults where the file
    has no column), only those the file has a column for when updating an existing one."""
    values: dict[str, object] = {
        "recurrence": row.recurrence,
        "is_unallocated": row.unallocated,
        "target": row.target,
        "timeline": row.timeline,
        "challenges": row.challenges,
    }
    if new:
        return values
    return {name: value for name, value in values.items() if _SCHEME_SOURCES[name] in row.present}


def _quarter_values(row: TrackerRow, *, current_rag: RAG | None, current_reason: str) -> dict[str, object]:
    """The quarter's fields from the row. A RAG that changes takes the row's reason (blank if
    none); an unchanged RAG keeps its reason unless the row gives a new one, as in the grid."""
    values: dict[str, object] = {name: value for name, value in row.figures.items() if name in row.present}
    if "rag" in row.present:
        values["rag"] = row.rag.value if row.rag else ""
        if row.rag != current_rag or (row.rag_reason and row.rag_reason != current_reason):
            values["rag_reason"] = row.rag_reason
    return values


# Each text column of the tracker → the database column it is stored in, whose length it must fit.
_TEXT_COLUMNS: dict[str, tuple[type[Model], str]] = {
    "directorate": (Directorate, "name"),
    "portfolio": (Portfolio, "name"),
    "service_area": (ServiceArea, "name"),
    "ref": (Scheme, "ref"),
    "title": (Scheme, "title"),
}


def _length_problems(tracker: Tracker) -> list[Problem]:
    """Every text cell longer than the column it is stored in: an error naming the row and column
    at preview, on any database (PostgreSQL would refuse it only at the confirm, SQLite never)."""
    problems = []
    limits = {
        name: getattr(model._meta.get_field(column), "max_length", None)
        for name, (model, column) in _TEXT_COLUMNS.items()
    }
    for row in tracker.rows:
        for name, limit in limits.items():
            value = str(getattr(row, name))
            if limit is not None and len(value) > limit:
                header = tracker.headers.get(name, LABELS[name])
                if name == "portfolio" and "portfolio" not in tracker.headers:
                    continue  # the service area's name, reported there
                problems.append(
                    Problem(
                        f"{header} is {len(value):,} characters long: at most {limit:,} fit. Shorten it.",
                        tracker.sheet,
                        row.row,
                        header,
                        value if len(value) <= 60 else value[:57] + "…",
                    )
                )
    return problems


class _RagsSeen:
    """Each scheme's RAG per quarter as the import goes: what the database holds, then what the
    file's earlier rows set. The RAG a row replaces (or, first rated this quarter, last
    quarter's) is what a change is judged against, in the preview as in the import."""

    def __init__(self) -> None:
        self.rags: dict[tuple[object, ...], RAG | None] = {}

    def before(
        self,
        identity: tuple[object, ...],
        period: Period,
        current: SchemeQuarter | None,
        previous: SchemeQuarter | None,
    ) -> tuple[RAG | None, RAG | None]:
        """(the RAG this row replaces, the status a change is judged against)."""
        now = self.rags.get((*identity, period.quarter), current.rag_status if current else None)
        earlier = period.previous_in_year
        if now is not None or earlier is None:
            return now, now
        return now, self.rags.get((*identity, earlier.quarter), previous.rag_status if previous else None)

    def set(self, identity: tuple[object, ...], quarter: Quarter, rag: RAG | None) -> None:
        self.rags[(*identity, quarter)] = rag


def _locked_periods(rows: list[TrackerRow]) -> set[Period]:
    periods = {Period(row.financial_year, row.quarter) for row in rows if row.quarter is not None}
    locked = set()
    for period in periods:
        if MonitoringQuarter.objects.filter(
            financial_year=period.year, quarter=period.quarter, locked_at__isnull=False
        ).exists():
            locked.add(period)
    return locked


class _Lookups:
    """Everything the import matches rows against, read in four queries up front (not two
    queries a row): service areas, the file's years' schemes and their quarters' figures."""

    def __init__(self, rows: list[TrackerRow]) -> None:
        self.areas = {
            (area.portfolio.directorate.name.lower(), area.name.lower()): area
            for area in ServiceArea.objects.select_related("portfolio__directorate")
        }
        years = {row.financial_year.start_year for row in rows}
        schemes = list(Scheme.objects.filter(financial_year__in=years))
        self.schemes = {(s.service_area_id, int(s.financial_year.start_year), s.ref, s.title): s for s in schemes}
        self.counts: dict[tuple[int, int], int] = {}
        for scheme in schemes:
            key = (scheme.service_area_id, int(scheme.financial_year.start_year))
            self.counts[key] = self.counts.get(key, 0) + 1
        self.quarters = {
            (item.scheme_id, int(item.quarter)): item
            for item in SchemeQuarter.objects.filter(scheme__in=[s.pk for s in schemes])
        }

    def scheme(self, area: ServiceArea, row: TrackerRow) -> Scheme | None:
        return self.schemes.get((area.pk, row.financial_year.start_year, row.ref, row.title))

    def add_scheme(self, scheme: Scheme, row: TrackerRow) -> None:
        self.schemes[(scheme.service_area_id, row.financial_year.start_year, row.ref, row.title)] = scheme


class _Writes:
    """The import's writes, made in bulk at the end with their history (simple-history's bulk
    helpers), rather than one save and one history insert per row."""

    def __init__(self, user: User | None) -> None:
        self.user = user
        self.new_schemes: dict[int, Scheme] = {}
        self.changed_schemes: dict[int, Scheme] = {}
        self.new_quarters: dict[int, SchemeQuarter] = {}
        self.changed_quarters: dict[int, SchemeQuarter] = {}

    def scheme(self, scheme: Scheme) -> None:
        (self.new_schemes if scheme.pk is None else self.changed_schemes)[id(scheme)] = scheme

    def quarter(self, row: SchemeQuarter) -> None:
        if row.pk is None:
            self.new_quarters[id(row)] = row
        elif id(row) not in self.changed_quarters:
            row.version += 1  # an open edit form of this row is now out of date
            row.updated_at = timezone.now()  # bulk_update does not apply auto_now
            self.changed_quarters[id(row)] = row

    def flush(self) -> None:
        # Each history record says it came from an import: the next preview tells an edit made
        # in the app since from the import itself.
        reason = IMPORT_REASON
        bulk_create_with_history(
            list(self.new_schemes.values()), Scheme, default_user=self.user, default_change_reason=reason
        )
        if self.changed_schemes:
            bulk_update_with_history(
                list(self.changed_schemes.values()),
                Scheme,
                fields=list(SCHEME_FIELDS),
                default_user=self.user,
                default_change_reason=reason,
            )
        for row in self.new_quarters.values():
            row.scheme = row.scheme  # the scheme has its primary key now
        bulk_create_with_history(
            list(self.new_quarters.values()), SchemeQuarter, default_user=self.user, default_change_reason=reason
        )
        if self.changed_quarters:
            fields = [*QUARTER_FIELDS, "rag", "rag_reason", "updated_by", "version", "updated_at"]
            bulk_update_with_history(
                list(self.changed_quarters.values()),
                SchemeQuarter,
                fields=fields,
                default_user=self.user,
                default_change_reason=reason,
            )


def _find_area(
    row: TrackerRow, *, create: bool, user: User | None, lookups: _Lookups | None = None
) -> ServiceArea | None:
    key = (row.directorate.lower(), row.service_area.lower())
    if lookups is not None:
        area = lookups.areas.get(key)
    else:
        area = ServiceArea.objects.filter(
            portfolio__directorate__name__iexact=row.directorate, name__iexact=row.service_area
        ).first()
    if area is not None or not create:
        return area
    directorate = Directorate.objects.filter(name__iexact=row.directorate).first()
    if directorate is None:
        directorate = changed_by(user, Directorate(name=row.directorate))
        directorate.save()
    portfolio = Portfolio.objects.filter(directorate=directorate, name__iexact=row.portfolio).first()
    if portfolio is None:
        order = Portfolio.objects.filter(directorate=directorate).count() + 1
        portfolio = changed_by(user, Portfolio(directorate=directorate, name=row.portfolio, order=order))
        portfolio.save()
    order = ServiceArea.objects.filter(portfolio__directorate=directorate).count() + 1
    area = changed_by(user, ServiceArea(portfolio=portfolio, name=row.service_area, order=order))
    area.save()
    if lookups is not None:
        lookups.areas[key] = area
    return area


def _apply(
    tracker: Tracker,
    *,
    data: bytes,
    write: bool,
    user: User | None,
    only: set[str] | None = None,
    expected_fingerprint: str | None = None,
    progress: Progress | None = None,
) -> ImportSummary:
    """Preview (``write`` False) or import the tracker's rows. ``only``: the keys of the schemes
    finance left ticked (None: every scheme); ``expected_fingerprint``: the preview's, which the
    changes found now must match, or nothing is written (``stale``)."""
    summary = ImportSummary(errors=list(tracker.errors), warnings=list(tracker.warnings))
    summary.errors += _length_problems(tracker)
    locked = _locked_periods(tracker.rows)
    for row in tracker.rows:
        if row.quarter is not None and Period(row.financial_year, row.quarter) in locked:
            summary.errors.append(
                Problem(
                    f"{Period(row.financial_year, row.quarter)} is locked: its figures cannot be changed.",
                    tracker.sheet,
                    row.row,
                    "Quarter",
                    row.quarter.label,
                )
            )
    if summary.errors:
        return summary
    areas_seen: set[tuple[str, str]] = set()
    lookups = _Lookups(tracker.rows)
    writes = _Writes(user)
    # A scheme new to the database counts once as new; its later rows (another quarter) update it,
    # in the preview as in the import. The same scheme and quarter twice was refused (or, an exact
    # repeat, dropped) when the file was read.
    new_schemes: set[tuple[object, ...]] = set()
    # A scheme's own fields (target, timeline …) come from its latest row (by quarter), so every
    # row of a scheme agrees on them and a second import of the file finds nothing to change.
    latest: dict[tuple[object, ...], TrackerRow] = {}
    for row in tracker.rows:
        identity = scheme_identity(row)
        if identity not in latest or latest_first(row) > latest_first(latest[identity]):
            latest[identity] = row
    schemes_seen: set[tuple[object, ...]] = set()
    rags = _RagsSeen()
    listed: dict[str, SchemeChange] = {}
    # Fields that would change on rows already in the database: (model, pk, field) → the change,
    # to flag those someone edited in the app since the last import.
    overwrites: list[tuple[type[Scheme] | type[SchemeQuarter], int, FieldChange]] = []
    for checked, row in enumerate(tracker.rows, start=1):
        if progress is not None and checked % PROGRESS_EVERY == 0:
            progress(checked=checked)
        identity = scheme_identity(row)
        first_row_of_scheme = identity not in schemes_seen
        schemes_seen.add(identity)
        key_of_scheme = scheme_key(identity)
        skip = only is not None and key_of_scheme not in only
        area = _find_area(row, create=write and not skip, user=user, lookups=lookups)
        key = (row.directorate.lower(), row.service_area.lower())
        if area is None and key not in areas_seen:
            summary.new_service_areas.append(f"{row.service_area} ({row.directorate})")
        areas_seen.add(key)
        scheme = None
        if area is not None:
            scheme = lookups.scheme(area, row)
        values = _scheme_values(latest[identity], new=scheme is None)
        # The scheme's own fields change (at most) once, with its first row.
        scheme_changed = first_row_of_scheme and (
            scheme is None or any(getattr(scheme, name) != value for name, value in values.items())
        )
        changed = scheme_changed
        quarter_row = None
        quarter_values: dict[str, object] = {}
        if scheme is not None and row.quarter is not None:
            quarter_row = lookups.quarters.get((id(scheme) if scheme.pk is None else scheme.pk, int(row.quarter)))
        if row.quarter is not None:
            period = Period(row.financial_year, row.quarter)
            earlier = period.previous_in_year
            previous_row = None
            if scheme is not None and earlier is not None:
                previous_row = lookups.quarters.get(
                    (id(scheme) if scheme.pk is None else scheme.pk, int(earlier.quarter))
                )
            current_rag, judged_against = rags.before(identity, period, quarter_row, previous_row)
            if "rag" in row.present and row.rag != current_rag:
                problem = missing_reason(judged_against, row.rag, row.rag_reason)
                if problem:
                    summary.errors.append(
                        Problem(problem, tracker.sheet, row.row, "RAG reason", row.rag.label if row.rag else "")
                    )
                rags.set(identity, row.quarter, row.rag)
            quarter_values = _quarter_values(
                row, current_rag=current_rag, current_reason=quarter_row.rag_reason if quarter_row else ""
            )
            if quarter_row is None:
                changed = changed or row.has_quarter_figures
            else:
                changed = changed or any(getattr(quarter_row, name) != value for name, value in quarter_values.items())
        row_changes = _row_changes(
            row,
            scheme=scheme if first_row_of_scheme else None,
            scheme_values=values if scheme_changed else {},
            quarter_row=quarter_row,
            quarter_values=quarter_values if (quarter_row is not None or row.has_quarter_figures) else {},
            overwrites=overwrites,
        )
        if row_changes or (scheme is None and first_row_of_scheme):
            entry = listed.setdefault(
                key_of_scheme,
                SchemeChange(
                    key=key_of_scheme,
                    title=f"{row.ref} {row.title}".strip(),
                    service_area=row.service_area,
                    year=str(row.financial_year),
                    new=scheme is None,
                ),
            )
            entry.rows.append(row.row)
            entry.changes += row_changes
        if identity in new_schemes:
            kind = "updated"  # a later row of a scheme this file creates
        elif scheme is None:
            kind = "new"
            new_schemes.add(identity)
        else:
            kind = "updated" if changed else "unchanged"
        if skip and kind != "unchanged":
            summary.skipped += 1  # finance unticked the scheme: left as it is
            continue
        setattr(summary, kind, getattr(summary, kind) + 1)
        if not write or not changed or area is None:
            continue
        if scheme is None:
            count_key = (area.pk, row.financial_year.start_year)
            lookups.counts[count_key] = lookups.counts.get(count_key, 0) + 1
            scheme = Scheme(
                service_area=area,
                financial_year=row.financial_year,
                ref=row.ref,
                title=row.title,
                order=lookups.counts[count_key],
            )
        if scheme_changed:
            for name, value in values.items():
                setattr(scheme, name, value)
            writes.scheme(scheme)
            lookups.add_scheme(scheme, row)
        if row.quarter is not None and (row.has_quarter_figures or quarter_row is not None):
            quarter_row = quarter_row or SchemeQuarter(scheme=scheme, quarter=row.quarter)
            for name, value in quarter_values.items():
                setattr(quarter_row, name, value)
            quarter_row.updated_by = user
            writes.quarter(quarter_row)
            lookups.quarters[(id(scheme) if scheme.pk is None else scheme.pk, int(row.quarter))] = quarter_row
    _flag_app_edits(overwrites)
    summary.changes = list(listed.values())
    summary.fingerprint = fingerprint(data, summary.changes)
    if expected_fingerprint is not None and expected_fingerprint != summary.fingerprint:
        summary.stale = True
        return summary
    if progress is not None:
        progress(checked=len(tracker.rows))
    if write and not summary.errors:
        writes.flush()
        if progress is not None:
            progress(written=summary.new + summary.updated)
    return summary


def _row_changes(
    row: TrackerRow,
    *,
    scheme: Scheme | None,
    scheme_values: dict[str, object],
    quarter_row: SchemeQuarter | None,
    quarter_values: dict[str, object],
    overwrites: list[tuple[type[Scheme] | type[SchemeQuarter], int, FieldChange]],
) -> list[FieldChange]:
    """Each field the row would set, old → new ("—" where there is nothing yet)."""
    changes = []
    saved = scheme if scheme is not None and scheme.pk is not None else None
    for name, value in scheme_values.items():
        old = getattr(saved, name) if saved is not None else None
        if saved is not None and old == value:
            continue
        if saved is None and value in (None, "", False):
            continue  # a new scheme: only what the file gives
        change = FieldChange("", name, shown(name, old) if saved is not None else "—", shown(name, value))
        changes.append(change)
        if saved is not None:
            overwrites.append((Scheme, saved.pk, change))
    where = row.quarter.label if row.quarter is not None else ""
    for name, value in quarter_values.items():
        exists = quarter_row is not None and quarter_row.pk is not None
        old = getattr(quarter_row, name) if exists else None
        if exists and old == value:
            continue
        if not exists and value in (None, ""):
            continue
        change = FieldChange(where, name, shown(name, old) if exists else "—", shown(name, value))
        changes.append(change)
        if exists and quarter_row is not None and quarter_row.pk is not None:
            overwrites.append((SchemeQuarter, quarter_row.pk, change))
    return changes


def _flag_app_edits(overwrites: list[tuple[type[Scheme] | type[SchemeQuarter], int, FieldChange]]) -> None:
    """Mark each change that would overwrite an edit made in the app since the row's last
    import, naming who and when (from the history: one query per model)."""
    for model in (Scheme, SchemeQuarter):
        wanted: dict[int, set[str]] = {}
        for owner, pk, change in overwrites:
            if owner is model:
                wanted.setdefault(pk, set()).add(change.name)
        edits = app_edits(model, wanted)
        for owner, pk, change in overwrites:
            if owner is model and (pk, change.name) in edits:
                change.edited_by, change.edited_at, change.imported_before = edits[(pk, change.name)]


def tracker_importer_check(*, user: User) -> None:
    """Refuse anyone but a finance officer: every page of the tracker import asks first, and
    every import and background job asks again."""
    if not can(user, "monitoring.import_tracker"):
        raise PermissionDenied("Only finance officers can import a savings tracker.")


def tracker_template(*, user: User) -> bytes:
    """The empty tracker to fill in (finance officers only)."""
    tracker_importer_check(user=user)
    return template_workbook()


def tracker_preview(*, source: bytes | BinaryIO, progress: Progress | None = None) -> ImportSummary:
    """What importing the tracker would do, without changing anything: the counts, every
    problem, and every scheme it would add or change with each field old → new (flagging those
    edited in the app since the last import) and the fingerprint the confirm must match."""
    data = source if isinstance(source, bytes) else source.read()
    return _apply(read_tracker(data, progress=progress), data=data, write=False, user=None, progress=progress)


def tracker_import(
    *,
    source: bytes | BinaryIO,
    user: User | None,
    only: set[str] | None = None,
    expected_fingerprint: str | None = None,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import the tracker in one transaction: all of it, or (with any error) none of it.

    ``only``: the keys (``SchemeChange.key``) of the schemes to write; the others are left as
    they are (None: all). ``expected_fingerprint``: the preview's; if the file or the database
    has changed what the import would do since, nothing is written and the summary is
    ``stale`` (the caller shows the new preview). ``user`` None is the command line, run by
    someone with access to the server."""
    if user is not None:
        tracker_importer_check(user=user)
    data = source if isinstance(source, bytes) else source.read()
    tracker = read_tracker(data, progress=progress)
    try:
        with transaction.atomic():
            summary = _apply(
                tracker,
                data=data,
                write=True,
                user=user,
                only=only,
                expected_fingerprint=expected_fingerprint,
                progress=progress,
            )
            if summary.errors or summary.stale:
                raise ImportFailed(summary)
    except ImportFailed as failure:
        return failure.summary
    summary.committed = True
    return summary


def financial_years(summary_rows: list[TrackerRow]) -> list[FinancialYear]:
    return sorted({row.financial_year for row in summary_rows})
