"""The three journeys, written once: test_journeys.py runs them for their outcome (with a
screenshot of every page) and test_accessibility.py runs them again with axe on every page."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import Locator, Page, expect

from monitoring.models import MilestoneProgress, PlanUpdate, Scheme, SchemeQuarter
from plans.models import DeficitRecoveryPlan
from recovery.periods import FinancialYear
from tests.e2e.helpers import Visits, login

PDFTOTEXT = "/usr/bin/pdftotext"

# A plan like seed 003 (Children's Staffing), for the current financial year (the demo data
# already holds seed 003 itself for 2023/24).
SEED_003 = {
    "service_area": "Children’s Staffing",
    "service_director": "Teresa Hills & Teresa Gallagher",
    "cost_centres": "All Staffing Cost Centres",
    "previous_year_budget": "29,821",
    "previous_year_outturn": "31,752",
    "previous_year_outturn_note": "£1,932k overspend being offset by £525k SF unallocated grant and £449k "
    "additional pay award met by central budgets so net £958k overspend",
    "current_year_budget": "31,085",
    "current_year_budget_note": "Full staffing GF budget across whole CFE department",
    "pressure_note": "Projected overspend as per Q3 is £765k.",
    "deficit_since": "2019/20",
    "context": (
        "The budget has been in persistent overspend since at least 2019/20, primarily due to the use "
        "of agency staff to cover vacant permanent positions.\n"
        "| Position | Agency weekly | LBC weekly |\n"
        "| Team Manager | £1,865.27 | £1,387.23 |\n"
        "| Social Worker | £1,432.01 | £1,047.88 |"
    ),
    "actions": (
        "Recruitment of 10 social work apprentices: a 3 year plan.\n"
        "· Interviews to recruit to the 2 IRO posts covered by agency workers.\n"
        "· Active recruitment campaigns to convert agency workers to permanent."
    ),
}
PRESSURE = "1,931"  # 31,752 − 29,821
MILESTONES = [
    ("Recruitment of Perm Team Managers post in the Audit Service", "18,849.84", "December 26"),
    ("Recruitment of 2 IRO’s", "37,699.68", "December 26"),
    ("Notice to Audit Officer", "17,196.32", "November 26"),
]
ALTERNATIVE = "Hold two vacant posts in the Safeguarding and Quality Assurance budget to realign £56k."

# Seed 004 (2012/13 Q2): the grid's totals (target, YTD budget, YTD actual, balance, shortfall).
GRID_TOTALS = ["7,956,000", "1,849,232", "1,691,122", "6,264,878", "2,699,636"]
TRANSFORMATION_TOTAL = [7956000, 1849232, 1691122, 6264878, 2699636]
# Seed 002 (2022/23 Q3): the Overall Total (target, forecast this year, next year, mitigations).
APPENDIX_TOTAL = [25201, 15925, 24073, 1128]


def scheme(ref: str, title: str) -> Scheme:
    return Scheme.objects.get(financial_year=FinancialYear(2012), ref=ref, title__startswith=title)


def menu(page: Page, name: str) -> Locator:
    """A link of the main menu."""
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True)


def rag_counts(page: Page) -> dict[str, int]:
    """The grid's line "34 schemes: RED 5 · AMBER 16 · GREEN 13." as a dict."""
    line = page.locator("p", has_text="The unallocated savings requirement counts").inner_text()
    return {word: int(count) for word, count in re.findall(r"(RED|AMBER|GREEN|BLUE|Not rated) (\d+)", line)}


# --- Journey 1: the service manager -----------------------------------------------------------------


