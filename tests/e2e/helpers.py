"""Helpers for the browser tests: signing in, screenshots, axe-core and the page checks."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from playwright.sync_api import Page, expect

from plans.demo import DEMO_PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_JS = Path(__file__).parent / "vendor" / "axe.min.js"
SCREENSHOT_DIR = Path(settings.BASE_DIR) / "var" / "screenshots"
# WCAG 2.2 AA: every rule axe tags with these.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
RAG_WORDS = {"RED", "AMBER", "GREEN", "BLUE", "Not rated"}


def login(page: Page, username: str, visit: Visits | None = None) -> None:
    page.goto("/accounts/login/")
    if visit is not None:
        visit("sign-in")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    # The menu (with "Sign out") is folded away on a narrow screen: look for it in the DOM.
    expect(page.locator("form[action$='/logout/'] button")).to_be_attached()


def message(page: Page) -> str:
    """The text of the flash messages at the top of the page."""
    return " ".join(page.locator(".messages").all_inner_texts())


# --- axe-core ---------------------------------------------------------------------------------

_RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({html: n.html, target: n.target.join(" "), summary: n.failureSummary})),
  }));
}"""


def run_axe(page: Page) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.2 AA violations on the page as it is now.

    The page's context must be created with ``bypass_csp=True``: ``add_script_tag`` adds an inline
    script, which the site's Content-Security-Policy (script-src 'self') would block.
    """
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    return page.evaluate(_RUN_AXE, WCAG_TAGS)


def describe_violations(url: str, violations: list[dict[str, Any]]) -> list[str]:
    lines = []
    for violation in violations:
        for node in violation["nodes"]:
            summary = " ".join(str(node["summary"] or "").split())
            lines.append(
                f"axe {violation['id']} ({violation['impact']}) at {url}: {violation['help']}\n"
                f"    element {node['target']}: {node['html'][:300]}\n    {summary}"
            )
    return lines


# --- Checks of the page's structure -------------------------------------------------------------

_STRUCTURE = """(WORDS) => {
  const problems = [];
  const snippet = (el) => el.outerHTML.replace(/\\s+/g, " ").slice(0, 200);
  const text = (el) => (el ? el.textContent.replace(/\\s+/g, " ").trim() : "");
  const byIds = (ids) => (ids || "").split(/\\s+/).filter(Boolean).map(id => document.getElementById(id));
  // Every form control has a label (its own <label>, aria-label or aria-labelledby).
  for (const el of document.querySelectorAll("input, select, textarea")) {
    if (el.closest("template")) continue;
    if (["hidden", "submit", "button", "reset", "image"].includes(el.type)) continue;
    const labelled = [...(el.labels || [])].some(l => text(l))
      || (el.getAttribute("aria-label") || "").trim()
      || byIds(el.getAttribute("aria-labelledby")).some(l => text(l));
    if (labelled) continue;
    const namesake = el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`);
    const why = namesake ? ` (its <label for="${el.id}"> labels another element with the same id: `
      + snippet(document.getElementById(el.id)) + ")" : "";
    problems.push("form control without a label: " + snippet(el) + why);
  }
  // Every table has a caption and header cells.
  for (const table of document.querySelectorAll("table")) {
    if (!text(table.caption)) problems.push("table without a caption: " + snippet(table));
    if (!table.querySelector("th")) problems.push("table without header cells: " + snippet(table));
  }
  // RAG is never shown by colour alone: every RAG badge or cell carries the word.
  const coloured = ".rag, .rag-red, .rag-amber, .rag-green, .rag-blue";
  for (const el of document.querySelectorAll(coloured)) {
    if (el.closest("svg")) continue;  // chart bars: checked below (a labelled chart and a table)
    if (!WORDS.includes(text(el))) problems.push("RAG colour without its word: " + snippet(el));
  }
  // Every chart has a text alternative and a table of the same figures beside it.
  for (const svg of document.querySelectorAll("svg.bar-chart")) {
    const name = byIds(svg.getAttribute("aria-labelledby")).map(text).join(" ") || svg.getAttribute("aria-label");
    if (svg.getAttribute("role") !== "img" || !name) {
      problems.push("chart without a text alternative: " + snippet(svg));
    }
    const section = svg.closest("section");
    if (!section || !section.querySelector("table caption")) {
      problems.push("chart without a data table beside it: " + snippet(svg));
    }
  }
  return problems;
}"""


def structure_problems(page: Page) -> list[str]:
    """Labels on every control, captions and headers on every table, RAG words, charts with tables."""
    return [f"{problem} (at {page.url})" for problem in page.evaluate(_STRUCTURE, sorted(RAG_WORDS))]


# --- Focus ----------------------------------------------------------------------------------------

_FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  const shadow = style.boxShadow && style.boxShadow !== "none";
  return {html: el.outerHTML.replace(/\\s+/g, " ").slice(0, 160), visible: Boolean(outline || shadow),
          outline: style.outlineStyle + " " + style.outlineWidth, shadow: style.boxShadow};
}"""


def focused(page: Page) -> dict[str, Any] | None:
    """The focused element and whether it shows a focus indicator (an outline or a box-shadow)."""
    return page.evaluate(_FOCUSED)


@dataclass
class Keyboard:
    """Moves through a page with Tab only, noting every stop that shows no focus indicator."""

    page: Page
    invisible_focus: list[str] = field(default_factory=list)

    def tab_to(self, selector: str, *, limit: int = 250, backwards: bool = False) -> None:
        """Press Tab (or Shift+Tab) until the element matching ``selector`` has the focus."""
        for _ in range(limit):
            self.page.keyboard.press("Shift+Tab" if backwards else "Tab")
            state = focused(self.page)
            if state is None:
                continue
            if not state["visible"]:
                self.invisible_focus.append(f"{state['html']} at {self.page.url}")
            if self.page.evaluate("(s) => document.activeElement.matches(s)", selector):
                return
        raise AssertionError(f"Tab never reached {selector} on {self.page.url}")

    def type_into(self, selector: str, text: str) -> None:
        """Tab to an (empty) field and type."""
        self.tab_to(selector)
        self.page.keyboard.type(text)

    def press_on(self, selector: str, key: str = "Enter") -> None:
        self.tab_to(selector)
        self.page.keyboard.press(key)

    def choose(self, selector: str, option_text: str) -> None:
        """Choose an option below the current one of a <select> with the down arrow."""
        self.tab_to(selector)
        read = "(s) => { const el = document.querySelector(s); return el.options[el.selectedIndex]?.text || ''; }"
        for _ in range(200):
            if option_text in self.page.evaluate(read, selector):
                return
            self.page.keyboard.press("ArrowDown")
        raise AssertionError(f"{option_text!r} is not an option of {selector}")

    def check_radio(self, name: str, value: str) -> None:
        """Tab into a radio group and move through it with the arrow keys until ``value`` is chosen."""
        self.tab_to(f"input[type=radio][name='{name}']")
        checked = f"() => document.querySelector(\"input[name='{name}'][value='{value}']\").checked"
        for _ in range(10):
            if self.page.evaluate(checked):
                return
            self.page.keyboard.press("ArrowDown")
        raise AssertionError(f"could not choose {value} in the radio group {name}")


# --- Pages visited ----------------------------------------------------------------------------------


@dataclass
class Visits:
    """Every page a journey reaches: a screenshot of each and, when auditing, axe and the checks."""

    page: Page
    prefix: str
    audit: bool = False
    problems: list[str] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)

    def __call__(self, name: str, page: Page | None = None) -> None:
        page = page or self.page
        page.wait_for_load_state("load")
        self.pages.append(f"{name}: {page.url}")
        slug = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOT_DIR / f"{self.prefix}-{len(self.pages):02d}-{slug}.png", full_page=True)
        if self.audit:
            found = describe_violations(page.url, run_axe(page)) + structure_problems(page)
            self.problems.extend(problem for problem in found if problem not in self.problems)
