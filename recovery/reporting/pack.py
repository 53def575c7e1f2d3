"""The committee pack: Appendix 1, the Transformation update and the exception report of a
quarter as one PDF, cached under the fingerprint of the data it shows.

When finance locks a quarter (and again when it is re-locked after an administrator reopened
it), the pack is rendered in the background (tasks.render_committee_pack), so that the first
person to download it gets it from the cache. The key is always the data's fingerprint, worked
out again on each download: if anything the pack shows changed while it was being rendered, the
download's key differs and the stale PDF is never served."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache

from recovery.periods import Period
from recovery.reporting import renderers, selectors
from recovery.reporting.cache import PDF_CACHE_SECONDS, report_fingerprint
from recovery.reporting.report import Report


def pack_reports(period: Period) -> list[Report]:
    return [
        selectors.appendix_report(period=period),
        selectors.transformation_report(period=period),
        selectors.exceptions_report(period=period),
    ]


def pack_cache_key(reports: list[Report]) -> str:
    return "report-pack:" + hashlib.sha256("".join(report_fingerprint(r) for r in reports).encode()).hexdigest()


def pack_filename(period: Period) -> str:
    return f"committee-pack-{period.year.start_year}-{period.quarter.label.lower()}"


def pack_pdf(period: Period, *, reports: list[Report] | None = None) -> tuple[bytes, bool]:
    """The pack's PDF and whether it came from the cache (rendered and cached if not)."""
    reports = reports if reports is not None else pack_reports(period)
    key = pack_cache_key(reports)
    pdf: bytes | None = cache.get(key)
    if pdf is not None:
        return pdf, True
    pdf = renderers.render_pack_pdf(
        title=f"Committee pack: savings and recovery plans, {period}",
        period=f"{period} (to {period.end_date:%d/%m/%Y})",
        organisation=settings.ORGANISATION_NAME,
        reports=reports,
    )
    cache.set(key, pdf, PDF_CACHE_SECONDS)
    return pdf, False
