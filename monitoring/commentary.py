"""Finance's summary of a quarter (QuarterCommentary): the prose above the headlines of
Appendix 1, the Transformation update and the committee pack. Its one service (save, with
publish) checks the permission, the quarter lock and the version once; its selector hands the
reports the published words only, so a draft never reaches a report, PDF, pack or export."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from monitoring.models import MonitoringQuarter, QuarterCommentary
from monitoring.services import _lock, ensure_unlocked, quarter_record
from plans.rules import can
from recovery.audit import changed_by
from recovery.concurrency import bump, check_version
from recovery.periods import Period

WRITE = "monitoring.write_commentary"
Choice = QuarterCommentary.ReportChoice


@dataclass(frozen=True)
class CommentaryEntry:
    """One summary of the quarter as finance's page shows it (``record`` None: nobody wrote it yet)."""

    report: str
    label: str
    record: QuarterCommentary | None

    @property
    def version(self) -> int:
        return self.record.version if self.record is not None else 0


def can_write(user: User) -> bool:
    return can(user, WRITE)


def commentary_entries(*, period: Period, user: User) -> list[CommentaryEntry]:
    """Every summary of the quarter, drafts included: finance's page only."""
    if not can_write(user):
        raise PermissionDenied("The quarter's summary is written by finance officers.")
    records = {
        record.report: record
        for record in QuarterCommentary.objects.filter(financial_year=period.year, quarter=period.quarter)
    }
    return [CommentaryEntry(choice.value, str(choice.label), records.get(choice.value)) for choice in Choice]


def commentary_save(
    *, period: Period, report: str, text: str, publish: bool, user: User, expected_version: int | None
) -> QuarterCommentary:
    """Save finance's summary (``publish``: and show it in the reports from now on)."""
    if not can_write(user):
        raise PermissionDenied("The quarter's summary is written by finance officers.")
    if report not in Choice.values:
        raise PermissionDenied(f"There is no report called {report!r}.")
    with transaction.atomic():
        ensure_unlocked(period)
        # The quarter's record is locked first: two first saves of the same summary (no row yet
        # to lock) then run one after the other, and the second is refused as a concurrent edit.
        _lock(MonitoringQuarter, quarter_record(period).pk)
        record = (
            QuarterCommentary.objects.select_for_update()
            .filter(financial_year=period.year, quarter=period.quarter, report=report)
            .first()
        )
        if record is None:
            record = QuarterCommentary(financial_year=period.year, quarter=period.quarter, report=report, version=0)
        check_version(record, expected_version)
        text = text.strip()
        if record.pk is not None and text == record.text and not (publish and record.has_unpublished_changes):
            return record  # nothing changed: no new version, no history line
        record.text = text
        if publish:
            record.published_text = text
            record.published_by = user
            record.published_at = timezone.now()
        record.updated_by = user
        bump(record)
        record.full_clean()
        changed_by(user, record).save()
    return record


def quarter_is_locked(period: Period) -> bool:
    return MonitoringQuarter.objects.filter(
        financial_year=period.year, quarter=period.quarter, locked_at__isnull=False
    ).exists()


def published_summary(*, period: Period, report: str) -> list[str]:
    """The published summary paragraphs a report of the quarter shows: the one for every report,
    then the one for this report (blank lines separate paragraphs)."""
    records = {
        record.report: record.published_text
        for record in QuarterCommentary.objects.filter(
            financial_year=period.year, quarter=period.quarter, report__in=["", report]
        )
    }
    paragraphs: list[str] = []
    for key in ("", report):
        text = records.get(key, "").replace("\r\n", "\n").strip()
        paragraphs += [part.strip() for part in text.split("\n\n") if part.strip()]
    return paragraphs
