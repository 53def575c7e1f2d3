"""The Django admin is no back door: the workflow is never edited there, a submitted plan is
read-only but for its managers, and saving a page does not rewrite text nobody changed."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.forms import modelform_factory
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plans.models import DeficitRecoveryPlan
from recovery.formtools import AdminTextForm
from tests.factories import MilestoneFactory, UserFactory


class _FormFields(HTMLParser):
    """The values a browser would post back, unchanged, from the admin's change form."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._textarea: str | None = None
        self._select: str | None = None
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        name = a.get("name")
        if tag == "form":
            self._inside = (a.get("id") or "").endswith("_form")
        if not self._inside or a.get("disabled") is not None:
            return
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.data.setdefault(name, []).append(a.get("value") or "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.data.setdefault(name, []).append("")
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select].append(a.get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._inside = False
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.data[self._textarea][-1] += data


def browser_post_data(html: str) -> dict[str, list[str]]:
    parser = _FormFields()
    parser.feed(html)
    # A browser sends a text area's line breaks as CR LF (and drops the one newline after the tag).
    return {
        key: [value.removeprefix("\n").replace("\r\n", "\n").replace("\n", "\r\n") for value in values]
        for key, values in parser.data.items()
    }


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def save_unchanged(client, url: str, **changes: str):
    page = client.get(url)
    assert page.status_code == 200
    data = browser_post_data(page.content.decode())
    for key, value in changes.items():
        data[key] = [value]
    data["_save"] = ["Save"]
    return client.post(url, data)


def test_saving_a_draft_plan_unchanged_keeps_its_line_endings_and_ends(client, superuser, plan):
    plan.context = "First line.\nSecond line.\n\nA paragraph after a blank line.\n"
    plan.actions = "Windows text\r\nkept as it was.\r\n"
    plan.save()
    MilestoneFactory(plan=plan, details="Step one\nthen step two")
    client.force_login(superuser)
    done = save_unchanged(client, reverse("admin:plans_deficitrecoveryplan_change", args=[plan.pk]))
    assert done.status_code == 302, done.content.decode()[:2000]
    plan.refresh_from_db()
    assert plan.context == "First line.\nSecond line.\n\nA paragraph after a blank line.\n"
    assert plan.actions == "Windows text\r\nkept as it was.\r\n"
    assert plan.milestones.get().details == "Step one\nthen step two"


def test_text_an_administrator_changes_is_stored_with_line_feeds(client, superuser, plan):
    client.force_login(superuser)
    done = save_unchanged(
        client, reverse("admin:plans_deficitrecoveryplan_change", args=[plan.pk]), context="New\r\ncontext"
    )
    assert done.status_code == 302
    plan.refresh_from_db()
    assert plan.context == "New\ncontext"


def test_the_status_of_a_draft_plan_is_not_edited_in_the_admin(client, superuser, plan):
    client.force_login(superuser)
    url = reverse("admin:plans_deficitrecoveryplan_change", args=[plan.pk])
    done = save_unchanged(client, url, status="submitted", version="99")
    assert done.status_code == 302
    plan.refresh_from_db()
    assert plan.status == DeficitRecoveryPlan.Status.DRAFT
    assert plan.version != 99


def test_a_submitted_plan_is_read_only_in_the_admin_but_for_its_managers(client, superuser, plan, other_manager):
    MilestoneFactory(plan=plan, details="Agreed step")
    plan.status = DeficitRecoveryPlan.Status.SUBMITTED
    plan.save()
    client.force_login(superuser)
    url = reverse("admin:plans_deficitrecoveryplan_change", args=[plan.pk])
    page = client.get(url).content.decode()
    assert 'name="context"' not in page
    assert 'name="status"' not in page
    assert 'name="milestones-0-details"' not in page
    assert 'name="managers"' in page
    done = save_unchanged(
        client,
        url,
        context="Rewritten by an administrator",
        status="draft",
        **{"milestones-0-details": "Changed", "managers": str(other_manager.pk)},
    )
    assert done.status_code == 302, done.content.decode()[:2000]
    plan.refresh_from_db()
    assert plan.status == DeficitRecoveryPlan.Status.SUBMITTED
    assert plan.context != "Rewritten by an administrator"
    assert plan.milestones.get().details == "Agreed step"
    assert list(plan.managers.all()) == [other_manager]


def test_plans_are_not_added_in_the_admin(client, superuser):
    client.force_login(superuser)
    assert client.get(reverse("admin:plans_deficitrecoveryplan_add")).status_code == 403


lines = st.lists(st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12), min_size=1, max_size=5)


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=lines, ending=st.sampled_from(["\n", "\r\n"]), trailing=st.sampled_from(["", "\n", "  "]))
def test_any_text_saved_unchanged_through_an_admin_form_is_kept_exactly(plan, parts, ending, trailing):
    """What a browser posts back for an unchanged text area (CR LF line breaks, the ends
    stripped by the form) never replaces what is stored."""
    stored = ending.join(parts) + trailing
    DeficitRecoveryPlan.objects.filter(pk=plan.pk).update(context=stored)
    plan.refresh_from_db()
    form_class = modelform_factory(DeficitRecoveryPlan, form=AdminTextForm, fields=["context"])
    posted = stored.replace("\r\n", "\n").replace("\n", "\r\n").strip()
    form = form_class(data={"context": posted}, instance=plan)
    assert form.is_valid(), form.errors
    assert form.save().context == stored
