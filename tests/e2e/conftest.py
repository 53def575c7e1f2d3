"""Real-browser tests: Playwright (sync API) driving Debian's Chromium against the live server.

Run them alone with ``make test-e2e`` (or ``pytest -m e2e -p no:xdist tests/e2e``); the default
``addopts`` leaves them out of ``make test``. ``make e2e-deps`` installs chromium when missing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import Browser, Page, sync_playwright

from tests.e2e.helpers import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture(scope="session", autouse=True)
def _allow_orm_beside_playwright() -> Iterator[None]:
    """Playwright's sync API runs an event loop in the test thread; Django would otherwise refuse
    the ORM calls that fixtures and assertions make from that thread. Only for these tests."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    assert os.access(CHROMIUM, os.X_OK), f"{CHROMIUM} is missing: `make e2e-deps` installs Debian's chromium."
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def demo(transactional_db: None, live_server: Any, settings: Any) -> None:
    """The demo data (seeds 000–004) and the demo users, served by the live server."""
    # load_demo refuses to create users with the published password unless DEBUG is on.
    settings.DEBUG = True
    call_command("load_demo", stdout=StringIO())
    settings.DEBUG = False
    # The live server speaks plain HTTP: cookies marked Secure would not be sent back.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


@pytest.fixture
def new_page(browser: Browser, live_server: Any, demo: None) -> Iterator[Callable[..., Page]]:
    """``new_page(width=1280, bypass_csp=False)``: a page in a browser context of its own."""
    contexts = []

    def make(*, width: int = 1280, height: int = 900, bypass_csp: bool = False) -> Page:
        context = browser.new_context(
            base_url=live_server.url,
            viewport={"width": width, "height": height},
            accept_downloads=True,
            locale="en-GB",
            # axe-core is injected with add_script_tag, an inline <script> that the site's CSP
            # (script-src 'self') blocks; extra HTTP headers cannot lift a CSP sent by the
            # server, so the contexts that run axe are created with bypass_csp=True.
            bypass_csp=bypass_csp,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def prefix(request: pytest.FixtureRequest) -> str:
    """The test's name, to start the names of its screenshots."""
    return re.sub(r"[^A-Za-z0-9_]+", "-", request.node.name).strip("-")