def fill_plan(page: Page, data: dict[str, str], milestones: list[tuple[str, str, str]]) -> None:
    page.get_by_label("Service area").select_option(label=data["service_area"])
    for name in ("service_director", "cost_centres", "previous_year_budget", "previous_year_outturn"):
        page.locator(f"#id_{name}").fill(data[name])
    page.locator("#id_previous_year_outturn_note").fill(data["previous_year_outturn_note"])
    page.locator("#id_current_year_budget").fill(data["current_year_budget"])
    page.locator("#id_current_year_budget_note").fill(data["current_year_budget_note"])
    page.locator("#id_pressure_note").fill(data["pressure_note"])
    page.locator("#id_deficit_since").select_option(label=data["deficit_since"])
    page.locator("#id_context").fill(data["context"])
    page.locator("#id_actions").fill(data["actions"])
    for index, (details, amount, due) in enumerate(milestones):
        if index >= page.locator("#milestone-rows .milestone-row").count():
            page.get_by_role("button", name="Add another milestone").click()
        page.locator(f"#id_milestones-{index}-details").fill(details)
        page.locator(f"#id_milestones-{index}-amount").fill(amount)
        page.locator(f"#id_milestones-{index}-per_year").check()
        page.locator(f"#id_milestones-{index}-due_text").fill(due)


def manager_journey(page: Page, visit: Visits) -> DeficitRecoveryPlan:
    """Start a plan like seed 003, save a draft, submit it, then file its Q2 update as "No"."""
    login(page, "manager", visit)
    expect(page.get_by_role("heading", name="My tasks")).to_be_visible()
    visit("my-tasks")
    menu(page, "Plans").click()
    expect(page.get_by_role("heading", name="Deficit recovery plans")).to_be_visible()
    visit("plans")
    page.get_by_role("link", name="Start a new plan").first.click()
    expect(page.get_by_role("heading", name="Deficit Recovery Plan")).to_be_visible()
    visit("new-plan")
    fill_plan(page, SEED_003, MILESTONES)
    # The pressure is previewed as the figures are typed (static/js/pressure.js, allowed by the CSP).
    expect(page.locator(".pressure-preview output")).to_have_text(PRESSURE)
    visit("new-plan-filled")
    page.get_by_role("button", name="Save as draft").click()
    expect(page.locator(".messages")).to_contain_text("The plan has been saved as a draft.")
    expect(page.locator(".lead .badge")).to_have_text("Draft")
    expect(page.locator(".plan-header")).to_contain_text(PRESSURE)
    milestone_rows = page.locator("section[aria-labelledby=milestones-heading] tbody tr")
    expect(milestone_rows).to_have_count(3)
    for details, _amount, due in MILESTONES:
        expect(page.locator("section[aria-labelledby=milestones-heading]")).to_contain_text(details)
        expect(page.locator("section[aria-labelledby=milestones-heading]")).to_contain_text(due)
    expect(page.locator(".narrative table")).to_contain_text("Agency weekly")
    visit("plan-draft")
    plan = DeficitRecoveryPlan.objects.get(service_area__name=SEED_003["service_area"], status="draft")
    assert plan.previous_year_budget == Decimal("29821000")
    assert plan.pressure == Decimal("1931000")
    amounts = [milestone.amount for milestone in plan.milestones.order_by("order")]
    assert amounts == [Decimal("18849.84"), Decimal("37699.68"), Decimal("17196.32")]

    page.get_by_role("button", name="Submit plan").click()
    # A confirmation page: what submitting means; nothing is submitted until it is confirmed.
    expect(page.get_by_role("heading", name=re.compile(r"^Submit the plan for"))).to_be_visible()
    visit("plan-submit-confirm")
    assert DeficitRecoveryPlan.objects.get(pk=plan.pk).is_draft
    page.get_by_role("button", name="Submit the plan").click()
    expect(page.locator(".messages")).to_contain_text("The plan has been submitted. It is now read-only.")
    expect(page.locator(".lead .badge")).to_have_text("Submitted")
    expect(page.get_by_role("link", name="Edit plan")).to_have_count(0)
    visit("plan-submitted")

    page.get_by_role("link", name=re.compile(r"^Quarter 2 ")).click()
    expect(page.get_by_role("heading", name="Quarterly monitoring update")).to_be_visible()
    visit("q2-update")
    page.get_by_label("No = RED").check()
    page.get_by_label("Narrative").fill("Conversion of agency staff is slower than hoped; the Audit post has slipped.")
    progress = page.locator("select[name$='-status']")
    expect(progress).to_have_count(3)
    progress.first.select_option(label="Slipped (revised date)")
    page.locator("input[name$='-revised_due_text']").first.fill("March 27")
    page.get_by_label("Why milestones were not met").fill("No suitable candidates at the first advert.")
    page.get_by_label("How delivery will be brought back on track").fill("Readvertised with the recruitment partner.")
    page.get_by_role("button", name="Save and submit to finance").click()

    # "No" without the alternative proposal: refused, and the summary leads to the field.
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link")).to_have_count(1)
    link = summary.get_by_role("link", name=re.compile("Alternative proposal"))
    expect(link).to_contain_text("THERE IS NO NEW MONEY AVAILABLE")
    expect(page.locator("#id_alternative_proposal")).to_have_class(re.compile(r"\bis-invalid\b"))
    visit("q2-update-alternative-required")
    assert not PlanUpdate.objects.filter(plan=plan, quarter=2, status="submitted").exists()
    link.click()
    expect(page.locator("#id_alternative_proposal")).to_be_focused()
    # Nothing typed was lost.
    expect(page.get_by_label("No = RED")).to_be_checked()
    expect(page.locator("input[name$='-revised_due_text']").first).to_have_value("March 27")
    page.locator("#id_alternative_proposal").fill(ALTERNATIVE)
    page.get_by_role("button", name="Save and submit to finance").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Submit the Q2 update"))).to_be_visible()
    expect(page.locator("main")).to_contain_text("It is not submitted yet")
    visit("q2-update-submit-confirm")
    page.get_by_role("button", name="Submit to finance").click()
    expect(page.locator(".messages")).to_contain_text("The Q2 update has been submitted to finance.")
    expect(page.locator("main")).to_contain_text("Submitted")
    expect(page.locator("main")).to_contain_text(ALTERNATIVE)
    visit("q2-update-submitted")

    update = PlanUpdate.objects.get(plan=plan, quarter=2)
    assert (update.status, update.on_target, update.alternative_proposal) == ("submitted", "no", ALTERNATIVE)
    slipped = MilestoneProgress.objects.get(update=update, status="slipped")
    assert slipped.revised_due_text == "March 27"
    return plan


