"""The exception report (not exception classes): what needs attention this quarter. Pure
builders on plain inputs.

- RED and AMBER schemes;
- overdue milestones (the due date, revised or original, has passed and the milestone is not met);
- plans without a submitted update this quarter, and schemes without figures this quarter;
- schemes whose stated RAG the figures contradict (GREEN with a projected shortfall …);
- RAG changes since last quarter;
- RED plans' alternative proposals and DMT's decision on each (or that it awaits one).
Each is a section of one Report, so it renders as HTML, PDF, XLSX and JSON like any other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from monitoring.calculations import SchemeFigures, balance_to_achieve, rag_disagreements, suggested_rag
from monitoring.figures import QUARTER_FIGURE_NAMES
from recovery.periods import Period
from recovery.rag import RAG, Movement, movement
from recovery.reporting.builders import SchemeLine
from recovery.reporting.report import Column, Report, Row, Section, Unit

EXCEPTION_KINDS = ("red_amber", "overdue", "not_updated", "disagreements", "rag_changes", "dmt")
SCHEME_SECTIONS = ("red_amber", "not_updated_schemes", "disagreements", "rag_changes")  # rows from schemes


@dataclass(frozen=True)
class SchemeException:
    """A scheme this quarter, with last quarter's RAG and whether it has figures this quarter."""

    line: SchemeLine
    previous_rag: RAG | None
    has_figures: bool


@dataclass(frozen=True)
class MilestoneLine:
    plan: str
    service_area: str
    details: str
    amount: Decimal | None
    due_text: str
    due: date
    revised: bool
    status: str


@dataclass(frozen=True)
class PlanLine:
    plan: str
    directorate: str
    managers: str
    update_status: str


@dataclass(frozen=True)
class ProposalLine:
    """A published RED update's alternative proposal and DMT's decision on it ("" = awaited)."""

    plan: str
    directorate: str
    rag: RAG | None
    proposal: str
    decision: str
    comments: str
    decided: str  # who and when


AWAITING_DMT = "Awaiting DMT's decision"

SCHEME_COLUMNS = [
    Column("ref", "Scheme no", Unit.TEXT, width=9),
    Column("title", "Scheme", Unit.TEXT, width=44, wrap=True),
    Column("service_area", "Service area", Unit.TEXT, width=26, wrap=True),
    Column("rag", "RAG", Unit.RAG, width=9),
    Column("target", "Full year target", Unit.POUNDS, width=14),
    Column("ytd_actual", "YTD actual", Unit.POUNDS, width=14),
    Column("balance", "Balance to achieve", Unit.POUNDS, width=14),
    Column("projected_shortfall", "Projected shortfall", Unit.POUNDS, width=14),
    Column("detail", "Why it is listed", Unit.TEXT, width=50, wrap=True),
]


def _figures(line: SchemeLine) -> SchemeFigures:
    return SchemeFigures.of(line.target, {name: getattr(line, name) for name in QUARTER_FIGURE_NAMES})


def _scheme_row(item: SchemeException, detail: str) -> Row:
    line = item.line
    return Row(
        {
            "ref": line.ref,
            "title": line.title,
            "service_area": line.service_area,
            "rag": line.rag,
            "target": line.target,
            "ytd_actual": line.ytd_actual,
            "balance": balance_to_achieve(target=line.target, ytd_actual=line.ytd_actual),
            "projected_shortfall": line.projected_shortfall,
            "detail": detail,
        },
        kind="unallocated" if line.is_unallocated else "item",
    )


def red_amber(items: Sequence[SchemeException]) -> list[Row]:
    order = {RAG.RED: 0, RAG.AMBER: 1}
    chosen = [item for item in items if item.line.rag in order]
    chosen.sort(key=lambda item: order[item.line.rag])  # type: ignore[index]
    return [_scheme_row(item, item.line.commentary or item.line.challenges) for item in chosen]


def disagreements(items: Sequence[SchemeException]) -> list[Row]:
    rows = []
    for item in items:
        reasons = rag_disagreements(item.line.rag, _figures(item.line))
        if reasons:
            suggestion = suggested_rag(_figures(item.line)).word
            rows.append(_scheme_row(item, " ".join(reasons) + f" Figures suggest {suggestion}."))
    return rows


def rag_changes(items: Sequence[SchemeException]) -> list[Row]:
    rows = []
    for item in items:
        moved = movement(item.previous_rag, item.line.rag)
        if moved in (Movement.IMPROVED, Movement.WORSENED) and item.previous_rag is not None:
            word = "Improved" if moved is Movement.IMPROVED else "Worsened"
            now = item.line.rag.word if item.line.rag else ""
            rows.append(_scheme_row(item, f"{word}: {item.previous_rag.word} → {now}"))
    return rows


def not_updated_schemes(items: Sequence[SchemeException]) -> list[Row]:
    return [_scheme_row(item, "No figures or RAG recorded for this quarter.") for item in items if not item.has_figures]


def overdue(milestones: Sequence[MilestoneLine], *, today: date) -> list[Row]:
    """Milestones whose due date (the latest revised one, else the original) is before today and
    that are not marked met. A milestone due today is not yet overdue."""
    rows = []
    for item in sorted(milestones, key=lambda entry: entry.due):
        if item.due < today and item.status != "Met":
            rows.append(
                Row(
                    {
                        "plan": item.plan,
                        "details": item.details,
                        "amount": item.amount,
                        "due": f"{item.due_text} ({item.due:%d/%m/%Y}{', revised' if item.revised else ''})",
                        "days": Decimal((today - item.due).days),
                        "status": item.status or "No progress reported",
                    }
                )
            )
    return rows


