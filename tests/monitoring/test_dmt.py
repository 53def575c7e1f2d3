"""DMT's decision on a RED update's alternative proposal (issue 19, item 3): an executive records
accepted / rejected / more information needed with comments; the manager sees it on My tasks, on
the plan and the update; it is in the exception report and the committee pack; every decision is
kept in the history."""

from __future__ import annotations

import html

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from monitoring import selectors, services
from monitoring.models import DmtDecision, PlanUpdate
from plans.roles import Role
from recovery.concurrency import ConcurrentEdit
from recovery.periods import Quarter
from recovery.rag import RAG
from recovery.reporting import selectors as report_selectors
from recovery.reporting.exception_report import AWAITING_DMT
from recovery.reporting.pack import pack_reports
from recovery.worklist import selectors as worklist
from tests.factories import PlanUpdateFactory, UserFactory
from tests.monitoring.conftest import PLAN_PERIOD

pytestmark = pytest.mark.django_db

PROPOSAL = "Realign £50k from the agency budget to two permanent posts."


@pytest.fixture
def red(live_plan, manager):
    """A submitted RED ("No") Q2 update with an alternative proposal."""
    return PlanUpdateFactory(
        plan=live_plan,
        quarter=Quarter.Q2,
        status="submitted",
        on_target="no",
        alternative_proposal=PROPOSAL,
        submitted_by=manager,
    )


def decide(update, user, decision, comments="", version=None):
    return services.plan_update_dmt_decide(
        update=update, user=user, decision=decision, comments=comments, expected_version=version
    )


# The service -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("decision", "comments"),
    [
        (DmtDecision.ACCEPTED, ""),
        (DmtDecision.ACCEPTED, "Agreed for this year only."),
        (DmtDecision.REJECTED, "The agency budget is committed to Q4."),
        (DmtDecision.MORE_INFORMATION, "Which posts, and from when?"),
    ],
)
def test_an_executive_records_the_decision(red, executive, decision, comments):
    version = red.version
    update = decide(red, executive, decision, f"  {comments}  ", version=version)
    update.refresh_from_db()
    assert (update.dmt_decision, update.dmt_comments, update.dmt_decided_by) == (decision.value, comments, executive)
    assert update.dmt_decided_at is not None
    assert update.version == version + 1
    latest = update.history.latest()
    assert (latest.history_user, latest.dmt_decision) == (executive, decision.value)
    # The manager's and finance's side of the update is untouched.
    assert (update.status, update.rag, update.alternative_proposal) == ("submitted", "", PROPOSAL)


@pytest.mark.parametrize("decision", [DmtDecision.REJECTED, DmtDecision.MORE_INFORMATION])
@pytest.mark.parametrize("comments", ["", "   ", "\n"])
def test_rejecting_or_asking_for_more_needs_comments(red, executive, decision, comments):
    with pytest.raises(ValidationError) as refused:
        decide(red, executive, decision, comments)
    assert "dmt_comments" in refused.value.message_dict
    red.refresh_from_db()
    assert (red.dmt_decision, red.version) == ("", 1)


@pytest.mark.parametrize("who", ["manager", "finance", "administrator", "other_manager"])
def test_only_an_executive_decides(red, who, request):
    with pytest.raises(PermissionDenied):
        decide(red, request.getfixturevalue(who), DmtDecision.ACCEPTED)
    red.refresh_from_db()
    assert red.dmt_decision == ""


@pytest.mark.parametrize(
    ("changes", "goes_to_dmt"),
    [
        ({}, True),
        ({"status": "approved", "rag": "RED"}, True),
        ({"on_target": "partial", "rag": "RED"}, True),  # RED as finance set it
        ({"rag": "AMBER"}, False),  # finance rated the "No" AMBER: not RED
        ({"on_target": "partial"}, False),
        ({"on_target": "yes"}, False),
        ({"alternative_proposal": ""}, False),
        ({"alternative_proposal": "  \n "}, False),
        ({"status": "draft"}, False),  # drafts are private
        ({"status": "returned"}, False),  # being changed by its manager
    ],
)
def test_dmt_decides_on_a_published_red_update_with_a_proposal_only(red, executive, changes, goes_to_dmt):
    PlanUpdate.objects.filter(pk=red.pk).update(**changes)
    red.refresh_from_db()
    assert red.awaits_dmt_decision == goes_to_dmt
    assert PlanUpdate.objects.awaiting_dmt_decision().filter(pk=red.pk).exists() == goes_to_dmt
    if goes_to_dmt:
        decide(red, executive, DmtDecision.ACCEPTED)
    else:
        with pytest.raises(PermissionDenied):
            decide(red, executive, DmtDecision.ACCEPTED)