# --- Journey 2: the finance officer -------------------------------------------------------------------


def finance_journey(page: Page, visit: Visits) -> None:
    """Change two RAGs in the Q2 grid with reasons, approve an update, lock, and be refused."""
    login(page, "finance", visit)
    expect(page.get_by_role("heading", name="My tasks")).to_be_visible()
    visit("my-tasks")
    menu(page, "Dashboard").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Dashboard"))).to_be_visible()
    visit("dashboard")
    menu(page, "Quarterly monitoring").click()
    visit("quarters")
    page.get_by_role("link", name="Schemes Q2 2012/13").click()
    expect(page.get_by_role("heading", name="Savings schemes: Q2 2012/13")).to_be_visible()
    total = page.locator("table.grid-table tfoot tr")
    for figure in GRID_TOTALS:
        expect(total).to_contain_text(figure)
    assert rag_counts(page) == {"BLUE": 0, "GREEN": 13, "AMBER": 16, "RED": 5}
    visit("grid")

    technology = scheme("15", "Assistive Technology")
    charging = scheme("16b", "Charging efficiencies")
    recommissioning = scheme("5", "Re-commissioning third sector")
    # The same officer has the (no-JavaScript) edit page of another scheme open in a second tab.
    stale = page.context.new_page()
    stale.goto(f"/monitoring/2012-13/Q2/schemes/{charging.pk}/")
    expect(stale.get_by_role("heading", name=re.compile("Charging efficiencies"))).to_be_visible()
    page.bring_to_front()  # a background tab's timers are throttled (htmx swaps use them)

    # RED → GREEN skips a level: refused without a reason, saved with one (edited in place).
    row = page.locator(f"#scheme-{technology.pk}")
    row.get_by_role("link", name=re.compile(r"^Edit")).click()
    expect(row.locator("form")).to_be_visible()
    # By name, not by its label: the row's <label for="id_rag"> also matches the filter's
    # select (id="id_rag") above the grid; test_accessibility reports that.
    row.locator("select[name=rag]").select_option("GREEN")
    visit("grid-edit-row")
    row.get_by_role("button", name="Save").click()
    expect(row.locator(".invalid-feedback")).to_contain_text("give the reason")
    visit("grid-reason-needed")
    row.get_by_label("Reason for a RAG change").fill("Equipment contract signed in September; savings secured.")
    row.get_by_role("button", name="Save").click()
    expect(row.locator(".badge.rag").last).to_have_text("GREEN")
    expect(row).to_contain_text("Reason: Equipment contract signed in September; savings secured.")

    # GREEN → AMBER worsens: given with its reason at once.
    row = page.locator(f"#scheme-{recommissioning.pk}")
    row.get_by_role("link", name=re.compile(r"^Edit")).click()
    row.locator("select[name=rag]").select_option("AMBER")
    row.get_by_label("Reason for a RAG change").fill("Provider has asked to defer the retender to January.")
    row.get_by_role("button", name="Save").click()
    expect(row.locator(".badge.rag").last).to_have_text("AMBER")
    page.reload()
    assert rag_counts(page) == {"BLUE": 0, "GREEN": 13, "AMBER": 17, "RED": 4}
    visit("grid-after-changes")
    saved = {s.scheme_id: s for s in SchemeQuarter.objects.filter(quarter=2, scheme__in=[technology, recommissioning])}
    assert (saved[technology.pk].rag, saved[recommissioning.pk].rag) == ("GREEN", "AMBER")
    assert saved[technology.pk].rag_reason.startswith("Equipment contract")
    assert saved[recommissioning.pk].rag_reason.startswith("Provider has asked")

    # Approve seed 003's submitted Q2 update ("Amber").
    menu(page, "Quarterly monitoring").click()
    page.get_by_role("link", name="Plan updates Q2 2023/24").click()
    visit("plan-updates")
    page.get_by_role("link", name="Children’s Staffing").click()
    expect(page.get_by_role("heading", name="Finance review")).to_be_visible()
    visit("update-review")
    page.get_by_label("Approve", exact=True).check()
    expect(page.get_by_label("Plan RAG this quarter")).to_have_value("AMBER")
    page.get_by_label("Comments", exact=True).fill("Agreed: conversion slower than hoped. Report progress at Q3.")
    page.get_by_role("button", name="Record the review").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Approve the Q2 update"))).to_be_visible()
    visit("update-approve-confirm")
    page.get_by_role("button", name="Approve the update").click()
    expect(page.locator(".messages")).to_contain_text("The update has been approved.")
    visit("update-approved")
    update = PlanUpdate.objects.get(
        plan__service_area__name="Children’s Staffing", plan__financial_year=FinancialYear(2023), quarter=2
    )
    assert (update.status, update.rag) == ("approved", "AMBER")

    # Lock the grid's quarter; nothing in it can change from then on.
    page.goto("/monitoring/2012-13/Q2/schemes/")
    page.get_by_role("link", name="Lock Q2 2012/13").click()
    expect(page.get_by_role("heading", name="Lock Q2 2012/13?")).to_be_visible()
    visit("lock-confirm")
    page.get_by_role("button", name="Lock Q2 2012/13").click()
    expect(page.locator(".messages")).to_contain_text("Q2 2012/13 is locked.")
    expect(page.locator("main")).to_contain_text("nothing in this quarter can change")
    expect(page.locator("main")).to_contain_text("Locked by")
    expect(page.get_by_role("link", name=re.compile(r"^Edit"))).to_have_count(0)
    visit("grid-locked")

    before = SchemeQuarter.objects.get(scheme=charging, quarter=2)
    stale.bring_to_front()
    stale.get_by_label("RAG", exact=True).select_option("RED")
    stale.get_by_label("Reason for a RAG change").fill("An edit after the lock.")
    with stale.expect_response(lambda response: response.request.method == "POST") as posted:
        stale.get_by_role("button", name="Save").click()
    assert posted.value.status == 403
    expect(stale.get_by_role("heading", name="You cannot do that")).to_be_visible()
    expect(stale.locator("main")).to_contain_text("Q2 2012/13 is locked: nothing in it can be changed.")
    visit("edit-after-lock-refused", stale)
    after = SchemeQuarter.objects.get(scheme=charging, quarter=2)
    assert (after.rag, after.version) == (before.rag, before.version)

    # The quarter of the approved update, locked from the quarter list.
    page.bring_to_front()
    menu(page, "Quarterly monitoring").click()
    page.get_by_role("link", name="Lock Q2 2023/24").click()
    page.get_by_role("button", name="Lock Q2 2023/24").click()
    expect(page.locator(".messages")).to_contain_text("Q2 2023/24 is locked.")
    visit("quarters-locked")
    page.get_by_role("link", name="Plan updates Q2 2023/24").click()
    page.get_by_role("link", name="Children’s Staffing").click()
    expect(page.locator("main")).to_contain_text("Locked by")
    expect(page.get_by_role("heading", name="Finance review")).to_have_count(0)
    visit("update-locked")


