"""The scheme grid on a laptop (1366 x 768) and a phone (320 px): every column that matters is
reachable without scrolling the page sideways, the scheme and its Edit button stay in view,
commentary and history fold into the row, money carries its unit, the scroll region can be
reached by keyboard, and axe finds no WCAG 2.2 A/AA violation. Screenshot of the grid at
1366 px: var/screenshots/grid-1366.png."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import SCREENSHOT_DIR, describe_violations, login, run_axe
from tests.e2e.test_accessibility import assert_fits

pytestmark = pytest.mark.e2e

GRID = "/monitoring/2012-13/Q2/schemes/"

GEOMETRY = """() => {
  const region = document.querySelector(".grid-scroll");
  const edges = (selector) => [...document.querySelectorAll(selector)].map((el) => {
    const box = el.getBoundingClientRect();
    return {left: box.left, right: box.right};
  });
  return {
    page: document.documentElement.scrollWidth,
    region: {scroll: region.scrollWidth, client: region.clientWidth},
    headers: [...document.querySelectorAll("table.grid-table thead th")].map((th) => th.getBoundingClientRect().right),
    edit: edges("table.grid-table tbody .grid-actions a"),
    schemes: edges("table.grid-table tbody th.grid-scheme"),
  };
}"""


def open_grid(page: Page, who: str = "finance") -> None:
    login(page, who)
    page.goto(GRID)
    expect(page.get_by_role("heading", name="Savings schemes: Q2 2012/13")).to_be_visible()


def test_the_grid_fits_a_1366_laptop_without_sideways_scrolling(new_page):
    page = new_page(width=1366, height=768, bypass_csp=True)
    open_grid(page)
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOT_DIR / "grid-1366.png")
    page.screenshot(path=SCREENSHOT_DIR / "grid-1366-full.png", full_page=True)
    geometry = page.evaluate(GEOMETRY)
    assert geometry["page"] <= 1366, geometry
    # Nothing to scroll inside the table's region either: every column header is on screen.
    assert geometry["region"]["scroll"] <= geometry["region"]["client"] + 1, geometry
    assert max(geometry["headers"]) <= 1366, geometry
    assert geometry["edit"]
    assert all(box["right"] <= 1366 for box in geometry["edit"]), geometry["edit"]
    # Money carries its unit.
    total = page.locator("table.grid-table tfoot tr")
    expect(total).to_contain_text("£7,956,000")
    assert "£" in page.locator("table.grid-table thead").inner_text() or all(
        cell.startswith(("£", "-£", "–")) for cell in page.locator("table.grid-table tbody td.num").all_inner_texts()
    )
    # Commentary, checks and history fold into the scheme's row and open in place.
    row = page.locator("tr", has=page.locator("th.grid-scheme", has_text="Assistive Technology")).first
    fold = row.locator("details.grid-fold")
    expect(fold.get_by_role("link", name=re.compile("^History"))).not_to_be_visible()
    fold.locator("summary").click()
    expect(fold.get_by_role("link", name=re.compile("^History"))).to_be_visible()
    # The inline editor opens within the screen.
    row.get_by_role("link", name=re.compile("^Edit")).click()
    editor = page.locator("tr.table-active form")
    expect(editor).to_be_visible()
    box = editor.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 1366, box
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    page.screenshot(path=SCREENSHOT_DIR / "grid-1366-editing.png")


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (320, 640)])
@pytest.mark.parametrize("who", ["finance", "executive"])
def test_axe_finds_nothing_on_the_grid(new_page, width, height, who):
    page = new_page(width=width, height=height, bypass_csp=True)
    open_grid(page, who)
    violations = describe_violations(page.url, run_axe(page))
    assert not violations, "\n".join(violations)
    page.locator("details.grid-fold summary").first.click()
    violations = describe_violations(page.url, run_axe(page))
    assert not violations, "\n".join(violations)


def test_at_320_px_the_table_scrolls_in_a_focusable_region_with_the_scheme_and_edit_in_view(new_page):
    page = new_page(width=320, height=640)
    open_grid(page)
    assert_fits(page, 320)  # the page itself does not scroll sideways
    region = page.locator(".grid-scroll")
    expect(region).to_have_attribute("tabindex", "0")
    expect(region).to_have_attribute("role", "region")
    expect(page.get_by_role("region", name=re.compile("^Schemes with their figures"))).to_have_count(1)
    region.focus()
    expect(region).to_be_focused()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("End")
    region.evaluate("el => { el.scrollLeft = el.scrollWidth / 2; }")
    geometry = page.evaluate(GEOMETRY)
    assert geometry["region"]["scroll"] > geometry["region"]["client"]  # it does scroll, inside
    # Scrolled half way: the scheme's cell and its Edit button are still on screen.
    assert all(box["left"] >= -1 and box["left"] < 320 for box in geometry["schemes"]), geometry["schemes"]
    assert all(box["right"] <= 321 for box in geometry["edit"]), geometry["edit"]
