"""Text as offices paste it: control characters (Word's Shift+Enter is a vertical tab) and text
longer than its column. At input a vertical tab or form feed becomes a line break and other C0
control characters are removed (forms, import, any save); a text longer than its column is an
error naming the field or the row and column, on both databases; and exports never crash on
anything already stored, whatever it is."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from monitoring.imports import tracker_import, tracker_preview
from monitoring.models import PlanUpdate, Scheme, SchemeQuarter
from plans.models import DeficitRecoveryPlan, Directorate, Milestone, Portfolio, ServiceArea
from recovery.periods import FinancialYear, Period, Quarter
from recovery.reporting import renderers, selectors
from recovery.reporting.opendata import render_csv, render_schemes_csv
from recovery.text import clean_text, xml_safe
from tests.factories import MilestoneFactory, PlanUpdateFactory, SchemeFactory, SchemeQuarterFactory
from tests.monitoring.tracker_helpers import scheme, xlsx

BREAKS = "\x0b\x0c\x85\u2028\u2029"
CONTROLS = [chr(code) for code in [*range(0x20), 0x7F, *range(0x80, 0xA0)] if chr(code) not in "\t\n\r"]
INVISIBLE = ["\u200b", "\ufeff"]


# The rule ---------------------------------------------------------------------------------------


@given(st.text(st.one_of(st.characters(), st.sampled_from([*CONTROLS, *BREAKS, *INVISIBLE, "\u200d"]))))
def test_clean_text_leaves_no_control_character_but_tab_and_line_breaks(text):
    cleaned = clean_text(text)
    assert not any(character in cleaned for character in [*CONTROLS, *BREAKS, *INVISIBLE])
    assert clean_text(cleaned) == cleaned
    # Nothing else changes: the printable text, in order, with a line feed for each break.
    removed = set(CONTROLS + INVISIBLE) - set(BREAKS)
    expected = "".join("\n" if c in BREAKS else c for c in text if c not in removed)
    assert cleaned == expected


@pytest.mark.parametrize(
    ("text", "cleaned"),
    [
        ("a\x0bb", "a\nb"),
        ("a\x0cb", "a\nb"),
        ("a\x00\x01\x1fb", "ab"),
        ("a\x85b", "a\nb"),
        ("a\u2028b\u2029c", "a\nb\nc"),
        ("\ufeffCare\u200bhomes\x7f\x80\x9f", "Carehomes"),
        ("it\x92s", "its"),
        ("\U0001f468\u200d\U0001f469", "\U0001f468\u200d\U0001f469"),  # a zero-width joiner is kept
        ("Müller – £1,000 · ½", "Müller – £1,000 · ½"),
    ],
)
def test_clean_text_examples(text, cleaned):
    assert clean_text(text) == cleaned


# Forms -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_pasted_line_break_in_a_plan_is_stored_as_a_line_break(client, manager, plan):
    client.force_login(manager)
    data = {
        "version": "1",
        "tracker_ref": "",
        "service_director": "Dev\x07 Gopal",
        "service_manager": plan.service_manager,
        "cost_centres": plan.cost_centres,
        "context": "First line\x0bsecond line\x0cthird\x1b[31m",
        "actions": plan.actions,
        "previous_year_budget": "-2",
        "previous_year_outturn": "397",
        "current_year_budget": "0",
        "milestones-TOTAL_FORMS": "1",
        "milestones-INITIAL_FORMS": "0",
        "milestones-MIN_NUM_FORMS": "0",
        "milestones-MAX_NUM_FORMS": "50",
        "milestones-0-details": "Notice\x0bto Audit\x02",
        "milestones-0-due_text": "2023/24",
        "save": "1",
    }
    response = client.post(reverse("plans:edit", args=[plan.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    plan.refresh_from_db()
    assert plan.context == "First line\nsecond line\nthird[31m"
    assert plan.service_director == "Dev Gopal"
    assert plan.milestones.get().details == "Notice\nto Audit"


@pytest.mark.django_db
def test_a_pasted_line_break_in_a_schemes_commentary_is_stored_as_a_line_break(client, finance):
    figures = SchemeQuarterFactory(scheme=SchemeFactory(financial_year=FinancialYear(2023)), quarter=Quarter.Q2)
    client.force_login(finance)
    url = reverse("monitoring:scheme_row", args=[FinancialYear(2023), Quarter.Q2, figures.scheme.pk])
    response = client.post(
        url,
        {
            "version": "1",
            "ytd_budget": "50,000",
            "ytd_actual": "50,000",
            "projected_shortfall": "0",
            "rag": "GREEN",
            "commentary": "On track\x0bsee note\x00",
        },
    )
    assert response.status_code == 302
    figures.refresh_from_db()
    assert figures.commentary == "On track\nsee note"


@pytest.mark.django_db
def test_any_save_cleans_control_characters(manager, plan):
    """Whatever writes (a command, the admin, a service), nothing stored keeps a control character."""
    plan.context = "a\x0bb\x01c"
    plan.save()
    plan.refresh_from_db()
    assert plan.context == "a\nbc"


# Lengths -------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("column", "limit"),
    [("Ref", 30), ("Title", 500), ("Directorate", 200), ("Service area", 200)],
)
@pytest.mark.parametrize("excess", [1, 300])
def test_an_over_long_cell_is_an_error_at_preview_naming_row_and_column(column, limit, excess):
    long_text = "x" * (limit + excess)
    key = {"Ref": "ref", "Title": "title", "Directorate": "directorate", "Service area": "service_area"}[column]
    data = xlsx([scheme(ref="1", title="Fine"), scheme(**{key: long_text, "ref": "2" if key != "ref" else long_text})])
    summary = tracker_preview(source=data)
    assert [str(problem) for problem in summary.errors] == [
        f"row 3, column {column}: {column} is {limit + excess:,} characters long: at most {limit} fit. Shorten it."
    ]
    imported = tracker_import(source=data, user=None)
    assert not imported.committed
    assert not Scheme.objects.exists()


@pytest.mark.django_db
def test_an_over_long_portfolio_column_is_named():
    data = xlsx(
        [
            {
                "Financial year": "2023/24",
                "Directorate": "D",
                "Service area": "S",
                "Portfolio": "p" * 201,
                "Title": "T",
                "Target": 1,
            }
        ],
        header=["Financial year", "Directorate", "Service area", "Portfolio", "Title", "Target"],
    )
    summary = tracker_preview(source=data)
    assert [problem.column for problem in summary.errors] == ["Portfolio"]
    assert "201 characters long: at most 200 fit" in summary.errors[0].message


@pytest.mark.django_db
def test_an_over_long_value_is_refused_on_any_database_with_the_field_named(service_area):
    """The last line: a save that bypasses the forms is refused before the database sees it."""
    with pytest.raises(ValidationError) as caught:
        SchemeFactory(service_area=service_area, ref="r" * 31)
    assert caught.value.message_dict == {"ref": ["Scheme no. is 31 characters long: at most 30 fit."]}
    assert not Scheme.objects.exists()


@pytest.mark.django_db
def test_an_over_long_form_field_is_an_error_beside_the_field(client, manager, plan):
    client.force_login(manager)
    response = client.post(
        reverse("plans:edit", args=[plan.pk]),
        {
            "version": "1",
            "service_director": "d" * 201,
            "milestones-TOTAL_FORMS": "0",
            "milestones-INITIAL_FORMS": "0",
            "milestones-MIN_NUM_FORMS": "0",
            "milestones-MAX_NUM_FORMS": "50",
            "save": "1",
        },
    )
    assert response.status_code == 400
    assert "Ensure this value has at most 200 characters (it has 201)." in response.content.decode()


# Import --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_control_characters_in_a_tracker_are_cleaned_at_import():
    # Excel writes a control character in a cell as an escape (_x000B_), which openpyxl reads back.
    data = xlsx([scheme(title="Reduced_x000B_Agency Spend_x0001_")])
    summary = tracker_import(source=data, user=None)
    assert summary.committed
    assert Scheme.objects.get().title == "Reduced\nAgency Spend"


# Exports of anything already stored ---------------------------------------------------------------

PERIOD = Period(FinancialYear(2023), Quarter.Q2)
# Anything a database can hold (PostgreSQL holds no NUL character and no lone surrogate).
STORED_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)


@pytest.fixture
def stored(manager, plan):
    """A plan with a milestone and a Q2 update, and a scheme with Q2 figures, all in 2023/24."""
    plan.status = DeficitRecoveryPlan.Status.SUBMITTED
    plan.save()
    MilestoneFactory(plan=plan)
    PlanUpdateFactory(plan=plan, quarter=Quarter.Q2, status="submitted", rag="AMBER")
    figures = SchemeQuarterFactory(
        scheme=SchemeFactory(service_area=plan.service_area, financial_year=FinancialYear(2023)),
        quarter=Quarter.Q2,
        rag="RED",
        ytd_actual=Decimal("1000.00"),
    )
    return plan, figures


def _store(plan, figures, texts) -> None:
    """Write the texts straight into the database (as data stored before any cleaning was)."""
    area = plan.service_area
    ServiceArea.objects.filter(pk=area.pk).update(name=texts[0] or "a")
    Portfolio.objects.filter(pk=area.portfolio_id).update(name=texts[1] or "p")
    Directorate.objects.filter(pk=area.portfolio.directorate_id).update(name=texts[2] or "d")
    DeficitRecoveryPlan.objects.filter(pk=plan.pk).update(
        service_director=texts[3], cost_centres=texts[4], context=texts[5], actions=texts[6], pressure_note=texts[7]
    )
    Milestone.objects.filter(plan=plan).update(details=texts[8], due_text=texts[9][:100])
    PlanUpdate.objects.filter(plan=plan).update(narrative=texts[10], alternative_proposal=texts[11])
    Scheme.objects.filter(pk=figures.scheme_id).update(
        ref=texts[12][:30], title=texts[13], timeline=texts[14], challenges=texts[15]
    )
    SchemeQuarter.objects.filter(pk=figures.pk).update(commentary=texts[16], rag_reason=texts[17])


def _reports(plan):
    params = {"year": str(PERIOD.year), "quarter": int(PERIOD.quarter)}
    return [
        selectors.report_for("appendix", params),
        selectors.report_for("transformation", params),
        selectors.report_for("exceptions", params),
        selectors.report_for("plan", {"plan_id": plan.pk}),
    ]


def _check_xlsx(body: bytes) -> None:
    workbook = load_workbook(io.BytesIO(body))
    assert workbook.worksheets


@pytest.mark.django_db
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(STORED_TEXT, min_size=18, max_size=18))
def test_every_report_exports_in_every_data_format_whatever_is_stored(stored, texts):
    plan, figures = stored
    _store(plan, figures, texts)
    for report in _reports(plan):
        _check_xlsx(renderers.render_xlsx(report))
        json.loads(renderers.render_json(report))
        render_csv(report).decode("utf-8")
        renderers.render_html(report).decode("utf-8")
    render_schemes_csv(selectors.all_scheme_rows()).decode("utf-8")


@pytest.mark.django_db
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(STORED_TEXT, min_size=18, max_size=18))
def test_every_report_exports_as_pdf_whatever_is_stored(stored, texts):
    plan, figures = stored
    _store(plan, figures, texts)
    for report in _reports(plan):
        assert renderers.render_pdf(report).startswith(b"%PDF")


@pytest.mark.django_db
@pytest.mark.parametrize("control", ["\x0b", "\x0c", "\x01", "\x1f", "\ufffe"])
def test_a_control_character_already_stored_does_not_break_the_workbooks(client, finance, stored, control):
    """The issue's case: a narrative and a commentary with Word's Shift+Enter, stored before the
    fix: the plan's and the exceptions' XLSX download, and every text cell reads as cleaned."""
    plan, figures = stored
    DeficitRecoveryPlan.objects.filter(pk=plan.pk).update(context=f"one{control}two")
    SchemeQuarter.objects.filter(pk=figures.pk).update(commentary=f"late{control}again")
    Scheme.objects.filter(pk=figures.scheme_id).update(title=f"Scheme{control}title")
    client.force_login(finance)
    urls = [
        reverse("reporting:plan", args=[plan.pk]),
        reverse("reporting:exceptions", args=[PERIOD.year, PERIOD.quarter]),
        reverse("reporting:transformation", args=[PERIOD.year, PERIOD.quarter]),
        reverse("reporting:appendix", args=[PERIOD.year, PERIOD.quarter]),
    ]
    for url in urls:
        response = client.get(url, {"format": "xlsx"})
        assert response.status_code == 200, url
        workbook = load_workbook(io.BytesIO(response.content))
        texts = [cell for sheet in workbook for row in sheet.iter_rows(values_only=True) for cell in row]
        assert not any(isinstance(text, str) and control in text for text in texts)
    assert xml_safe(f"one{control}two") in {"one\ntwo", "onetwo"}


@pytest.mark.django_db
@pytest.mark.parametrize("separator", ["\u2029", "\u2028"])
def test_a_unicode_line_or_paragraph_separator_already_stored_does_not_break_the_pdf(stored, separator):
    """U+2029 (a paragraph separator, from a Word document or a paste) made WeasyPrint fail an
    assertion where a line wrapped beside it: the plan's PDF and the committee pack crashed."""
    plan, _figures = stored
    long_text = ("Recruitment of permanent social workers " * 6 + separator + " ") * 8
    DeficitRecoveryPlan.objects.filter(pk=plan.pk).update(context=long_text, actions=long_text)
    report = selectors.report_for("plan", {"plan_id": plan.pk})
    assert renderers.render_pdf(report).startswith(b"%PDF")
    pack = renderers.render_pack_pdf(title="Pack", period="Q2 2023/24", organisation="Council", reports=[report])
    assert pack.startswith(b"%PDF")