# --- Journey 3: the executive -------------------------------------------------------------------------


@dataclass
class Downloaded:
    pdf_text: str
    workbook_path: Path


def download_both(page: Page, directory: Path, stem: str) -> Downloaded:
    with page.expect_download() as pdf:
        page.get_by_role("link", name="Download PDF").click()
    pdf_path = directory / f"{stem}.pdf"
    pdf.value.save_as(pdf_path)
    assert pdf.value.suggested_filename.endswith(".pdf")
    assert pdf_path.read_bytes().startswith(b"%PDF")
    text = subprocess.run(  # noqa: S603 - a fixed program on a file this test wrote
        [PDFTOTEXT, "-layout", str(pdf_path), "-"], capture_output=True, text=True, check=True
    ).stdout
    with page.expect_download() as xlsx:
        page.get_by_role("link", name="Download Excel (XLSX)").click()
    xlsx_path = directory / f"{stem}.xlsx"
    xlsx.value.save_as(xlsx_path)
    assert xlsx.value.suggested_filename.endswith(".xlsx")
    return Downloaded(text, xlsx_path)


def last_row(path: Path, sheet: str) -> list[object]:
    book = load_workbook(path, read_only=True)
    rows = [row for row in book[sheet].iter_rows(values_only=True) if any(cell is not None for cell in row)]
    book.close()
    return list(rows[-1])


