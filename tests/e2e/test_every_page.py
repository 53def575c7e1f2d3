"""Zero axe (WCAG 2.2 A/AA) violations on every page of every role, at 1366 px and at 320 px.

The pages are not listed by hand: starting from My tasks, each role follows every link of the
site it can see (one page per view, whatever its arguments, so that the twenty plans of one list
are one visit), as far as the links go. A page added later is audited without changing this
test; a page nobody links to is not a page a user can reach. Downloads, the Django admin and
signing out are not followed. Every scrollable region must also be reachable by keyboard
(axe's ``scrollable-region-focusable``), which is what a laptop-width table needs most, and no
page is wider than the window (WCAG 1.4.10, reflow): a wide table scrolls in its own region."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest
from django.urls import Resolver404, resolve
from playwright.sync_api import Error as PlaywrightError

from tests.e2e.helpers import describe_violations, login, run_axe

pytestmark = pytest.mark.e2e

NOT_FOLLOWED = ("/admin/", "/accounts/logout/", "/static/", "/media/")
DOWNLOADS = (".pdf", ".xlsx", ".csv", ".json", ".docx", ".html")
DOWNLOAD_VIEWS = {
    "reporting:pack",
    "reporting:schemes_csv",
    "plans:attachment_download",
    "monitoring:tracker_template",
}
MOST_PAGES = 60  # per role and width: far more views than the site has


def _view_of(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.view_name


def _links(page, base: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    found = []
    for href in hrefs:
        url = urljoin(page.url, href)
        parts = urlsplit(url)
        if not url.startswith(base) or parts.path.startswith(NOT_FOLLOWED):
            continue
        if parts.path.endswith(DOWNLOADS) or "format=" in parts.query or "download" in parts.path:
            continue
        found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def crawl(page, base: str) -> tuple[list[str], list[str]]:
    """Visit one page of each view reachable from My tasks; (pages visited, axe problems)."""
    seen_views: set[str] = set()
    queue = ["/tasks/"]
    visited: list[str] = []
    problems: list[str] = []
    while queue and len(visited) < MOST_PAGES:
        path = queue.pop(0)
        view = _view_of(urlsplit(path).path)
        if view is None or view in seen_views:
            continue
        seen_views.add(view)
        if view in DOWNLOAD_VIEWS:
            continue
        try:
            response = page.goto(base + path)
        except PlaywrightError as error:  # a download the filters did not foresee
            if "Download is starting" in str(error):
                continue
            raise
        if response is None or response.status >= 400 or "text/html" not in response.headers.get("content-type", ""):
            continue
        visited.append(path)
        problems += describe_violations(path, run_axe(page))
        width = page.viewport_size["width"] if page.viewport_size else 0
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        if scroll_width > width:  # WCAG 1.4.10 reflow: wide tables scroll in their own region
            problems.append(f"{path}: the page is {scroll_width} px wide in a {width} px window")
        queue += _links(page, base)
    return visited, problems


@pytest.mark.parametrize("width", [1366, 320])
@pytest.mark.parametrize("who", ["manager", "finance", "executive", "admin"])
def test_axe_finds_nothing_on_any_page_a_role_can_reach(new_page, live_server, who, width):
    page = new_page(width=width, height=768 if width > 600 else 640, bypass_csp=True)
    login(page, who)
    visited, problems = crawl(page, live_server.url)
    print(f"{who} at {width} px: {len(visited)} pages", *visited, sep="\n  ")
    assert len(visited) >= 8, visited
    assert not problems, f"{len(problems)} problem(s) on {len(visited)} pages:\n" + "\n".join(problems)
