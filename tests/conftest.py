"""Shared fixtures: one user per role and a plan for each of two service managers."""

from __future__ import annotations

import pytest
from hypothesis import settings as hypothesis_settings

from plans.models import DeficitRecoveryPlan
from plans.roles import Role
from tests.factories import PlanFactory, ServiceAreaFactory, UserFactory

# `make mutation` runs the unit tests once for every mutant: fewer examples for the properties that
# do not set their own (the run is seeded, so the same examples every time).
hypothesis_settings.register_profile("mutation", max_examples=25, deadline=None)


def pytest_configure(config):
    # WhiteNoise warns that collectstatic has not been run; the tests never serve static files.
    config.addinivalue_line("filterwarnings", "ignore:No directory at:UserWarning")


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Every test stores its attachments in a directory of its own."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def manager(db):
    return UserFactory(username="manager", role=Role.SERVICE_MANAGER)


@pytest.fixture
def other_manager(db):
    return UserFactory(username="other_manager", role=Role.SERVICE_MANAGER)


@pytest.fixture
def finance(db):
    return UserFactory(username="finance", role=Role.FINANCE_OFFICER)


@pytest.fixture
def executive(db):
    return UserFactory(username="executive", role=Role.EXECUTIVE)


@pytest.fixture
def administrator(db):
    return UserFactory(username="admin", role=Role.ADMINISTRATOR)


@pytest.fixture
def service_area(manager):
    """Seed 000's service area, with ``manager`` assigned to it."""
    return ServiceAreaFactory(
        name="Adult Social care assessment costs and income shortfall",
        portfolio__directorate__name="Chief Executive",
        managers=[manager],
    )


@pytest.fixture
def plan(manager, service_area) -> DeficitRecoveryPlan:
    """A draft plan with seed 000's figures, owned by ``manager``."""
    return PlanFactory(service_area=service_area, managers=[manager], created_by=manager)


@pytest.fixture
def other_area(other_manager):
    return ServiceAreaFactory(name="Children’s Placements", managers=[other_manager])


@pytest.fixture
def other_plan(other_manager, other_area) -> DeficitRecoveryPlan:
    """A draft plan owned by ``other_manager``, in a service area ``manager`` is not assigned to."""
    return PlanFactory(
        service_area=other_area,
        managers=[other_manager],
        created_by=other_manager,
        previous_year_budget=None,
        previous_year_outturn=None,
    )