DMT_PROPOSAL = "Realign £120k from the agency budget to fund two permanent social worker posts."


def red_update_for_dmt() -> PlanUpdate:
    """Seed 003's Q3 update filed by its manager as "No", with an alternative proposal."""
    from django.contrib.auth.models import User

    from monitoring import services
    from recovery.periods import Quarter

    plan = DeficitRecoveryPlan.objects.get(service_area__name="Children’s Staffing", financial_year=FinancialYear(2023))
    return services.plan_update_save(
        plan=plan,
        quarter=Quarter.Q3,
        user=User.objects.get(username="manager"),
        fields={"on_target": "no", "narrative": "No permanent appointments.", "alternative_proposal": DMT_PROPOSAL},
        submit=True,
    )


def executive_journey(page: Page, visit: Visits, downloads: Path) -> None:
    """Decide on a RED proposal from My tasks; read the dashboard, Appendix 1 and the
    Transformation update; download PDF and Excel."""
    update = red_update_for_dmt()
    login(page, "executive", visit)
    expect(page.get_by_role("heading", name="My tasks")).to_be_visible()
    visit("my-tasks")
    page.get_by_role("link", name="Q3 2023/24: Children’s Staffing").click()
    expect(page.get_by_role("heading", name="DMT decision on the alternative proposal")).to_be_visible()
    expect(page.locator("main")).to_contain_text(DMT_PROPOSAL)
    visit("dmt-decision")
    page.get_by_label("Rejected").check()
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator("#error-summary")).to_contain_text("Say why the proposal is rejected.")
    page.get_by_label("Comments for the manager").fill("The agency budget is committed until March.")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator(".messages")).to_contain_text("DMT's decision is recorded: rejected.")
    expect(page.locator("#dmt")).to_contain_text("The agency budget is committed until March.")
    visit("dmt-decided")
    update.refresh_from_db()
    assert (update.dmt_decision, update.dmt_comments) == ("rejected", "The agency budget is committed until March.")
    menu(page, "Dashboard").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Dashboard"))).to_be_visible()
    visit("dashboard-latest")
    page.goto("/reports/dashboard/2012-13/Q2/")
    expect(page.get_by_role("heading", name="Dashboard: Q2 2012/13")).to_be_visible()
    by_rag = page.get_by_role("table", name=re.compile("Schemes by RAG"))
    for word, count in (("RED", "5"), ("AMBER", "16"), ("GREEN", "13")):
        expect(by_rag.get_by_role("row", name=re.compile(rf"^{word} {count} "))).to_have_count(1)
    expect(page.locator(".tiles")).to_contain_text("£7,956,000")
    visit("dashboard-q2")

    page.get_by_role("link", name="Transformation report").click()
    expect(page.get_by_role("heading", name="Transformation Plan Update Report to End of Quarter 2")).to_be_visible()
    expect(page.locator(".report-headlines")).to_contain_text("£7.956m")
    expect(page.locator("tr.row-total").last).to_contain_text("7,956,000")
    visit("transformation")
    got = download_both(page, downloads, "transformation")
    assert "TOTAL" in got.pdf_text
    for figure in GRID_TOTALS:
        assert figure in got.pdf_text, figure
    total = last_row(got.workbook_path, "Total")
    assert total[0] == "TOTAL"
    assert total[4:9] == TRANSFORMATION_TOTAL

    menu(page, "Reports").click()
    visit("reports")
    page.get_by_role("link", name="Appendix 1, Q3 2022/23").click()
    expect(page.get_by_role("heading", name="Appendix 1: Recovery Plan Performance by Service Area")).to_be_visible()
    expect(page.locator("main")).to_contain_text("£661k remains to be mitigated.")
    visit("appendix")
    got = download_both(page, downloads, "appendix")
    for figure in ("10,888", "£661k remains to be mitigated.", "25,201", "15,925", "24,073", "1,128"):
        assert figure in got.pdf_text, figure
    total = last_row(got.workbook_path, "7. Overall Total")
    assert total[0] == "Total"
    assert total[1:4] + total[6:7] == APPENDIX_TOTAL