def test_a_later_decision_keeps_the_earlier_one_in_the_history(red, executive):
    colleague = UserFactory(role=Role.EXECUTIVE, first_name="Dana", last_name="Ives")
    decide(red, executive, DmtDecision.MORE_INFORMATION, "Which posts?")
    decide(red, colleague, DmtDecision.ACCEPTED, "Agreed after the posts were named.")
    records = selectors.dmt_decisions(red)
    assert [(r.decision, r.comments, r.by) for r in records] == [
        (DmtDecision.ACCEPTED, "Agreed after the posts were named.", "Dana Ives"),
        (DmtDecision.MORE_INFORMATION, "Which posts?", executive.get_full_name()),
    ]
    # Finance's later save of the update does not repeat a decision.
    services.plan_update_set_rag(update=red, user=UserFactory(role=Role.FINANCE_OFFICER), rag=RAG.RED)
    assert len(selectors.dmt_decisions(red)) == 2


def test_the_update_history_names_who_recorded_the_decision_in_words(red, executive):
    from recovery.history import history_of

    decide(red, executive, DmtDecision.ACCEPTED, "Agreed.")
    labels = {label for change in history_of(red) for label, _old, _new in change.changes}
    assert "DMT decision recorded by" in labels
    assert not any(label.islower() and label.startswith("dmt") for label in labels)


def test_recording_the_same_decision_again_changes_nothing(red, executive):
    decide(red, executive, DmtDecision.ACCEPTED, "Agreed.")
    red.refresh_from_db()
    before = (red.version, red.history.count())
    decide(red, executive, DmtDecision.ACCEPTED, "Agreed.")
    red.refresh_from_db()
    assert (red.version, red.history.count()) == before


def test_a_decision_on_a_form_opened_before_another_is_refused(red, executive):
    decide(red, UserFactory(role=Role.EXECUTIVE), DmtDecision.REJECTED, "No.", version=1)
    with pytest.raises(ConcurrentEdit):
        decide(red, executive, DmtDecision.ACCEPTED, version=1)
    red.refresh_from_db()
    assert red.dmt_decision == "rejected"


def test_dmt_can_decide_after_the_quarter_is_locked(red, executive, finance):
    # The lock freezes what managers and finance report, not DMT's response to it.
    services.quarter_lock(period=PLAN_PERIOD, user=finance)
    decide(red, executive, DmtDecision.ACCEPTED)
    red.refresh_from_db()
    assert red.dmt_decision == "accepted"


# The pages -----------------------------------------------------------------------------------


def dmt_url(plan, quarter=Quarter.Q2):
    return reverse("monitoring:plan_update_dmt", args=[plan.pk, quarter])


