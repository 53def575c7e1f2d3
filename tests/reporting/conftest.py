"""Fixtures for the reporting tests: the demo data (seeds 000–004) loaded through the app."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command


@pytest.fixture
def demo(db, settings):
    """``manage.py load_demo``: the seed organisation, plans, schemes, stated totals and demo users."""
    settings.DEBUG = True
    call_command("load_demo", stdout=StringIO())


@pytest.fixture(autouse=True)
def _empty_cache():
    """Cached PDFs of one test never serve another."""
    cache.clear()
    yield
    cache.clear()
