"""Finance's summary of a quarter: written on one page, kept as a private draft until published,
then above the headlines of Appendix 1, the Transformation update and the committee pack in
every format; versioned, with history, refused in a locked quarter."""

from __future__ import annotations

import io
import json

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from docx import Document
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from monitoring import commentary
from monitoring.models import QuarterCommentary
from monitoring.services import QuarterLocked, quarter_lock
from recovery.concurrency import ConcurrentEdit
from recovery.periods import FinancialYear, Period, Quarter
from recovery.reporting import renderers, selectors
from recovery.reporting.word import render_docx
from tests.factories import SchemeFactory, SchemeQuarterFactory

pytestmark = pytest.mark.django_db

PERIOD = Period(FinancialYear(2023), Quarter.Q2)
URL = reverse("monitoring:summary", args=[PERIOD.year, PERIOD.quarter])


@pytest.fixture
def scheme():
    return SchemeQuarterFactory(scheme=SchemeFactory(financial_year=FinancialYear(2023)), quarter=Quarter.Q2)


def post(client, report: str = "", text: str = "", *, version: int = 0, publish: bool = True):
    key = f"summary-{report or 'all'}-text"
    data = {"report": report, "version": str(version), key: text}
    data["publish" if publish else "draft"] = "1"
    return client.post(URL, data)


def shown_everywhere(kind: str) -> dict[str, str]:
    """The report of the quarter in each format, as text."""
    report = (
        selectors.appendix_report(period=PERIOD)
        if kind == "appendix"
        else selectors.transformation_report(period=PERIOD)
    )
    book = load_workbook(io.BytesIO(renderers.render_xlsx(report)), read_only=True)
    xlsx = " ".join(str(cell) for row in book["Summary"].iter_rows(values_only=True) for cell in row if cell)
    word = " ".join(p.text for p in Document(io.BytesIO(render_docx(report))).paragraphs)
    return {
        "html": renderers.render_html(report).decode(),
        "json": json.dumps(json.loads(renderers.render_json(report))["summary"]),
        "xlsx": xlsx,
        "docx": word,
    }


def test_a_draft_is_private_and_publishing_shows_it_in_every_format(client, finance, scheme):
    client.force_login(finance)
    assert post(client, text="Savings are on track.\n\nTwo schemes slipped.", publish=False).status_code == 302
    for kind in ("appendix", "transformation"):
        assert all("Savings are on track" not in text for text in shown_everywhere(kind).values())
    page = client.get(URL).content.decode()
    assert "This draft has changes the reports do not show yet." in page
    assert post(client, text="Savings are on track.\n\nTwo schemes slipped.", version=1).status_code == 302
    for kind in ("appendix", "transformation"):
        for fmt, text in shown_everywhere(kind).items():
            assert "Savings are on track." in text, fmt
            assert "Two schemes slipped." in text, fmt
    assert selectors.appendix_report(period=PERIOD).summary == ["Savings are on track.", "Two schemes slipped."]


def test_a_report_shows_the_summary_for_every_report_then_its_own(client, finance, scheme):
    client.force_login(finance)
    post(client, "", "For every report.")
    post(client, "appendix", "Only for Appendix 1.")
    assert selectors.appendix_report(period=PERIOD).summary == ["For every report.", "Only for Appendix 1."]
    assert selectors.transformation_report(period=PERIOD).summary == ["For every report."]
    other_quarter = Period(PERIOD.year, Quarter.Q3)
    assert selectors.appendix_report(period=other_quarter).summary == []


def test_a_draft_saved_over_a_published_summary_leaves_the_published_words(client, finance, scheme):
    client.force_login(finance)
    post(client, text="Published words.")
    post(client, text="Half-written new words", version=1, publish=False)
    assert selectors.transformation_report(period=PERIOD).summary == ["Published words."]
    record = QuarterCommentary.objects.get()
    assert record.text == "Half-written new words"
    assert record.history.count() == 2


def test_the_committee_pack_opens_with_the_summary(client, finance, scheme):
    from recovery.reporting.pack import pack_reports

    client.force_login(finance)
    post(client, text="The pack's opening words.")
    reports = pack_reports(PERIOD)
    assert [report.summary for report in reports[:2]] == [["The pack's opening words."]] * 2


def test_saving_unchanged_text_writes_no_new_version_or_history(finance, scheme):
    first = commentary.commentary_save(
        period=PERIOD, report="", text="Words", publish=True, user=finance, expected_version=0
    )
    again = commentary.commentary_save(
        period=PERIOD, report="", text="Words", publish=True, user=finance, expected_version=first.version
    )
    assert again.version == first.version == 1
    assert first.history.count() == 1


def test_two_finance_officers_writing_the_first_summary_at_once(client, finance, scheme):
    commentary.commentary_save(period=PERIOD, report="", text="First", publish=True, user=finance, expected_version=0)
    with pytest.raises(ConcurrentEdit):
        commentary.commentary_save(
            period=PERIOD, report="", text="Second", publish=True, user=finance, expected_version=0
        )
    client.force_login(finance)
    page = post(client, text="Second, typed in a form opened before the first save", version=0)
    assert page.status_code == 200
    body = page.content.decode()
    assert "saved this while you were editing it" in body
    assert "Second, typed in a form opened before the first save" in body
    assert QuarterCommentary.objects.get().published_text == "First"


def test_a_save_without_its_version_is_refused(client, finance, scheme):
    client.force_login(finance)
    done = client.post(URL, {"report": "", "summary-all-text": "Words", "publish": "1"})
    assert done.status_code == 400
    assert not QuarterCommentary.objects.exists()


def test_a_locked_quarter_keeps_its_summary(client, finance, scheme):
    client.force_login(finance)
    post(client, text="Before the lock.")
    quarter_lock(period=PERIOD, user=finance)
    with pytest.raises(QuarterLocked):
        commentary.commentary_save(
            period=PERIOD, report="", text="After", publish=True, user=finance, expected_version=1
        )
    page = client.get(URL).content.decode()
    assert "is locked: its summary can no longer be changed" in page
    assert "Before the lock." in page
    assert selectors.appendix_report(period=PERIOD).summary == ["Before the lock."]


@pytest.mark.parametrize("who", ["manager", "executive", "administrator"])
def test_only_finance_writes_the_summary(who, request, scheme):
    with pytest.raises(PermissionDenied):
        commentary.commentary_save(
            period=PERIOD,
            report="",
            text="Words",
            publish=True,
            user=request.getfixturevalue(who),
            expected_version=0,
        )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=300))
def test_any_text_published_renders_in_every_format(finance, scheme, text):
    record = QuarterCommentary.objects.filter(report="").first()
    commentary.commentary_save(
        period=PERIOD,
        report="",
        text=text,
        publish=True,
        user=finance,
        expected_version=record.version if record else 0,
    )
    shown_everywhere("appendix")  # no format fails on what was typed
    renderers.render_pdf(selectors.transformation_report(period=PERIOD))
