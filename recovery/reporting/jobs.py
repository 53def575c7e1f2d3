"""Large report PDFs, rendered by the background worker (recovery.jobs).

The job rebuilds the report from the database, renders the PDF into the shared cache under the
report's data fingerprint and returns that fingerprint: the status page serves the PDF only
while the figures still have it, so an old link never hands out a stale PDF."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.core.cache import cache

from recovery.jobs.models import Job
from recovery.jobs.services import JobContext, job_kind, job_submit
from recovery.periods import FinancialYear, Period, Quarter
from recovery.reporting import renderers, selectors
from recovery.reporting.cache import PDF_CACHE_SECONDS, pdf_cache_key, report_fingerprint
from recovery.reporting.report import Report

logger = logging.getLogger(__name__)

REPORT_PDF = "report-pdf"


@job_kind(REPORT_PDF, max_attempts=3)
def render_report_pdf(ctx: JobContext) -> dict[str, Any]:
    """Render a report's PDF into the cache; return the fingerprint of the data it shows."""
    report = selectors.report_for(ctx.params["kind"], ctx.params["params"])
    key = pdf_cache_key(report)
    if cache.get(key) is None:
        logger.info("Rendering %s PDF in the background (%s)", ctx.params["kind"], ctx.params["params"])
        cache.set(key, renderers.render_pdf(report), PDF_CACHE_SECONDS)
    return {"fingerprint": report_fingerprint(report)}


def report_pdf_submit(
    *, kind: str, params: dict[str, Any], report: Report, user: User | AnonymousUser | None = None
) -> Job:
    """Queue the PDF of ``report`` (built from ``kind`` and ``params``); requests for the same
    report with the same figures share one job."""
    return job_submit(
        kind=REPORT_PDF,
        params={"kind": kind, "params": params},
        key=report_fingerprint(report),
        user=user,
    )


COMMITTEE_PACK = "committee-pack"


@job_kind(COMMITTEE_PACK, max_attempts=3)
def render_committee_pack(ctx: JobContext) -> dict[str, Any]:
    """Render a quarter's committee pack into the cache (queued when the quarter is locked),
    under the same key a download looks for (pack.pack_cache_key); nothing is rendered when the
    pack of this data is already cached. Returns its cache key."""
    from recovery.reporting.pack import pack_pdf

    period = Period(FinancialYear.parse(ctx.params["year"]), Quarter.parse(ctx.params["quarter"]))
    ctx.progress(step="rendering the PDF")
    _, cached, key = pack_pdf(period)
    if not cached:
        logger.info("Rendered the committee pack of %s in the background", period)
    return {"key": key, "cached": cached}


def committee_pack_submit(*, period: Period, user: User | AnonymousUser | None = None) -> Job:
    """Queue the rendering of a quarter's committee pack (one job per quarter at a time)."""
    return job_submit(
        kind=COMMITTEE_PACK,
        params={"year": str(period.year), "quarter": period.quarter.label},
        key=f"{period.year} {period.quarter.label}",
        user=user,
    )
