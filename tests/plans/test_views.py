"""Plan pages through HTTP: who may do what, the plan form, attachments and query counts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from plans import services
from plans import urls as plan_urls
from plans.models import Attachment, DeficitRecoveryPlan, Milestone
from plans.roles import Role
from recovery.periods import FinancialYear
from tests.factories import MilestoneFactory, PlanFactory, ServiceAreaFactory, UserFactory

pytestmark = pytest.mark.django_db

PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 32
LOGIN_URL = "/accounts/login/"


def attach_png(plan, user, name="chart.png"):
    return services.attachment_add(plan=plan, user=user, upload=SimpleUploadedFile(name, PNG_BYTES))


# The permission matrix. For each URL name: the method, and the status each kind of user gets.
# "own" is a service manager on their own draft plan; "others" the same manager on another
# manager's plan; "submitted" the manager on their own plan once submitted. Drafts are private:
# finance, executives and administrators act on the draft plan (and get 404, as for a plan that
# does not exist) and, as "…_filed", on the same plan once submitted.
REDIRECT = 302
READERS = ("finance", "executive", "administrator")
MATRIX: dict[str, tuple[str, dict[str, int]]] = {
    "list": (
        "get",
        {
            "anonymous": REDIRECT,
            "own": 200,
            "others": 200,
            "submitted": 200,
            "finance": 200,
            "executive": 200,
            "administrator": 200,
            "finance_filed": 200,
            "executive_filed": 200,
            "administrator_filed": 200,
        },
    ),
    "create": (
        "get",
        {
            "anonymous": REDIRECT,
            "own": 200,
            "others": 200,
            "submitted": 200,
            "finance": 403,
            "executive": 403,
            "administrator": 403,
            "finance_filed": 403,
            "executive_filed": 403,
            "administrator_filed": 403,
        },
    ),
    "detail": (
        "get",
        {
            "anonymous": REDIRECT,
            "own": 200,
            "others": 404,
            "submitted": 200,
            "finance": 404,
            "executive": 404,
            "administrator": 404,
            "finance_filed": 200,
            "executive_filed": 200,
            "administrator_filed": 200,
        },
    ),
    "edit": (
        "get",
        {
            "anonymous": REDIRECT,
            "own": 200,
            "others": 404,
            "submitted": 403,
            "finance": 404,
            "executive": 404,
            "administrator": 404,
            "finance_filed": 403,
            "executive_filed": 403,
            "administrator_filed": 403,
        },
    ),
    # Without "confirm" a POST shows the confirmation page and changes nothing (the confirmed
    # submission: test_confirmed_submit_is_refused_to_everyone_else).
    "submit": (
        "post",
        {
            "anonymous": REDIRECT,
            "own": 200,
            "others": 404,
            "submitted": 403,
            "finance": 404,
            "executive": 404,
            "administrator": 404,
            "finance_filed": 403,
            "executive_filed": 403,
            "administrator_filed": 403,
        },
    ),
    "attachment_upload": (
        "post",
        {
            "anonymous": REDIRECT,
            "own": REDIRECT,
            "others": 404,
            "submitted": 403,
            "finance": 404,
            "executive": 404,
            "administrator": 404,
            "finance_filed": 403,
            "executive_filed": 403,
            "administrator_filed": 403,
        },
    ),
    "attachment_download": (
        "get",
        {
            "anonymous": REDIRECT,
            "own": 200,
            "others": 404,
            "submitted": 200,
            "finance": 404,
            "executive": 404,
            "administrator": 404,
            "finance_filed": 200,
            "executive_filed": 200,
            "administrator_filed": 200,
        },
    ),
    "attachment_delete": (
        "post",
        {
            "anonymous": REDIRECT,
            "own": REDIRECT,
            "others": 404,
            "submitted": 403,
            "finance": 404,
            "executive": 404,
            "administrator": 404,
            "finance_filed": 403,
            "executive_filed": 403,
            "administrator_filed": 403,
        },
    ),
}
WHO = ["anonymous", "own", "others", "submitted", *READERS, *(f"{reader}_filed" for reader in READERS)]


def test_every_plan_url_is_in_the_permission_matrix():
    names = {pattern.name for pattern in plan_urls.urlpatterns}
    assert names == set(MATRIX), "add the new URL to MATRIX with the status each user should get"


@pytest.fixture
def setting(request, client, manager, plan, other_plan, other_manager):
    """For a kind of user: the logged-in client, the plan they act on and its attachment."""
    attach_png(plan, manager)
    attach_png(other_plan, other_manager)
    who = request.param
    target = other_plan if who == "others" else plan
    if who == "submitted" or who.endswith("_filed"):
        services.plan_submit(plan=plan, user=manager)
    user = {"anonymous": None, "own": manager, "others": manager, "submitted": manager}.get(who)
    if who.removesuffix("_filed") in READERS:
        user = request.getfixturevalue(who.removesuffix("_filed"))
    if user is not None:
        client.force_login(user)
    return client, target


@pytest.mark.parametrize("setting", WHO, indirect=True)
@pytest.mark.parametrize("name", list(MATRIX))
def test_permission_matrix(setting, name, request):
    client, target = setting
    who = request.node.callspec.params["setting"]
    method, expected = MATRIX[name]
    pattern = next(p for p in plan_urls.urlpatterns if p.name == name)
    kwargs = {"pk": target.pk, "attachment_pk": target.attachments.get().pk}
    url = reverse(f"plans:{name}", kwargs={key: kwargs[key] for key in pattern.pattern.converters})
    data: dict[str, object] = {}
    if name == "attachment_upload":
        data["file"] = SimpleUploadedFile("upload.png", PNG_BYTES)
    if name == "submit":
        data["version"] = DeficitRecoveryPlan.objects.get(pk=target.pk).version
    before = (target.attachments.count(), DeficitRecoveryPlan.objects.get(pk=target.pk).status)

    response = getattr(client, method)(url, data) if method == "post" else client.get(url)

    assert response.status_code == expected[who], f"{who} {method.upper()} {name}"
    if who == "anonymous":
        assert response["Location"].startswith(f"{LOGIN_URL}?next=")
    if response.status_code != REDIRECT or who == "anonymous":
        # Refused (or only reading): nothing changed.
        assert (target.attachments.count(), DeficitRecoveryPlan.objects.get(pk=target.pk).status) == before


def test_submit_by_its_manager_submits_the_plan(client, manager, plan):
    client.force_login(manager)
    response = client.post(reverse("plans:submit", args=[plan.pk]), {"confirm": "1", "version": str(plan.version)})
    assert response.status_code == 302
    assert response["Location"] == plan.get_absolute_url()
    plan.refresh_from_db()
    assert plan.status == DeficitRecoveryPlan.Status.SUBMITTED
    assert plan.submitted_by == manager


def test_submit_with_missing_figures_goes_back_to_the_form(client, manager, plan):
    plan.previous_year_budget = None
    plan.save()
    client.force_login(manager)
    # The confirmation page is not offered for a plan that cannot be submitted, nor is a
    # confirmed submission recorded.
    page = client.get(reverse("plans:submit", args=[plan.pk]), follow=True)
    assert page.redirect_chain[-1][0] == reverse("plans:edit", args=[plan.pk])
    assert "Give last year&#x27;s budget before submitting." in page.content.decode()
    data = {"confirm": "1", "version": str(plan.version)}
    response = client.post(reverse("plans:submit", args=[plan.pk]), data, follow=True)
    assert response.redirect_chain[-1][0] == reverse("plans:edit", args=[plan.pk])
    assert "Give last year&#x27;s budget before submitting." in response.content.decode()
    plan.refresh_from_db()
    assert plan.is_draft


def test_a_superuser_administrator_cannot_edit_a_submitted_plan(client, manager, plan):
    # load_demo's "admin" is a superuser; a submitted plan is read-only to everybody.
    services.plan_submit(plan=plan, user=manager)
    admin = UserFactory(username="superadmin", is_superuser=True, is_staff=True, role=Role.ADMINISTRATOR)
    client.force_login(admin)
    assert client.get(reverse("plans:edit", args=[plan.pk])).status_code == 403
    response = client.post(reverse("plans:edit", args=[plan.pk]), {**plan_form_data(), "save": "1"})
    assert response.status_code == 403
    plan.refresh_from_db()
    assert plan.context == PlanFactory.context


def test_detail_shows_the_seed_000_figures(client, finance, manager, plan):
    MilestoneFactory(plan=plan, amount=Decimal("80000"), due_text="2023/2024")
    services.plan_submit(plan=plan, user=manager)
    client.force_login(finance)
    content = client.get(reverse("plans:detail", args=[plan.pk])).content.decode()
    assert '<span class="font-monospace figure">-2</span>' in content
    assert '<span class="font-monospace figure">397</span>' in content
    assert '<span class="font-monospace figure">399</span>' in content
    assert "£80,000" in content
    assert "Edit plan" not in content


def test_detail_page_survives_a_table_of_only_separator_rows(client, manager, plan):
    plan.context = "Before\n|---|---|\nAfter"
    plan.save()
    client.force_login(manager)
    response = client.get(reverse("plans:detail", args=[plan.pk]))
    assert response.status_code == 200
    assert "<p>After</p>" in response.content.decode()


def test_login_page_logs_a_user_in(client, db):
    UserFactory(username="sam", password="a-long-test-password-1", role=Role.SERVICE_MANAGER)
    response = client.post(LOGIN_URL, {"username": "sam", "password": "a-long-test-password-1"})
    assert response.status_code == 302
    assert client.get(reverse("plans:list")).status_code == 200


def test_login_page_refuses_a_wrong_password(client, db):
    UserFactory(username="sam", password="a-long-test-password-1")
    response = client.post(LOGIN_URL, {"username": "sam", "password": "wrong"})
    assert response.status_code == 200
    assert client.get(reverse("plans:list")).status_code == 302


# The plan form


def plan_form_data(**overrides) -> dict[str, str]:
    """What a browser posts for a plan like seed 000 (figures in £'000), with no milestones; on an
    edit page, a form opened on a plan not yet saved again (version 1)."""
    data = {
        "version": "1",
        "tracker_ref": "FRB/23/007",
        "service_director": "Dev Gopal",
        "service_manager": "Deb Fensome",
        "cost_centres": "FF4104",
        "previous_year_budget": "(2)",
        "previous_year_budget_note": "",
        "previous_year_outturn": "397",
        "previous_year_outturn_note": "",
        "current_year_budget": "0",
        "current_year_budget_note": "",
        "pressure_note": "",
        "deficit_since": "",
        "context": "Not enough resource to be able to continue with the review work.",
        "actions": "To increase the recharge from ASC to ASC Financial Assessments.",
        "milestones-TOTAL_FORMS": "0",
        "milestones-INITIAL_FORMS": "0",
        "milestones-MIN_NUM_FORMS": "0",
        "milestones-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def milestone_rows(*rows: dict[str, str], initial: int = 0) -> dict[str, str]:
    data = {"milestones-TOTAL_FORMS": str(len(rows)), "milestones-INITIAL_FORMS": str(initial)}
    for index, row in enumerate(rows):
        data.update({f"milestones-{index}-{key}": value for key, value in row.items()})
    return data


def as_browser_posts(response) -> dict[str, str]:
    """The form and milestone rows of a rendered page, as a browser would post them back."""
    data: dict[str, str] = {}
    forms = [response.context["form"], response.context["formset"].management_form, *response.context["formset"]]
    for form in forms:
        for field in form:
            value = field.value()
            if isinstance(value, bool):
                if value:
                    data[field.html_name] = "on"
                continue
            data[field.html_name] = "" if value is None else str(value)
    return data


@pytest.fixture
def create_data(service_area):
    return plan_form_data(service_area=str(service_area.pk), financial_year="2023/24")


@pytest.mark.parametrize("budget", ["(2)", "-2", "£-2", "-£2"])
def test_create_a_plan_like_seed_000(client, manager, service_area, create_data, budget):
    client.force_login(manager)
    data = {
        **create_data,
        "previous_year_budget": budget,
        **milestone_rows(
            {"details": "Obtain shortfall in resource cost from ASC", "amount": "80,000", "due_text": "2023/2024"}
        ),
        "save": "1",
    }
    response = client.post(reverse("plans:create"), data)
    plan = DeficitRecoveryPlan.objects.get()
    assert response.status_code == 302
    assert response["Location"] == plan.get_absolute_url()
    assert plan.service_area == service_area
    assert plan.financial_year == FinancialYear(2023)
    assert plan.previous_year_budget == Decimal("-2000")
    assert plan.previous_year_outturn == Decimal("397000")
    assert plan.current_year_budget == Decimal("0")
    assert plan.pressure == Decimal("399000")
    assert plan.tracker_ref == "FRB/23/007"
    assert plan.is_draft
    assert list(plan.managers.all()) == [manager]
    milestone = plan.milestones.get()
    assert milestone.amount == Decimal("80000")
    assert str(milestone.due_date) == "2024-03-31"


def test_create_reads_pounds_signs_and_thousands_separators(client, manager, create_data):
    client.force_login(manager)
    data = {
        **create_data,
        "previous_year_budget": "£18,473",
        "previous_year_outturn": "18,839",
        "current_year_budget": "£1,234",
        "save": "1",
    }
    assert client.post(reverse("plans:create"), data).status_code == 302
    plan = DeficitRecoveryPlan.objects.get()
    assert plan.previous_year_budget == Decimal("18473000")
    assert plan.current_year_budget == Decimal("1234000")
    assert plan.pressure == Decimal("366000")  # seed 001


def test_create_reads_amounts_as_pasted_from_word_and_pdfs(client, manager, create_data):
    """No-break and thin spaces between thousands, the Unicode minus and an en dash as minus."""
    client.force_login(manager)
    data = {
        **create_data,
        "previous_year_budget": "\u22122",
        "previous_year_outturn": "18\u202f839",
        "current_year_budget": "\u20131\u00a0234",
        "save": "1",
    }
    assert client.post(reverse("plans:create"), data).status_code == 302
    plan = DeficitRecoveryPlan.objects.get()
    assert plan.previous_year_budget == Decimal("-2000")
    assert plan.previous_year_outturn == Decimal("18839000")
    assert plan.current_year_budget == Decimal("-1234000")


def test_an_unbalanced_bracket_is_refused_saying_why(client, manager, create_data):
    client.force_login(manager)
    response = client.post(reverse("plans:create"), {**create_data, "previous_year_budget": "(529", "save": "1"})
    assert response.status_code == 400
    assert "has an opening bracket but no closing one" in response.content.decode()
    assert not DeficitRecoveryPlan.objects.exists()


def test_create_in_an_area_the_manager_is_not_assigned_to(client, manager, create_data, other_area):
    client.force_login(manager)
    response = client.post(reverse("plans:create"), {**create_data, "service_area": str(other_area.pk), "save": "1"})
    assert response.status_code == 400
    assert not DeficitRecoveryPlan.objects.exists()


def test_create_page_offers_only_the_managers_areas(client, manager, service_area, other_area):
    client.force_login(manager)
    form = client.get(reverse("plans:create")).context["form"]
    assert list(form.fields["service_area"].queryset) == [service_area]


def test_add_milestone_button_adds_a_row_and_keeps_what_was_typed(client, manager, create_data):
    client.force_login(manager)
    data = {
        **create_data,
        "context": "Typed context, not yet saved",
        **milestone_rows(
            {"details": "Recruitment of 2 IRO’s", "amount": "£37,699.68", "per_year": "on", "due_text": "December 23"}
        ),
        "add_milestone": "1",
    }
    response = client.post(reverse("plans:create"), data)
    assert response.status_code == 200
    formset = response.context["formset"]
    assert formset.total_form_count() == 2
    content = response.content.decode()
    assert 'name="milestones-1-details"' in content
    assert "Recruitment of 2 IRO’s" in content
    assert 'value="£37,699.68"' in content
    assert 'value="December 23"' in content
    assert "Typed context, not yet saved" in content
    assert 'class="alert alert-danger error-summary"' not in content
    assert not DeficitRecoveryPlan.objects.exists()


def test_remove_a_milestone_with_the_delete_checkbox(client, manager, plan):
    keep = MilestoneFactory(plan=plan, order=1, details="Keep", amount=Decimal("18849.84"))
    remove = MilestoneFactory(plan=plan, order=2, details="Remove", amount=Decimal("37699.68"))
    client.force_login(manager)
    data = {
        **plan_form_data(),
        **milestone_rows(
            {"id": str(keep.pk), "details": "Keep", "amount": "18,849.84", "due_text": "December 23"},
            {"id": str(remove.pk), "details": "Remove", "amount": "37,699.68", "DELETE": "on"},
            initial=2,
        ),
        "save": "1",
    }
    response = client.post(reverse("plans:edit", args=[plan.pk]), data)
    assert response.status_code == 302
    assert list(plan.milestones.values_list("pk", flat=True)) == [keep.pk]
    assert not Milestone.objects.filter(pk=remove.pk).exists()


def test_edit_page_saved_unchanged_changes_nothing(client, manager, plan):
    MilestoneFactory(
        plan=plan, order=1, details="Yearly saving", amount=Decimal("18849.84"), per_year=True, due_text="December 23"
    )
    client.force_login(manager)
    url = reverse("plans:edit", args=[plan.pk])
    before = DeficitRecoveryPlan.objects.filter(pk=plan.pk).values().get()
    milestones_before = list(plan.milestones.values())
    response = client.post(url, {**as_browser_posts(client.get(url)), "save": "1"})
    assert response.status_code == 302
    after = DeficitRecoveryPlan.objects.filter(pk=plan.pk).values().get()
    assert {key: value for key, value in after.items() if key != "updated_at"} == {
        key: value for key, value in before.items() if key != "updated_at"
    }
    assert list(plan.milestones.values()) == milestones_before


def test_edit_page_saved_unchanged_keeps_a_figure_with_pence(client, manager, plan):
    # Amounts are stored in pounds and pence: the £'000 box must show back what it stores,
    # or saving the page for any other reason changes the figure.
    plan.previous_year_outturn = Decimal("397000.50")
    plan.save()
    client.force_login(manager)
    url = reverse("plans:edit", args=[plan.pk])
    response = client.post(url, {**as_browser_posts(client.get(url)), "save": "1"})
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.previous_year_outturn == Decimal("397000.50")


def test_edit_page_keeps_an_early_deficit_since_year_selected(client, manager, plan):
    # The year select offers 2010/11 onwards; a plan in deficit since 2005/06 must still show
    # (and so post back) its year, or saving the page for any other reason blanks it.
    plan.deficit_since = FinancialYear(2005)
    plan.save()
    client.force_login(manager)
    content = client.get(reverse("plans:edit", args=[plan.pk])).content.decode()
    assert '<option value="2005/06" selected>' in content


def test_edit_page_selects_the_deficit_since_year(client, manager, plan):
    plan.deficit_since = FinancialYear(2019)  # seed 003: "since at least 2019/20"
    plan.save()
    client.force_login(manager)
    content = client.get(reverse("plans:edit", args=[plan.pk])).content.decode()
    assert '<option value="2019/20" selected>' in content


def test_invalid_money_shows_an_error_summary_and_saves_nothing(client, manager, create_data):
    client.force_login(manager)
    response = client.post(reverse("plans:create"), {**create_data, "previous_year_budget": "1,23", "save": "1"})
    assert response.status_code == 400
    content = response.content.decode()
    assert 'class="alert alert-danger error-summary"' in content
    assert '<a href="#id_previous_year_budget">' in content
    assert "check the thousands separators" in content
    assert 'value="1,23"' in content  # what was typed is shown back
    assert not DeficitRecoveryPlan.objects.exists()


def test_invalid_milestone_amount_links_to_the_row(client, manager, create_data):
    client.force_login(manager)
    data = {**create_data, **milestone_rows({"details": "Notice to Audit Officer", "amount": "abc"}), "save": "1"}
    response = client.post(reverse("plans:create"), data)
    assert response.status_code == 400
    assert '<a href="#id_milestones-0-amount">Milestone 1, amount (£):' in response.content.decode()
    assert not DeficitRecoveryPlan.objects.exists()
    assert not Milestone.objects.exists()


def test_save_and_submit_with_missing_figures(client, manager, create_data):
    client.force_login(manager)
    data = {**create_data, "previous_year_budget": "", "current_year_budget": "", "context": "", "submit": "1"}
    response = client.post(reverse("plans:create"), data)
    assert response.status_code == 400
    content = response.content.decode()
    assert "Give last year&#x27;s budget before submitting." in content
    assert "Give this year&#x27;s budget before submitting." in content
    assert "Explain the context behind the pressure before submitting." in content
    assert '<a href="#id_previous_year_budget">' in content
    assert "Give last year&#x27;s outturn before submitting." not in content
    assert not DeficitRecoveryPlan.objects.exists()


def test_save_and_submit_with_missing_figures_on_edit_changes_nothing(client, manager, plan):
    client.force_login(manager)
    data = {**plan_form_data(context="Changed", actions=""), "submit": "1"}
    response = client.post(reverse("plans:edit", args=[plan.pk]), data)
    assert response.status_code == 400
    assert "Describe the actions to keep spend in line with budget before submitting." in response.content.decode()
    plan.refresh_from_db()
    assert plan.context == PlanFactory.context
    assert plan.is_draft


def test_save_as_draft_with_missing_figures_is_allowed(client, manager, create_data):
    client.force_login(manager)
    data = {**create_data, "previous_year_budget": "", "context": "", "save": "1"}
    assert client.post(reverse("plans:create"), data).status_code == 302
    plan = DeficitRecoveryPlan.objects.get()
    assert plan.previous_year_budget is None
    assert plan.is_draft


def test_save_and_submit_a_complete_plan(client, manager, create_data):
    client.force_login(manager)
    response = client.post(reverse("plans:create"), {**create_data, "submit": "1"}, follow=True)
    plan = DeficitRecoveryPlan.objects.get()
    # Saved as a draft, and the confirmation page is shown: nothing is submitted yet.
    assert response.redirect_chain == [(reverse("plans:submit", args=[plan.pk]), 302)]
    assert "It is not submitted yet" in response.content.decode()
    assert plan.is_draft
    response = client.post(
        reverse("plans:submit", args=[plan.pk]), {"confirm": "1", "version": str(plan.version)}, follow=True
    )
    assert response.redirect_chain == [(plan.get_absolute_url(), 302)]
    assert "The plan has been submitted" in response.content.decode()
    plan.refresh_from_db()
    assert plan.status == DeficitRecoveryPlan.Status.SUBMITTED
    assert plan.submitted_by == manager
    assert plan.submitted_at is not None


def test_edit_with_a_tracker_ref_already_taken(client, manager, plan):
    PlanFactory(tracker_ref="FRB/23/007")
    client.force_login(manager)
    response = client.post(reverse("plans:edit", args=[plan.pk]), {**plan_form_data(context="Changed"), "save": "1"})
    assert response.status_code == 400
    assert '<a href="#id_tracker_ref">' in response.content.decode()
    plan.refresh_from_db()
    assert plan.tracker_ref == ""
    assert plan.context == PlanFactory.context


def test_edit_with_another_plans_milestone_id_changes_nothing(client, manager, plan, other_plan):
    mine = MilestoneFactory(plan=plan, details="Mine", amount=Decimal("100"))
    theirs = MilestoneFactory(plan=other_plan, details="Theirs", amount=Decimal("37079.72"))
    client.force_login(manager)
    data = {
        **plan_form_data(context="Changed"),
        **milestone_rows(
            {"id": str(mine.pk), "details": "Mine", "amount": "100"},
            {"id": str(theirs.pk), "details": "Taken over", "amount": "1"},
            initial=1,
        ),
        "save": "1",
    }
    response = client.post(reverse("plans:edit", args=[plan.pk]), data)
    assert response.status_code == 400
    assert "A milestone does not belong to this plan." in response.content.decode()
    theirs.refresh_from_db()
    assert (theirs.plan_id, theirs.details, theirs.amount) == (other_plan.pk, "Theirs", Decimal("37079.72"))
    assert list(plan.milestones.all()) == [mine]
    plan.refresh_from_db()
    assert plan.context == PlanFactory.context


# Attachments


def test_upload_an_attachment(client, manager, plan):
    client.force_login(manager)
    response = client.post(
        reverse("plans:attachment_upload", args=[plan.pk]),
        {"file": SimpleUploadedFile("Q3 model.png", PNG_BYTES), "description": "Q3 placements model"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"{plan.get_absolute_url()}#attachments"
    attachment = plan.attachments.get()
    assert attachment.original_name == "Q3 model.png"


def test_upload_of_a_disallowed_file_shows_why(client, manager, plan):
    client.force_login(manager)
    response = client.post(
        reverse("plans:attachment_upload", args=[plan.pk]),
        {"file": SimpleUploadedFile("run-me.exe", b"MZ\x90\x00")},
        follow=True,
    )
    assert "is not a file type that can be attached" in response.content.decode()
    assert not Attachment.objects.exists()


def test_download_an_attachment(client, finance, manager, plan):
    attachment = attach_png(plan, manager, name="Q3 model.png")
    services.plan_submit(plan=plan, user=manager)
    client.force_login(finance)
    response = client.get(reverse("plans:attachment_download", args=[plan.pk, attachment.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG_BYTES
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    inline = client.get(reverse("plans:attachment_download", args=[plan.pk, attachment.pk]), {"inline": "1"})
    assert inline["Content-Disposition"].startswith("inline;")


def test_download_by_a_user_who_cannot_see_the_plan(client, manager, other_manager, other_plan):
    attachment = attach_png(other_plan, other_manager)
    client.force_login(manager)
    assert client.get(reverse("plans:attachment_download", args=[other_plan.pk, attachment.pk])).status_code == 404


def test_another_plans_attachment_under_this_plans_url(client, manager, other_manager, plan, other_plan):
    attachment = attach_png(other_plan, other_manager)
    client.force_login(manager)
    assert client.get(reverse("plans:attachment_download", args=[plan.pk, attachment.pk])).status_code == 404
    assert client.post(reverse("plans:attachment_delete", args=[plan.pk, attachment.pk])).status_code == 404
    assert Attachment.objects.filter(pk=attachment.pk).exists()


def test_delete_an_attachment(client, manager, plan):
    attachment = attach_png(plan, manager)
    client.force_login(manager)
    response = client.post(reverse("plans:attachment_delete", args=[plan.pk, attachment.pk]))
    assert response.status_code == 302
    assert not Attachment.objects.exists()


# The list page


def make_plans(count: int, manager) -> None:
    """Plans in service areas of their own directorates, all visible to ``manager``."""
    for _ in range(count):
        area = ServiceAreaFactory(managers=[manager])
        PlanFactory(service_area=area, managers=[manager], status=DeficitRecoveryPlan.Status.SUBMITTED)


@pytest.mark.parametrize("user_fixture", ["manager", "finance"])
def test_list_page_queries_do_not_grow_with_the_number_of_plans(
    request, client, django_assert_num_queries, user_fixture, manager
):
    client.force_login(request.getfixturevalue(user_fixture))
    url = reverse("plans:list")
    make_plans(3, manager)
    with CaptureQueriesContext(connection) as three:
        response = client.get(url)
    assert response.context["page"].paginator.count == 3
    make_plans(27, manager)
    with django_assert_num_queries(len(three)):
        response = client.get(url)
    assert response.context["page"].paginator.count == 30


def test_list_shows_a_manager_only_their_plans_by_default(client, manager, plan, other_plan):
    client.force_login(manager)
    response = client.get(reverse("plans:list"))
    assert list(response.context["page"]) == [plan]
    everything = client.get(reverse("plans:list"), {"scope": "all"})
    assert list(everything.context["page"]) == [plan]  # "all" is all they may see


def test_list_shows_finance_every_submitted_plan_with_its_pressure(client, finance, plan, other_plan):
    DeficitRecoveryPlan.objects.update(status=DeficitRecoveryPlan.Status.SUBMITTED)
    client.force_login(finance)
    response = client.get(reverse("plans:list"))
    assert set(response.context["page"]) == {plan, other_plan}
    assert '<td class="text-end font-monospace">399</td>' in response.content.decode()


def test_list_filters_by_financial_year(client, finance, plan):
    older = PlanFactory(financial_year=FinancialYear(2022))
    DeficitRecoveryPlan.objects.update(status=DeficitRecoveryPlan.Status.SUBMITTED)
    client.force_login(finance)
    assert list(client.get(reverse("plans:list"), {"financial_year": "2022/23"}).context["page"]) == [older]
    assert list(client.get(reverse("plans:list"), {"financial_year": "2023/24"}).context["page"]) == [plan]
