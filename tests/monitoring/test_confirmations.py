"""Confirmation for what cannot be undone by its author (issue 19, item 5): submitting a plan or
a quarterly update, approving or returning an update, locking and reopening a quarter.

Every request here is a plain form post through Django's test client, as a browser without
JavaScript sends it: the one-click post changes nothing and shows the confirmation page; the
page's own form (its action, hidden fields and any text boxes, read from the HTML) does it. The
version each page carries still protects against someone else's save in between; a confirmed
post without it is refused (400). The locked banner names who locked the quarter and when."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import reverse
from django.utils import dateformat, timezone

from monitoring import services
from monitoring.models import MonitoringQuarter, PlanUpdate, QuarterLockEvent
from plans import services as plan_services
from plans.models import DeficitRecoveryPlan
from plans.roles import Role
from recovery.periods import Quarter
from recovery.rag import RAG
from tests.factories import PlanUpdateFactory, UserFactory
from tests.monitoring.conftest import PLAN_PERIOD

pytestmark = pytest.mark.django_db

YEAR = "2023-24"


def state() -> dict[str, Any]:
    """Everything the five actions could change."""
    return {
        "plans": list(DeficitRecoveryPlan.objects.order_by("pk").values()),
        "updates": list(PlanUpdate.objects.order_by("pk").values()),
        "quarters": list(MonitoringQuarter.objects.order_by("pk").values("locked_at", "locked_by")),
        "events": QuarterLockEvent.objects.count(),
        "plan_history": DeficitRecoveryPlan.history.count(),
        "update_history": PlanUpdate.history.count(),
    }


@dataclass
class PostedForm:
    action: str
    data: dict[str, str]
    html: str


def confirmation_form(response) -> PostedForm:
    """The confirmation page's form as a browser would send it: its action, hidden fields and
    the text of its text boxes."""
    assert response.status_code == 200
    assert "partials/confirm_page.html" in [template.name for template in response.templates]
    content = response.content.decode()
    forms = re.findall(r'<form method="post" action="([^"]*)"[^>]*>(.*?)</form>', content, flags=re.DOTALL)
    chosen = [(action, body) for action, body in forms if 'name="confirm" value="1"' in body]
    assert len(chosen) == 1, "one confirmation form"
    action, body = chosen[0]
    assert "hx-" not in body, "a plain form: no JavaScript needed"
    data = {
        name: html.unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', body)
    }
    for name, text in re.findall(r'<textarea name="(\w+)"[^>]*>(.*?)</textarea>', body, flags=re.DOTALL):
        data[name] = html.unescape(text).lstrip("\n")
    assert re.search(r'<button class="btn [^"]*" type="submit">', body)
    return PostedForm(action=html.unescape(action), data=data, html=content)


# The five actions -----------------------------------------------------------------------------


@pytest.fixture
def draft_update(live_plan):
    return PlanUpdateFactory(plan=live_plan, quarter=Quarter.Q2, status="draft", on_target="partial")


@pytest.fixture
def submitted_update(live_plan, manager):
    return PlanUpdateFactory(
        plan=live_plan, quarter=Quarter.Q2, status="submitted", on_target="partial", submitted_by=manager
    )


def review_url(plan) -> str:
    return reverse("monitoring:plan_update_review", args=[plan.pk, Quarter.Q2])


@dataclass
class Action:
    """One action: who does it, the one-click post that used to do it at once, and how to tell
    it was done."""

    user: str
    url: Any
    one_click: Any
    done: Any
    page_says: list[str]


def _locked(finance):
    services.quarter_lock(period=PLAN_PERIOD, user=finance)


ACTIONS = {
    "submit plan": Action(
        user="manager",
        url=lambda ctx: reverse("plans:submit", args=[ctx["plan"].pk]),
        one_click=lambda ctx: {"version": str(ctx["plan"].version)},  # the plan page's Submit button
        done=lambda ctx: DeficitRecoveryPlan.objects.get(pk=ctx["plan"].pk).status == "submitted",
        page_says=["Submit the plan for", "read-only", "Submit the plan"],
    ),
    "submit update": Action(
        user="manager",
        url=lambda ctx: reverse("monitoring:plan_update_submit", args=[ctx["live_plan"].pk, Quarter.Q2]),
        one_click=lambda ctx: {"version": str(ctx["draft_update"].version)},
        done=lambda ctx: PlanUpdate.objects.get(pk=ctx["draft_update"].pk).status == "submitted",
        page_says=["Submit the Q2 update of", "Finance reviews the update", "Submit to finance"],
    ),
    "approve": Action(
        user="finance",
        url=lambda ctx: review_url(ctx["live_plan"]),
        one_click=lambda ctx: {"decision": "approve", "version": str(ctx["submitted_update"].version)},
        done=lambda ctx: PlanUpdate.objects.get(pk=ctx["submitted_update"].pk).status == "approved",
        page_says=["Approve the Q2 update of", "approved", "Approve the update"],
    ),
    "return": Action(
        user="finance",
        url=lambda ctx: review_url(ctx["live_plan"]),
        one_click=lambda ctx: {
            "decision": "return",
            "comments": "Which posts are still agency?\nSay by when.",
            "version": str(ctx["submitted_update"].version),
        },
        done=lambda ctx: PlanUpdate.objects.get(pk=ctx["submitted_update"].pk).status == "returned",
        page_says=["Return the Q2 update of", "back to its manager", "Which posts are still agency?"],
    ),
    "lock": Action(
        user="finance",
        url=lambda ctx: reverse("monitoring:lock", args=[YEAR, "Q2"]),
        one_click=lambda ctx: {},
        done=lambda ctx: MonitoringQuarter.objects.filter(locked_at__isnull=False).exists(),
        page_says=["Lock Q2 2023/24?", "Nothing in Q2 2023/24 can change any more", "Lock Q2 2023/24"],
    ),
    "reopen": Action(
        user="administrator",
        url=lambda ctx: reverse("monitoring:reopen", args=[YEAR, "Q2"]),
        one_click=lambda ctx: {"reason": "Scheme 7's Q2 actual was keyed wrongly."},
        done=lambda ctx: not MonitoringQuarter.objects.get().is_locked,
        page_says=["Reopen Q2 2023/24?", "can be changed again", "Locked by"],
    ),
}
NEEDS = {
    "submit plan": ["plan"],
    "submit update": ["live_plan", "draft_update"],
    "approve": ["live_plan", "submitted_update"],
    "return": ["live_plan", "submitted_update"],
    "lock": [],
    "reopen": ["finance"],
}


@pytest.fixture(params=list(ACTIONS))
def action(request, client):
    name = request.param
    ctx = {fixture: request.getfixturevalue(fixture) for fixture in NEEDS[name]}
    if name == "reopen":
        _locked(ctx["finance"])
    user = request.getfixturevalue(ACTIONS[name].user)
    client.force_login(user)
    return name, ACTIONS[name], ctx, user


def test_a_one_click_post_changes_nothing_and_shows_the_confirmation(client, action):
    name, act, ctx, user = action
    before = state()

    response = client.post(act.url(ctx), act.one_click(ctx))

    form = confirmation_form(response)
    assert state() == before, f"{name}: an unconfirmed post changed something"
    assert not act.done(ctx)
    for text in act.page_says:
        assert text in html.unescape(form.html), f"{name}: the page says {text!r}"
    assert user.get_full_name() in form.html  # who is about to do it


def test_confirming_on_the_page_does_it(client, action):
    name, act, ctx, _user = action
    form = confirmation_form(client.post(act.url(ctx), act.one_click(ctx)))

    response = client.post(form.action, form.data)

    assert response.status_code == 302, name
    assert act.done(ctx), f"{name}: confirmed but not done"


def test_the_version_is_carried_through_the_confirmation(client, action):
    name, act, ctx, _user = action
    form = confirmation_form(client.post(act.url(ctx), act.one_click(ctx)))
    if name in ("lock", "reopen"):
        assert "version" not in form.data  # a quarter has no version: locking twice is refused
        return
    record = ctx.get("plan") or ctx.get("draft_update") or ctx.get("submitted_update")
    assert form.data["version"] == str(record.version)


@pytest.mark.parametrize("name", ["submit plan", "submit update", "approve", "return"])
def test_a_confirmed_post_without_the_version_is_refused(client, request, name):
    act = ACTIONS[name]
    ctx = {fixture: request.getfixturevalue(fixture) for fixture in NEEDS[name]}
    client.force_login(request.getfixturevalue(act.user))
    form = confirmation_form(client.post(act.url(ctx), act.one_click(ctx)))
    del form.data["version"]
    before = state()

    response = client.post(form.action, form.data)

    assert response.status_code == 400
    assert state() == before


def test_the_confirmation_page_is_a_get_too(client, action):
    """The buttons that start submit and lock are links: the page works from a GET."""
    name, act, ctx, _user = action
    if name in ("approve", "return"):
        return  # chosen on the review form, which posts
    before = state()
    form = confirmation_form(client.get(act.url(ctx)))
    assert state() == before
    # The reopening's reason is typed on the page; everything else is carried by it.
    assert (
        client.post(
            form.action, {**form.data, **act.one_click(ctx), "version": form.data.get("version", "")}
        ).status_code
        == 302
    )
    assert act.done(ctx)


# Someone else's save between the confirmation page and the confirmation ----------------------


def test_plan_changed_after_the_confirmation_page_is_not_submitted(client, manager, plan):
    client.force_login(manager)
    form = confirmation_form(client.get(reverse("plans:submit", args=[plan.pk])))
    colleague_version = plan.version
    plan_services.plan_update(
        plan=plan, user=manager, fields={"context": "Rewritten by a colleague."}, expected_version=colleague_version
    )

    response = client.post(form.action, form.data)

    # The plan as it is now, with the change, not submitted (409).
    assert response.status_code == 409
    assert DeficitRecoveryPlan.objects.get(pk=plan.pk).is_draft
    assert "Rewritten by a colleague." in html.unescape(response.content.decode())
    again = confirmation_form(client.get(reverse("plans:submit", args=[plan.pk])))
    assert again.data["version"] == str(plan.version + 1)
    assert client.post(again.action, again.data).status_code == 302
    assert DeficitRecoveryPlan.objects.get(pk=plan.pk).status == "submitted"


def test_update_changed_after_the_confirmation_page_is_not_submitted(client, manager, live_plan, draft_update):
    client.force_login(manager)
    url = reverse("monitoring:plan_update_submit", args=[live_plan.pk, Quarter.Q2])
    form = confirmation_form(client.get(url))
    services.plan_update_save(
        plan=live_plan,
        quarter=Quarter.Q2,
        user=manager,
        fields={"on_target": "no", "alternative_proposal": "Realign the agency budget."},
        expected_version=draft_update.version,
    )

    response = client.post(form.action, form.data, follow=True)

    assert PlanUpdate.objects.get(pk=draft_update.pk).status == "draft"
    assert "so nothing was done" in response.content.decode()
    again = confirmation_form(response)
    assert "Realign the agency budget." in again.html  # the page shows what will be submitted now


def test_update_changed_after_the_approval_page_is_not_approved(client, finance, live_plan, submitted_update):
    colleague = UserFactory(role=Role.FINANCE_OFFICER, first_name="Ola", last_name="Nowak")
    client.force_login(finance)
    form = confirmation_form(
        client.post(review_url(live_plan), {"decision": "approve", "version": str(submitted_update.version)})
    )
    services.plan_update_set_rag(update=submitted_update, user=colleague, rag=RAG.GREEN)

    response = client.post(form.action, form.data)

    assert response.status_code == 409
    update = PlanUpdate.objects.get(pk=submitted_update.pk)
    assert (update.status, update.rag) == ("submitted", "GREEN")
    assert "Ola Nowak saved this" in html.unescape(response.content.decode())


# A review that would be refused is refused before any confirmation -----------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"decision": "return", "comments": "  "}, "Say what needs to change before the update is returned."),
        ({"decision": "approve", "rag": "RED"}, "worsens the status or skips a level"),
        ({"decision": "nonsense"}, "Choose whether to approve the update or return it."),
    ],
)
def test_a_review_that_would_be_refused_shows_no_confirmation(
    client, finance, live_plan, submitted_update, data, message
):
    PlanUpdateFactory(plan=live_plan, quarter=Quarter.Q1, status="approved", on_target="yes", rag="GREEN")
    client.force_login(finance)
    before = state()
    response = client.post(review_url(live_plan), {"version": "1", **data}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("monitoring:plan_update", args=[live_plan.pk, Quarter.Q2])
    assert message in html.unescape(response.content.decode())
    assert state() == before


def test_changing_the_rag_only_needs_no_confirmation(client, finance, live_plan, submitted_update):
    # Finance can change it again: not an action its author cannot undo.
    client.force_login(finance)
    response = client.post(review_url(live_plan), {"decision": "set_rag", "rag": "GREEN", "version": "1"})
    assert response.status_code == 302
    assert PlanUpdate.objects.get(pk=submitted_update.pk).rag == "GREEN"


def test_lock_page_lists_what_is_still_open(client, finance, live_plan, submitted_update):
    client.force_login(finance)
    content = client.get(reverse("monitoring:lock", args=[YEAR, "Q2"])).content.decode()
    assert "1 of 1 submitted plan filed for Q2; 1 awaits review" in content
    assert "1 update not yet reviewed: once locked it can be neither approved nor returned." in content


# The locked banner ---------------------------------------------------------------------------


def _banner_pages(plan) -> list[str]:
    return [
        reverse("monitoring:quarters"),
        reverse("monitoring:grid", args=[YEAR, "Q2"]),
        reverse("monitoring:plan_updates", args=[YEAR, "Q2"]),
        reverse("monitoring:plan_update", args=[plan.pk, Quarter.Q2]),
    ]


@pytest.mark.parametrize(
    ("first_name", "last_name", "username", "shown"),
    [
        ("Priya", "Shah", "pshah", "Priya Shah"),
        ("Seán", "O’Brien", "sobrien", "Seán O’Brien"),
        ("", "", "finance2", "finance2"),  # no name given: the username
    ],
)
def test_locked_banner_names_who_locked_the_quarter_and_when(
    client, finance, live_plan, submitted_update, first_name, last_name, username, shown
):
    locker = UserFactory(role=Role.FINANCE_OFFICER, username=username, first_name=first_name, last_name=last_name)
    services.quarter_lock(period=PLAN_PERIOD, user=locker)
    at = timezone.localtime(MonitoringQuarter.objects.get().locked_at)
    expected = f"Locked by {shown} on {dateformat.format(at, 'j M Y')} at {dateformat.format(at, 'H:i')}"
    client.force_login(finance)
    for url in _banner_pages(live_plan):
        content = html.unescape(client.get(url).content.decode())
        assert expected in content, url
    client.force_login(UserFactory(role=Role.ADMINISTRATOR))
    assert expected in html.unescape(client.get(reverse("monitoring:reopen", args=[YEAR, "Q2"])).content.decode())


def test_no_banner_on_an_open_quarter(client, finance, live_plan, submitted_update):
    client.force_login(finance)
    for url in _banner_pages(live_plan):
        assert "Locked by" not in client.get(url).content.decode(), url


@pytest.mark.parametrize("confirm", [False, True])
@pytest.mark.parametrize("decision", ["approve", "return", "set_rag"])
def test_a_review_opened_before_a_change_records_nothing(
    client, finance, live_plan, submitted_update, decision, confirm
):
    """The review form (and its confirmation page) carries the version it was opened at: a
    change in between is a conflict showing the update as it is now, with the review as typed."""
    colleague = UserFactory(role=Role.FINANCE_OFFICER, first_name="Ola", last_name="Nowak")
    services.plan_update_set_rag(update=submitted_update, user=colleague, rag=RAG.AMBER)
    client.force_login(finance)
    before = state()
    data = {"decision": decision, "rag": "AMBER", "comments": "Which posts?", "version": "1"}
    if confirm:
        data["confirm"] = "1"
    response = client.post(review_url(live_plan), data)
    assert response.status_code == 409
    content = html.unescape(response.content.decode())
    assert "Ola Nowak saved this" in content
    assert "Which posts?" in content  # the review as typed, not yet recorded
    assert state() == before
