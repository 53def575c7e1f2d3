"""The committee pack: Appendix 1, the Transformation update and the exception report of a
quarter as one PDF, cached under a fingerprint of everything it is made from.

When finance locks a quarter (and again when it is re-locked after an administrator reopened
it), the pack is rendered in the background (jobs.render_committee_pack), so that the first
person to download it gets it from the cache.

The cache key is a fingerprint of the pack's *inputs*, not of the three reports built from them
(building them is what a download should not have to do: a quarter of a large county takes a
quarter of a second). A dozen aggregate queries, a few milliseconds, cover every row the reports
read: for each table, how many rows the year has, the highest id, the latest change and its
version, the sums of the figures, and the newest history record of the table (every save,
import and delete writes one); the words shown as they are (finance's summary, stated totals,
the names of the plans' managers and of who recorded DMT's decisions); and what is not in the
database (the organisation's name, today's date, which the exception report counts overdue
days from, and the code that draws the pack). Anything the pack shows that changes changes the
key, so a stale PDF is never served.

A PDF is stored only under the key read both before and after its reports were read: a change
committed while the reports were being read (or the PDF rendered from them) leaves the PDF
unstored under the new key, and the next download renders today's figures."""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Max, Model, Q, QuerySet, Sum
from django.utils import timezone

from monitoring.figures import QUARTER_FIGURE_NAMES
from monitoring.models import MilestoneProgress, PlanUpdate, QuarterCommentary, Scheme, SchemeQuarter, StatedTotal
from plans.models import DeficitRecoveryPlan, Directorate, Milestone, Portfolio, ServiceArea
from recovery.periods import Period
from recovery.reporting import renderers, selectors
from recovery.reporting.cache import PDF_CACHE_SECONDS
from recovery.reporting.report import Report

# Every model whose rows the pack's three reports read (with the users named as managers).
PACK_MODELS: tuple[type[Model], ...] = (
    Directorate,
    Portfolio,
    ServiceArea,
    Scheme,
    SchemeQuarter,
    DeficitRecoveryPlan,
    Milestone,
    PlanUpdate,
    MilestoneProgress,
    QuarterCommentary,
)
_CODE_ROOT = Path(__file__).resolve().parents[2]
_CODE_PARTS = ("recovery", "monitoring", "plans", "templates", "static")
_CODE_SUFFIXES = {".py", ".html", ".css", ".txt"}


def pack_reports(period: Period) -> list[Report]:
    return [
        selectors.appendix_report(period=period),
        selectors.transformation_report(period=period),
        selectors.exceptions_report(period=period),
    ]


@functools.cache
def code_version() -> str:
    """A hash of the code and templates that build and draw the pack (worked out once per
    process), so a new release never serves a pack drawn by the old one."""
    digest = hashlib.sha256(importlib.metadata.version("weasyprint").encode())
    for part in _CODE_PARTS:
        for path in sorted((_CODE_ROOT / part).rglob("*")):
            if path.suffix in _CODE_SUFFIXES and path.is_file() and "migrations" not in path.parts:
                digest.update(str(path.relative_to(_CODE_ROOT)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def _latest_history_ids() -> list[Any]:
    """The newest history record of each table the pack reads: one query of index lookups."""
    quote = connection.ops.quote_name
    tables = [quote(model.history.model._meta.db_table) for model in PACK_MODELS]  # type: ignore[attr-defined]
    # Table names from the models' own meta, quoted: nothing from a request.
    parts = [f"(SELECT MAX({quote('history_id')}) FROM {table})" for table in tables]  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts))
        return list(cursor.fetchone())


def _summary(queryset: QuerySet[Any], *, sums: Iterable[str] = (), changed: bool = False) -> list[Any]:
    """How many rows, the highest id, (the latest change and its versions) and the sums of the
    figures: any row added, deleted or edited moves one of them."""
    aggregates: dict[str, Any] = {"rows": Count("pk"), "top": Max("pk")}
    if changed:
        aggregates.update(changed=Max("updated_at"), versions=Sum("version"))
    aggregates.update({f"sum_{name}": Sum(name) for name in sums})
    values = queryset.order_by().aggregate(**aggregates)
    return [values[name] for name in sorted(values)]


def pack_inputs(period: Period, *, today: date | None = None) -> list[Any]:
    """Everything the pack of ``period`` is made from, summarised in a fixed number of queries."""
    year, quarter = period.year, period.quarter
    plans = DeficitRecoveryPlan.objects.filter(financial_year=year)
    return [
        str(period),
        today or timezone.localdate(),
        settings.ORGANISATION_NAME,
        code_version(),
        _latest_history_ids(),
        _summary(Directorate.objects.all()),
        _summary(Portfolio.objects.all()),
        _summary(ServiceArea.objects.all()),
        _summary(Scheme.objects.filter(financial_year=year), sums=["target", "order"]),
        _summary(SchemeQuarter.objects.filter(scheme__financial_year=year), sums=QUARTER_FIGURE_NAMES, changed=True),
        _summary(plans, changed=True),
        _summary(Milestone.objects.filter(plan__financial_year=year), sums=["amount", "order"]),
        _summary(PlanUpdate.objects.filter(plan__financial_year=year), changed=True),
        _summary(MilestoneProgress.objects.filter(update__plan__financial_year=year)),
        list(
            QuarterCommentary.objects.filter(financial_year=year, quarter=quarter)
            .order_by("report")
            .values_list("report", "published_text")
        ),
        list(
            StatedTotal.objects.filter(financial_year=year, quarter=quarter)
            .order_by("pk")
            .values_list("scope", "column", "amount", "source")
        ),
        _summary(
            DeficitRecoveryPlan.managers.through.objects.filter(deficitrecoveryplan__financial_year=year),
            sums=["user_id"],
        ),
        # The people the pack names: plans' managers, and who recorded DMT's decisions.
        list(
            User.objects.filter(
                Q(managed_plans__financial_year=year)
                | Q(pk__in=PlanUpdate.objects.filter(plan__financial_year=year).values("dmt_decided_by"))
            )
            .order_by("pk")
            .distinct()
            .values_list("pk", "username", "first_name", "last_name")
        ),
    ]


def pack_cache_key(period: Period, *, today: date | None = None) -> str:
    return "report-pack:" + hashlib.sha256(repr(pack_inputs(period, today=today)).encode()).hexdigest()


def pack_filename(period: Period) -> str:
    return f"committee-pack-{period.year.start_year}-{period.quarter.label.lower()}"


def pack_for_user(*, user: AbstractBaseUser | AnonymousUser, period: Period) -> bytes:
    """The pack's PDF for a reader of the summaries (PermissionDenied otherwise)."""
    selectors.require_summary_reader(user)
    pdf, _, _ = pack_pdf(period)
    return pdf


def pack_pdf(period: Period) -> tuple[bytes, bool, str]:
    """The pack's PDF, whether it came from the cache, and its key (rendered, and cached if
    nothing it shows changed meanwhile, when it was not in the cache)."""
    key = pack_cache_key(period)
    pdf: bytes | None = cache.get(key)
    if pdf is not None:
        return pdf, True, key
    reports = pack_reports(period)
    pdf = renderers.render_pack_pdf(
        title=f"Committee pack: savings and recovery plans, {period}",
        period=f"{period} (to {period.end_date:%d/%m/%Y})",
        organisation=settings.ORGANISATION_NAME,
        reports=reports,
    )
    if pack_cache_key(period) == key:
        cache.set(key, pdf, PDF_CACHE_SECONDS)
    return pdf, False, key
