"""Rendered PDFs are cached by what they show: the same data gives the same key."""

from __future__ import annotations

import dataclasses
import hashlib
import pickle
from datetime import datetime

from django.core.cache import cache

from recovery.reporting import renderers
from recovery.reporting.report import Report

PDF_CACHE_SECONDS = 24 * 60 * 60


def report_fingerprint(report: Report) -> str:
    """A hash of everything the report shows except when it was produced.

    The report is plain data (dataclasses, Decimals, strings), so its pickle is a faithful and
    fast serialisation: several times cheaper than converting it to JSON first."""
    timeless = dataclasses.replace(report, generated_at=datetime(2000, 1, 1))
    return hashlib.sha256(pickle.dumps(timeless, protocol=5)).hexdigest()


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