def administrator_journey(page: Page, visit: Visits) -> None:
    """From My tasks: a person who signed in with no role is found there, given the Finance
    officer role on the People page, and the task is gone; then a new service manager is added
    with a service area, and the service area without a manager drops off the list."""
    from django.contrib.auth.models import User

    from plans.models import ServiceArea

    User.objects.create_user("newcomer", first_name="Noor", last_name="Newcomer", email="noor@example.invalid")
    lonely = ServiceArea.objects.create(name="Registrars", portfolio=ServiceArea.objects.first().portfolio)
    login(page, "admin", visit)
    expect(page.get_by_role("heading", name="My tasks")).to_be_visible()
    visit("my-tasks")
    page.get_by_role("link", name="Noor Newcomer (newcomer)").click()
    expect(page.get_by_role("heading", name="Noor Newcomer")).to_be_visible()
    visit("person")
    page.get_by_label("Finance officer").check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".messages")).to_contain_text("Noor Newcomer: saved.")
    expect(page.get_by_role("row", name=re.compile("Noor Newcomer"))).to_contain_text("Finance officer")
    visit("people")
    page.get_by_role("link", name="Add a person").click()
    page.get_by_label("Username").fill("registrar.lead")
    page.get_by_label("First name").fill("Rae")
    page.get_by_label("Last name").fill("Lead")
    page.get_by_label("Service manager").check()
    page.get_by_label("Service areas").select_option(label="Registrars")
    visit("add-person")
    page.get_by_role("button", name="Add").click()
    expect(page.get_by_role("heading", name="Rae Lead")).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile("^My tasks")).click()
    tasks = page.locator("main")
    expect(tasks).not_to_contain_text("Noor Newcomer")
    expect(tasks).not_to_contain_text(f"{lonely.name} (")
    visit("my-tasks-after")
