"""Accessibility in a real browser: axe-core (WCAG 2.2 AA) on every page of the three journeys,
the manager's journey by keyboard alone, visible focus, the skip link, labels, error summaries,
RAG words, tables and charts, and the plan form at 320 px wide."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from plans.models import DeficitRecoveryPlan
from tests.e2e.helpers import Keyboard, Visits, focused, login, run_axe, structure_problems
from tests.e2e.journeys import (
    ALTERNATIVE,
    MILESTONES,
    PRESSURE,
    SEED_003,
    executive_journey,
    fill_plan,
    finance_journey,
    manager_journey,
)

pytestmark = pytest.mark.e2e


def report(problems: list[str]) -> str:
    return f"{len(problems)} problem(s):\n" + "\n".join(problems)


@pytest.mark.parametrize("journey", ["manager", "finance", "executive"])
def test_axe_finds_no_wcag_22_aa_violation_on_any_page_of_the_journey(new_page, prefix, tmp_path, journey):
    page = new_page(bypass_csp=True)  # axe is injected as an inline script: see conftest.new_page
    visits = Visits(page, prefix, audit=True)
    if journey == "manager":
        manager_journey(page, visits)
    elif journey == "finance":
        finance_journey(page, visits)
    else:
        executive_journey(page, visits, tmp_path)
    assert len(visits.pages) >= 6, visits.pages
    assert not visits.problems, report(visits.problems)


def test_axe_is_live_and_reports_what_it_finds(new_page):
    """Guards the audit itself: a control without a label, added to a real page, is reported."""
    page = new_page(bypass_csp=True)
    page.goto("/accounts/login/")
    page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<input id=unlabelled>')")
    assert "label" in {violation["id"] for violation in run_axe(page)}


def skip_link_works(page: Page) -> None:
    page.keyboard.press("Tab")
    state = focused(page)
    assert state is not None
    expect(page.locator(":focus")).to_have_text("Skip to main content")
    assert state["visible"], state
    expect(page.locator(":focus")).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()


def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(new_page):
    page = new_page()
    page.goto("/accounts/login/")
    skip_link_works(page)
    # The next Tab goes on from the start of the main content: the first field of the form.
    page.keyboard.press("Tab")
    expect(page.locator("#id_username")).to_be_focused()
    login(page, "finance")
    page.goto("/monitoring/2012-13/Q2/schemes/")
    skip_link_works(page)


def test_manager_journey_by_keyboard_alone(new_page, prefix):
    """Journey 1 with Tab, Shift+Tab, Enter, Space, arrow keys and typing: no clicks."""
    page = new_page()
    keys = Keyboard(page)
    visit = Visits(page, prefix)

    page.goto("/accounts/login/")
    skip_link_works(page)
    keys.type_into("#id_username", "manager")
    keys.type_into("#id_password", "recovery-demo-2026")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="My tasks")).to_be_visible()
    visit("my-tasks")
    keys.press_on("#main-nav a[href='/plans/']")
    expect(page.get_by_role("heading", name="Deficit recovery plans")).to_be_visible()
    visit("plans")

    keys.press_on("main a[href='/plans/new/']")
    expect(page.locator("#id_service_area")).to_be_visible()
    keys.choose("#id_service_area", SEED_003["service_area"])
    keys.type_into("#id_service_director", SEED_003["service_director"])
    keys.type_into("#id_cost_centres", SEED_003["cost_centres"])
    keys.type_into("#id_previous_year_budget", SEED_003["previous_year_budget"])
    keys.type_into("#id_previous_year_outturn", SEED_003["previous_year_outturn"])
    keys.type_into("#id_previous_year_outturn_note", "Net £958k overspend.")
    keys.type_into("#id_current_year_budget", SEED_003["current_year_budget"])
    expect(page.locator(".pressure-preview output")).to_have_text(PRESSURE)
    keys.choose("#id_deficit_since", SEED_003["deficit_since"])
    keys.type_into(
        "#id_context", "Agency staff cover vacant posts.\n| Position | Agency weekly |\n| Manager | £1,865 |"
    )
    keys.type_into("#id_actions", "· Recruit to the 2 IRO posts.\n· Convert agency workers to permanent.")
    for index, (details, amount, due) in enumerate(MILESTONES):
        if index == 0:
            keys.type_into("#id_milestones-0-details", details)
        else:
            # "Add another milestone" adds a row and moves the focus to its first field.
            keys.press_on("#add-milestone", "Enter")
            expect(page.locator(f"#id_milestones-{index}-details")).to_be_focused()
            page.keyboard.type(details)
        keys.type_into(f"#id_milestones-{index}-amount", amount)
        keys.press_on(f"#id_milestones-{index}-per_year", "Space")
        expect(page.locator(f"#id_milestones-{index}-per_year")).to_be_checked()
        keys.type_into(f"#id_milestones-{index}-due_text", due)
    visit("new-plan-by-keyboard")
    keys.press_on("button[name=save]", "Enter")
    expect(page.locator(".messages")).to_contain_text("The plan has been saved as a draft.")
    visit("plan-draft")
    plan = DeficitRecoveryPlan.objects.get(service_area__name=SEED_003["service_area"], status="draft")
    assert plan.milestones.count() == 3
    assert all(milestone.per_year for milestone in plan.milestones.all())

    keys.press_on("form[action$='/submit/'] button", "Enter")
    # The confirmation page, by keyboard too.
    expect(page.get_by_role("heading", name=re.compile(r"^Submit the plan for"))).to_be_visible()
    visit("plan-submit-confirm")
    keys.press_on("form:has(input[name=confirm]) button[type=submit]", "Enter")
    expect(page.locator(".messages")).to_contain_text("The plan has been submitted.")
    keys.press_on("a[href$='/Q2/']", "Enter")
    expect(page.get_by_role("heading", name="Quarterly monitoring update")).to_be_visible()
    keys.check_radio("on_target", "no")
    keys.type_into("#id_narrative", "Conversion of agency staff is slower than hoped.")
    keys.press_on("button[name=submit]", "Enter")

    # Refused without the alternative proposal; the error summary's link leads to the field.
    expect(page.locator("#error-summary")).to_be_visible()
    visit("q2-update-errors")
    keys.press_on("#error-summary a[href='#id_alternative_proposal']", "Enter")
    expect(page.locator("#id_alternative_proposal")).to_be_focused()
    page.keyboard.type(ALTERNATIVE)
    keys.press_on("button[name=submit]", "Enter")
    expect(page.get_by_role("heading", name=re.compile(r"^Submit the Q2 update"))).to_be_visible()
    keys.press_on("form:has(input[name=confirm]) button[type=submit]", "Enter")
    expect(page.locator(".messages")).to_contain_text("The Q2 update has been submitted to finance.")
    visit("q2-update-submitted")
    update = plan.updates.get(quarter=2)
    assert (update.status, update.on_target, update.alternative_proposal) == ("submitted", "no", ALTERNATIVE)

    assert not keys.invisible_focus, "Focus not visible on:\n" + "\n".join(keys.invisible_focus)


def test_error_summary_links_every_problem_to_its_field(new_page, prefix):
    page = new_page()
    visit = Visits(page, prefix)
    keys = Keyboard(page)
    login(page, "manager")
    page.goto("/plans/new/")
    page.locator("#id_previous_year_budget").fill("1,2x")
    page.locator("#id_milestones-0-details").fill("Recruitment of 2 IRO’s")
    page.locator("#id_milestones-0-amount").fill("37,6x")
    page.get_by_role("button", name="Save as draft").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_have_attribute("role", "alert")
    visit("plan-form-errors")
    links = summary.locator("a")
    targets = [links.nth(i).get_attribute("href") for i in range(links.count())]
    # The service area (required), the budget and the milestone's amount.
    assert {"#id_service_area", "#id_previous_year_budget", "#id_milestones-0-amount"} <= set(targets), targets
    for target in targets:
        assert target
        assert target.startswith("#")
        field = page.locator(target)
        expect(field).to_have_count(1)
        expect(field).to_have_class(re.compile(r"\bis-invalid\b"))
        keys.tab_to(f"#error-summary a[href='{target}']")
        page.keyboard.press("Enter")
        expect(field).to_be_focused()
    # Nothing typed is lost.
    expect(page.locator("#id_milestones-0-details")).to_have_value("Recruitment of 2 IRO’s")
    expect(page.locator("#id_previous_year_budget")).to_have_value("1,2x")
    assert not keys.invisible_focus, "Focus not visible on:\n" + "\n".join(keys.invisible_focus)


def test_every_focusable_element_shows_its_focus(new_page):
    """Tab through whole pages of each kind and check each stop has an outline or a box-shadow."""
    page = new_page()
    keys = Keyboard(page)
    login(page, "finance")
    for url in ("/reports/dashboard/2012-13/Q2/", "/monitoring/2012-13/Q2/schemes/", "/reports/appendix/2022-23/Q3/"):
        page.goto(url)
        # Round the whole page once: Tab until the focus comes back to the skip link.
        stops = 0
        while stops < 400:
            page.keyboard.press("Tab")
            stops += 1
            state = focused(page)
            if state is not None and not state["visible"]:
                keys.invisible_focus.append(f"{state['html']} at {url}")
            if stops > 1 and page.evaluate("document.activeElement.classList.contains('skip-link')"):
                break
        assert stops > 10, url
    assert not keys.invisible_focus, "Focus not visible on:\n" + "\n".join(keys.invisible_focus)


def test_rag_tables_and_charts_on_the_summaries(new_page):
    """RAG always as a word, every table with a caption and headers, every chart with a table."""
    page = new_page()
    login(page, "executive")
    problems = []
    for url in (
        "/reports/dashboard/2012-13/Q2/",
        "/reports/transformation/2012-13/Q2/",
        "/reports/appendix/2022-23/Q3/",
        "/monitoring/2012-13/Q2/schemes/",
    ):
        page.goto(url)
        problems.extend(structure_problems(page))
    page.goto("/reports/dashboard/2012-13/Q2/")
    assert page.locator("svg.bar-chart").count() >= 3
    badges = page.locator(".badge.rag").all_inner_texts()
    assert {"RED", "AMBER", "GREEN"} <= set(badges), badges
    assert not problems, report(problems)


OVERFLOW = """(limit) => {
  const wide = [];
  for (const el of document.body.querySelectorAll("*")) {
    if (el.closest(".table-responsive")) continue;
    const box = el.getBoundingClientRect();
    if (box.width && box.right > limit) {
      wide.push(el.outerHTML.replace(/\\s+/g, " ").slice(0, 160) + " right=" + Math.round(box.right));
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, wide: wide.slice(0, 15)};
}"""
TOLERANCE = 2


def assert_fits(page: Page, width: int) -> None:
    state = page.evaluate(OVERFLOW, width + TOLERANCE)
    assert state["scrollWidth"] <= width + TOLERANCE, (
        f"{page.url} scrolls sideways at {width}px: scrollWidth {state['scrollWidth']}; too wide:\n"
        + "\n".join(state["wide"])
    )


def test_plan_form_works_at_320_px_wide(new_page, prefix):
    page = new_page(width=320, height=640)
    visit = Visits(page, prefix)
    login(page, "manager")
    page.goto("/plans/")
    page.get_by_role("link", name="Start a new plan").first.click()
    expect(page.locator("#id_service_area")).to_be_visible()
    visit("new-plan-320")
    assert_fits(page, 320)
    fill_plan(page, SEED_003, MILESTONES[:2])
    assert_fits(page, 320)
    visit("new-plan-320-filled")
    page.get_by_role("button", name="Save as draft").click()
    expect(page.locator(".messages")).to_contain_text("The plan has been saved as a draft.")
    visit("plan-draft-320")
    assert_fits(page, 320)
    plan = DeficitRecoveryPlan.objects.get(service_area__name=SEED_003["service_area"], status="draft")
    assert plan.milestones.count() == 2