def test_the_decision_page_shows_the_proposal_and_records_the_decision(client, executive, live_plan, red):
    client.force_login(executive)
    page = client.get(dmt_url(live_plan))
    assert page.status_code == 200
    content = html.unescape(page.content.decode())
    assert PROPOSAL in content
    assert 'name="version" value="1"' in content

    response = client.post(
        dmt_url(live_plan), {"dmt_decision": "more_info", "dmt_comments": "Which posts?", "version": "1"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("monitoring:plan_update", args=[live_plan.pk, Quarter.Q2]) + "#dmt"
    red.refresh_from_db()
    assert (red.dmt_decision, red.dmt_comments) == ("more_info", "Which posts?")


def test_the_decision_page_shows_a_missing_comment_beside_the_field(client, executive, live_plan, red):
    client.force_login(executive)
    response = client.post(dmt_url(live_plan), {"dmt_decision": "rejected", "dmt_comments": "", "version": "1"})
    assert response.status_code == 400
    assert "Say why the proposal is rejected." in html.unescape(response.content.decode())
    assert response.context["form"].errors.keys() == {"dmt_comments"}


def test_a_stale_decision_form_is_a_conflict(client, executive, live_plan, red):
    decide(red, UserFactory(role=Role.EXECUTIVE, first_name="Dana", last_name="Ives"), DmtDecision.REJECTED, "No.")
    client.force_login(executive)
    response = client.post(dmt_url(live_plan), {"dmt_decision": "accepted", "dmt_comments": "", "version": "1"})
    assert response.status_code == 409
    assert "Dana Ives saved this" in html.unescape(response.content.decode())
    red.refresh_from_db()
    assert red.dmt_decision == "rejected"


def test_everyone_who_reads_the_update_sees_the_decision(client, executive, finance, manager, live_plan, red):
    decide(red, executive, DmtDecision.REJECTED, "The agency budget is committed to Q4.")
    update_page = reverse("monitoring:plan_update", args=[live_plan.pk, Quarter.Q2])
    for user in (manager, finance, executive):
        client.force_login(user)
        content = html.unescape(client.get(update_page).content.decode())
        assert "DMT's decision on the alternative proposal" in content
        assert "Rejected</span>" in content
        assert "The agency budget is committed to Q4." in content
        assert f"by {executive.get_full_name()} on" in content
        # Only the executive is offered the decision page.
        assert (dmt_url(live_plan) in content) == (user == executive)
        plan_page = html.unescape(client.get(live_plan.get_absolute_url()).content.decode())
        assert "Rejected</span>" in plan_page, user


def test_the_update_page_says_a_decision_is_awaited(client, executive, live_plan, red):
    client.force_login(executive)
    page = client.get(reverse("monitoring:plan_update", args=[live_plan.pk, Quarter.Q2]))
    content = html.unescape(page.content.decode())
    assert "Awaiting DMT's decision." in content
    assert "Record DMT's decision" in content
    assert "Awaiting DMT's decision" in html.unescape(client.get(live_plan.get_absolute_url()).content.decode())


# My tasks ------------------------------------------------------------------------------------


def test_my_tasks_executive_until_decided_and_manager_once_decided(executive, manager, live_plan, red):
    def texts(user, key):
        group = next(g for g in worklist.tasks_for(user=user).groups if g.key == key)
        return [(item.text, item.url, item.detail) for item in group.items]

    assert [url for _, url, _ in texts(executive, "executive:dmt")] == [dmt_url(live_plan)]
    assert texts(manager, "manager:dmt") == []

    decide(red, executive, DmtDecision.MORE_INFORMATION, "Which posts, and from when?")

    assert texts(executive, "executive:dmt") == []
    [(text, url, detail)] = texts(manager, "manager:dmt")
    assert "more information needed by DMT" in text
    assert url == reverse("monitoring:plan_update", args=[live_plan.pk, Quarter.Q2]) + "#dmt"
    assert detail == "Which posts, and from when?"


# The exception report and the committee pack -----------------------------------------------


def dmt_rows(report):
    section = next(s for s in report.sections if s.key == "dmt")
    return [
        (row.values["plan"], row.values["proposal"], row.values["decision"], row.values["comments"])
        for row in section.rows
    ]


def test_the_exception_report_lists_proposals_and_decisions(executive, live_plan, red, other_live_plan):
    # Not listed: an AMBER update, a draft RED one (private), a RED one without a proposal.
    PlanUpdateFactory(plan=other_live_plan, quarter=Quarter.Q2, status="submitted", on_target="partial")
    PlanUpdateFactory(plan=live_plan, quarter=Quarter.Q3, status="draft", on_target="no", alternative_proposal="x")
    label = f"{live_plan.service_area.name} 2023/24"
    assert dmt_rows(report_selectors.exceptions_report(period=PLAN_PERIOD)) == [(label, PROPOSAL, AWAITING_DMT, "")]

    decide(red, executive, DmtDecision.ACCEPTED, "Agreed for this year.")

    report = report_selectors.exceptions_report(period=PLAN_PERIOD, only="dmt")
    assert [section.key for section in report.sections] == ["dmt"]
    assert dmt_rows(report) == [(label, PROPOSAL, "Accepted", "Agreed for this year.")]
    assert report.sections[0].rows[0].values["decided"].startswith(executive.get_full_name())
    # The committee pack's exception report carries it too.
    pack_exceptions = pack_reports(PLAN_PERIOD)[2]
    assert dmt_rows(pack_exceptions) == [(label, PROPOSAL, "Accepted", "Agreed for this year.")]


def test_a_decision_stays_listed_when_finance_later_rates_the_plan_amber(executive, finance, live_plan, red):
    decide(red, executive, DmtDecision.ACCEPTED)
    services.plan_update_set_rag(update=red, user=finance, rag=RAG.AMBER, reason="Posts filled.")
    assert [row[2] for row in dmt_rows(report_selectors.exceptions_report(period=PLAN_PERIOD))] == ["Accepted"]


def test_the_exceptions_page_has_the_dmt_view(client, executive, live_plan, red):
    client.force_login(executive)
    url = reverse("reporting:exceptions", args=[PLAN_PERIOD.year, PLAN_PERIOD.quarter])
    content = html.unescape(client.get(url, {"only": "dmt"}).content.decode())
    assert "Alternative proposals and DMT's decisions" in content
    assert PROPOSAL in content
    assert AWAITING_DMT in content


@pytest.mark.parametrize(
    ("decision", "comments"),
    [
        (DmtDecision.ACCEPTED, ""),
        (DmtDecision.REJECTED, "No budget to move."),
        (DmtDecision.MORE_INFORMATION, "Costs?"),
    ],
)
def test_the_plan_report_shows_dmt_decision_in_every_format(executive, live_plan, red, decision, comments):
    from io import BytesIO

    from docx import Document

    from recovery.reporting import renderers
    from recovery.reporting.word import render_docx

    before = report_selectors.plan_report(plan=live_plan)
    assert "DMT's decision on the proposal" not in renderers.render_html(before).decode()
    decide(red, executive, decision, comments, version=red.version)
    report = report_selectors.plan_report(plan=live_plan)
    name = executive.get_full_name() or executive.get_username()
    html_text = html.unescape(renderers.render_html(report).decode())
    assert "DMT's decision on the proposal" in html_text
    assert f"{decision.label} ({name} on " in html_text
    if comments:
        assert f"): {comments}" in html_text
    assert f"{decision.label} ({name}" in renderers.render_json(report).decode()
    document = Document(BytesIO(render_docx(report)))
    cells = " ".join(cell.text for table in document.tables for row in table.rows for cell in row.cells)
    paragraphs = " ".join(p.text for p in document.paragraphs)
    assert f"{decision.label} ({name}" in cells + paragraphs
