"""Rendered PDFs are cached by what they show: the same data gives the same key."""

from __future__ import annotations

import hashlib
import json

from django.core.cache import cache

from recovery.reporting import renderers
from recovery.reporting.report import Report, report_as_data

PDF_CACHE_SECONDS = 24 * 60 * 60


def report_fingerprint(report: Report) -> str:
    """A hash of everything the report shows except when it was produced."""
    data = report_as_data(report)
    data.pop("generated_at", None)
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode("utf-8")).hexdigest()


def pdf_cache_key(report: Report) -> str:
    return f"report-pdf:{report_fingerprint(report)}"


def cached_pdf_or_none(report: Report) -> bytes | None:
    pdf: bytes | None = cache.get(pdf_cache_key(report))
    return pdf


def cached_pdf(report: Report) -> bytes:
    """The report's PDF from the cache, rendering (and caching) it if needed."""
    pdf = cached_pdf_or_none(report)
    if pdf is None:
        pdf = renderers.render_pdf(report)
        cache.set(pdf_cache_key(report), pdf, PDF_CACHE_SECONDS)
    return pdf


def row_count(report: Report) -> int:
    return sum(len(section.rows) for section in report.sections)