MILESTONE_COLUMNS = [
    Column("plan", "Plan", Unit.TEXT, width=32, wrap=True),
    Column("details", "Milestone", Unit.TEXT, width=50, wrap=True),
    Column("amount", "£", Unit.POUNDS, width=12),
    Column("due", "Due", Unit.TEXT, width=22),
    Column("days", "Days overdue", Unit.POUNDS, width=10),
    Column("status", "Latest progress", Unit.TEXT, width=20),
]
PROPOSAL_COLUMNS = [
    Column("plan", "Plan", Unit.TEXT, width=30, wrap=True),
    Column("rag", "RAG", Unit.RAG, width=9),
    Column("proposal", "Alternative proposal", Unit.TEXT, width=50, wrap=True),
    Column("decision", "DMT decision", Unit.TEXT, width=18, wrap=True),
    Column("comments", "DMT comments", Unit.TEXT, width=40, wrap=True),
    Column("decided", "Decided", Unit.TEXT, width=22, wrap=True),
]
PLAN_COLUMNS = [
    Column("plan", "Plan", Unit.TEXT, width=40, wrap=True),
    Column("directorate", "Directorate", Unit.TEXT, width=30),
    Column("managers", "Responsible", Unit.TEXT, width=30),
    Column("update_status", "Update this quarter", Unit.TEXT, width=20),
]


def build_exceptions(
    *,
    period: Period,
    schemes: Sequence[SchemeException],
    milestones: Sequence[MilestoneLine],
    plans_not_updated: Sequence[PlanLine],
    organisation: str,
    generated_at: datetime,
    today: date,
    only: str | None = None,
    filters: dict[str, str] | None = None,
    proposals: Sequence[ProposalLine] = (),
    scheme_rows: Mapping[str, Sequence[Row]] | None = None,
) -> Report:
    """The exception report (all six views, or ``only`` one of them).

    ``scheme_rows`` gives the rows of the sections about schemes (SCHEME_SECTIONS) ready made,
    instead of from ``schemes``: the page on screen passes rows that the database counts and
    reads a page at a time (``selectors.exceptions_report(page_rows=True)``)."""
    given = scheme_rows or {}
    made = {
        "red_amber": red_amber,
        "not_updated_schemes": not_updated_schemes,
        "disagreements": disagreements,
        "rag_changes": rag_changes,
    }

    def rows_of(key: str) -> list[Row]:
        # A ready-made Sequence stands in for the list: it is only sliced, counted and iterated.
        return given[key] if key in given else made[key](schemes)  # type: ignore[return-value]

    plan_rows = [
        Row({"plan": p.plan, "directorate": p.directorate, "managers": p.managers, "update_status": p.update_status})
        for p in plans_not_updated
    ]
    sections = {
        "red_amber": Section(
            "red_amber", "RED and AMBER schemes", columns=SCHEME_COLUMNS, rows=rows_of("red_amber"),
            caption=f"Schemes rated RED or AMBER at {period}",
        ),
        "overdue": Section(
            "overdue", "Overdue milestones", columns=MILESTONE_COLUMNS, rows=overdue(milestones, today=today),
            caption=f"Milestones due before {today:%d/%m/%Y} and not marked met",
        ),
        "not_updated": Section(
            "not_updated", "Not updated this quarter", columns=PLAN_COLUMNS, rows=plan_rows,
            caption=f"Plans of {period.year} without a submitted update for {period.quarter.label}",
        ),
        "not_updated_schemes": Section(
            "not_updated_schemes", "Schemes without figures this quarter", columns=SCHEME_COLUMNS,
            rows=rows_of("not_updated_schemes"),
            caption=f"Schemes of {period.year} with nothing recorded for {period.quarter.label}",
        ),
        "disagreements": Section(
            "disagreements", "RAG that the figures contradict", columns=SCHEME_COLUMNS, rows=rows_of("disagreements"),
            caption="Stated RAG disagrees with the figures; finance decides",
        ),
        "rag_changes": Section(
            "rag_changes", "RAG changes this quarter", columns=SCHEME_COLUMNS, rows=rows_of("rag_changes"),
            caption=f"Schemes whose RAG moved since the previous quarter ({period.previous})",
        ),
        "dmt": Section(
            "dmt", "Alternative proposals and DMT's decisions", columns=PROPOSAL_COLUMNS,
            rows=[
                Row({"plan": p.plan, "rag": p.rag, "proposal": p.proposal, "decision": p.decision or AWAITING_DMT,
                     "comments": p.comments, "decided": p.decided})
                for p in proposals
            ],
            caption=f"RED plans' proposals for realigning budgets at {period}, for DMT to consider",
        ),
    }  # fmt: skip
    keys = list(sections)
    if only == "not_updated":
        keys = ["not_updated", "not_updated_schemes"]
    elif only:
        keys = [only]
    chosen = [sections[key] for key in keys]
    for section in chosen:
        if not section.rows:
            section.lines = ["None."]
    return Report(
        kind="exceptions",
        title="Exception report" if not only else f"Exceptions: {chosen[0].title}",
        period=f"{period} (to {period.end_date:%d/%m/%Y}), as at {today:%d/%m/%Y}",
        organisation=organisation,
        generated_at=generated_at,
        sections=chosen,
        notes=["Balance to achieve = full year target − YTD actual. Amounts in pounds."],
        filters=filters or {},
    )
