"""The journeys in a real browser: service manager, finance officer, executive, administrator.

Every page reached is saved as a screenshot under var/screenshots/.
"""

from __future__ import annotations

import pytest

from tests.e2e.helpers import Visits
from tests.e2e.journeys import administrator_journey, executive_journey, finance_journey, manager_journey

pytestmark = pytest.mark.e2e


def test_service_manager_files_a_plan_and_a_red_q2_update(new_page, prefix):
    page = new_page()
    manager_journey(page, Visits(page, prefix))


def test_finance_sets_rags_approves_and_locks_the_quarter(new_page, prefix):
    page = new_page()
    finance_journey(page, Visits(page, prefix))


def test_executive_reads_the_summaries_and_downloads_them(new_page, prefix, tmp_path):
    page = new_page()
    executive_journey(page, Visits(page, prefix), tmp_path)


def test_administrator_gives_a_newcomer_a_role_and_adds_a_service_manager(new_page, prefix):
    page = new_page()
    administrator_journey(page, Visits(page, prefix))
