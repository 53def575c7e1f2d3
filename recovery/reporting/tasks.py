"""Background rendering of large report PDFs (django-tasks; the database queue in production).

The task rebuilds the report from the database, renders the PDF into the shared cache under the
report's data fingerprint and returns that key; the status page then serves it. A failure is
recorded on the task result (shown to the user with a "try again"), never a stuck spinner.
"""

from __future__ import annotations

import logging

from django.core.cache import cache
from django_tasks import task

from recovery.reporting import renderers, selectors
from recovery.reporting.cache import PDF_CACHE_SECONDS, pdf_cache_key

logger = logging.getLogger(__name__)


@task()
def render_report_pdf(kind: str, params: dict[str, int | str | None]) -> str:
    """Render a report's PDF into the cache; return the cache key."""
    report = selectors.report_for(kind, params)
    key = pdf_cache_key(report)
    if cache.get(key) is None:
        logger.info("Rendering %s PDF in the background (%s)", kind, params)
        cache.set(key, renderers.render_pdf(report), PDF_CACHE_SECONDS)
    return key
