"""Report pages and downloads through HTTP: who may read what, in every format; the PDF cache;
filters; and the number of queries as schemes grow. PDF rendering is replaced by a counting
fake here (the real renderer has its own tests), so the matrix stays fast."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from monitoring.models import SchemeQuarter
from plans.models import DeficitRecoveryPlan, Directorate, ServiceArea
from recovery.reporting import renderers, selectors
from recovery.reporting import urls as reporting_urls
from recovery.reporting.jobs import report_pdf_submit
from tests.factories import SchemeFactory, SchemeQuarterFactory, ServiceAreaFactory
from tests.reporting.seeds import (
    APPENDIX_PERIOD,
    APPENDIX_SECTIONS,
    OVERALL_TOTAL,
    PORTFOLIOS,
    TRANSFORMATION_PERIOD,
    multiply_schemes,
)

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"
WHO = ["anonymous", "manager", "others", "finance", "executive", "administrator"]
FORMATS = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
}
FAKE_PDF = b"%PDF-1.7 fake"


def statuses(everyone: int = 200, **overrides: int) -> dict[str, int]:
    expected = dict.fromkeys(WHO, everyone)
    expected["anonymous"] = 302
    expected.update(overrides)
    return expected


# URL name -> (the formats it serves, the status each user gets). "manager" reads their own plan
# (FRB/23/007, loaded by load_demo); "others" is the same manager asking for another manager's plan.
MATRIX: dict[str, tuple[list[str], dict[str, int]]] = {
    "index": (["html"], statuses()),
    "dashboard_latest": (["html"], statuses(302, manager=403, others=403)),  # readers: to the latest quarter
    "dashboard_year": (["html"], statuses(302, manager=403, others=403)),  # readers: to the year's opening quarter
    "dashboard": (["html"], statuses(manager=403, others=403)),
    "appendix": (["html", *FORMATS], statuses(manager=403, others=403)),
    "transformation": (["html", *FORMATS], statuses(manager=403, others=403)),
    "exceptions": (["html", *FORMATS], statuses(manager=403, others=403)),
    "pack": (["pdf"], statuses(manager=403, others=403)),  # the committee pack is always a PDF
    "plan": (["html", *FORMATS], statuses(others=404)),
    # The progress page of a background PDF of the plan (the appendix's: see below).
    "pdf_status": (["html"], statuses(others=404)),
    # The all-schemes open-data CSV: a download, whatever ?format says.
    "schemes_csv": (["csv"], statuses(manager=403, others=403)),
}


@pytest.fixture
def pdf_calls(monkeypatch) -> list[str]:
    """Replace the PDF renderer with a fake that records the title of each report it renders."""
    calls: list[str] = []

    def fake(report):
        calls.append(report.title)
        return FAKE_PDF

    def fake_pack(*, title, **kwargs):
        calls.append(title)
        return FAKE_PDF

    monkeypatch.setattr(renderers, "render_pdf", fake)
    monkeypatch.setattr(renderers, "render_pack_pdf", fake_pack, raising=False)
    return calls


@pytest.fixture
def world(demo, manager, other_plan):
    """The demo data (whose FRB/23/007 plan ``manager`` manages) and another manager's plan."""
    own = DeficitRecoveryPlan.objects.get(tracker_ref="FRB/23/007")
    assert own.managers.filter(pk=manager.pk).exists()
    return {"plan": own, "other_plan": other_plan}


def queue_pdf(kind: str, params: dict):
    return report_pdf_submit(kind=kind, params=params, report=selectors.report_for(kind, params))


def url_for(name: str, plan: DeficitRecoveryPlan) -> str:
    pattern = next(p for p in reporting_urls.urlpatterns if p.name == name)
    values: dict[str, object] = {"pk": plan.pk}
    if name == "pdf_status":
        values["result_id"] = queue_pdf("plan", {"plan_id": plan.pk}).pk
    if name in ("appendix", "dashboard", "dashboard_year", "exceptions", "pack"):
        values |= {"year": APPENDIX_PERIOD.year, "quarter": APPENDIX_PERIOD.quarter}
    if name == "transformation":
        values |= {"year": TRANSFORMATION_PERIOD.year, "quarter": TRANSFORMATION_PERIOD.quarter}
    return reverse(f"reporting:{name}", kwargs={key: values[key] for key in pattern.pattern.converters})


def test_every_reporting_url_is_in_the_matrix():
    names = {pattern.name for pattern in reporting_urls.urlpatterns}
    assert names == set(MATRIX), "add the new URL to MATRIX with the status each user should get"


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("name", list(MATRIX))
def test_permission_matrix(client, world, pdf_calls, request, settings, name, who):
    settings.JOBS_RUN_IMMEDIATELY = False  # a queued PDF waits for the worker, so its status page can be read
    formats, expected = MATRIX[name]
    if who != "anonymous":
        client.force_login(request.getfixturevalue("manager" if who == "others" else who))
    plan = world["other_plan"] if who == "others" else world["plan"]
    url = url_for(name, plan)
    for output in formats:
        response = client.get(url, {} if output == "html" else {"format": output})
        assert response.status_code == expected[who], f"{who} {name} {output}"
        if who == "anonymous":
            assert response["Location"].startswith(f"{LOGIN_URL}?next=")
        elif response.status_code == 302:
            assert not response["Location"].startswith(LOGIN_URL)
        if response.status_code != 200:
            continue
        if output == "html":
            assert response["Content-Type"].startswith("text/html")
            assert "Content-Disposition" not in response
            continue
        assert response["Content-Type"] == FORMATS[output], f"{who} {name} {output}"
        disposition = response["Content-Disposition"]
        assert re.fullmatch(rf'attachment; filename="[a-z0-9-]+\.{output}"', disposition), disposition
        body = response.content
        if output == "pdf":
            assert body.startswith(b"%PDF")
        elif output == "xlsx":
            assert body.startswith(b"PK")
        elif output == "csv":
            header = body.decode("utf-8-sig").splitlines()[0]
            assert header.startswith(("section,row_type,", "financial_year,quarter,")), header
        else:
            assert json.loads(body)["kind"] == name


@pytest.mark.parametrize(("who", "expected"), [("manager", 404), ("finance", 200), ("executive", 200)])
def test_status_page_of_a_summary_pdf_only_for_readers(client, world, settings, request, who, expected):
    settings.JOBS_RUN_IMMEDIATELY = False
    result = queue_pdf("appendix", {"year": "2022/23", "quarter": "Q3"})
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("reporting:pdf_status", args=[result.pk]))
    assert response.status_code == expected
    if expected == 200:
        assert "Preparing your PDF" in response.content.decode()


def test_large_pdf_with_tasks_run_immediately_is_served(client, world, finance, settings, pdf_calls):
    """DJANGO_JOBS_IMMEDIATE=1 (settings: "runs them in the request instead"), as the test
    settings do: a report above REPORT_PDF_BACKGROUND_ROWS is then rendered at once and the user
    must get the PDF."""
    settings.REPORT_PDF_BACKGROUND_ROWS = 1
    client.force_login(finance)
    response = client.get(url_for("transformation", world["plan"]), {"format": "pdf"}, follow=True)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content == FAKE_PDF
    assert len(pdf_calls) == 1


def test_index_lists_summaries_only_for_readers(client, world, manager, finance):
    client.force_login(manager)
    page = client.get(reverse("reporting:index")).content.decode()
    assert reverse("reporting:appendix", args=["2022-23", "Q3"]) not in page
    assert reverse("reporting:plan", args=[world["plan"].pk]) in page
    assert reverse("reporting:plan", args=[world["other_plan"].pk]) not in page
    client.force_login(finance)
    page = client.get(reverse("reporting:index")).content.decode()
    assert reverse("reporting:appendix", args=[APPENDIX_PERIOD.year, APPENDIX_PERIOD.quarter]) in page
    assert reverse("reporting:transformation", args=[TRANSFORMATION_PERIOD.year, TRANSFORMATION_PERIOD.quarter]) in page


def test_post_is_refused(client, world, finance):
    client.force_login(finance)
    assert client.post(url_for("appendix", world["plan"])).status_code == 405


def test_appendix_page_shows_the_seed_figures(client, world, finance):
    client.force_login(finance)
    page = client.get(url_for("appendix", world["plan"])).content.decode()
    for text in ("25,201", "15,925", "24,073", "1,128", "10,888", "-529", "63%", "96%"):
        assert text in page, text
    assert "£661k remains to be mitigated." in page
    assert "4,312" in page  # the note on the stated total that disagrees


def test_transformation_page_shows_the_seed_figures(client, world, executive):
    client.force_login(executive)
    page = client.get(url_for("transformation", world["plan"])).content.decode()
    for text in ("7,956,000", "1,849,232", "2,699,636", "£7.956m", "31.7%", "Full year budget"):
        assert text in page, text


def test_scheme_text_is_escaped_in_the_page(client, world, finance):
    area = ServiceArea.objects.get(name="Living and Ageing Well")
    SchemeQuarterFactory(
        scheme=SchemeFactory(
            service_area=area,
            financial_year=APPENDIX_PERIOD.year,
            title='<script>alert("x")</script>',
            timeline='<img src="file:///etc/passwd">',
        ),
        quarter=APPENDIX_PERIOD.quarter,
    )
    client.force_login(finance)
    page = client.get(url_for("appendix", world["plan"])).content.decode()
    assert '<script>alert("x")</script>' not in page
    assert '<img src="file:///etc/passwd">' not in page
    assert "&lt;script&gt;" in page


# The PDF cache ----------------------------------------------------------------------------------------


def test_pdf_of_unchanged_data_is_served_from_the_cache(client, world, finance, pdf_calls):
    client.force_login(finance)
    url = url_for("appendix", world["plan"])
    first = client.get(url, {"format": "pdf"})
    second = client.get(url, {"format": "pdf"})
    assert first.status_code == second.status_code == 200
    assert first.content == second.content == FAKE_PDF
    assert len(pdf_calls) == 1

    figures = SchemeQuarter.objects.get(
        scheme__title="Reduced Agency Spend", scheme__financial_year=APPENDIX_PERIOD.year
    )
    figures.forecast_year_end = Decimal("100000.00")
    figures.save()
    assert client.get(url, {"format": "pdf"}).status_code == 200
    assert len(pdf_calls) == 2
    client.get(url, {"format": "pdf"})
    assert len(pdf_calls) == 2


def test_pdf_cache_is_per_report(client, world, finance, pdf_calls):
    client.force_login(finance)
    client.get(url_for("appendix", world["plan"]), {"format": "pdf"})
    client.get(url_for("transformation", world["plan"]), {"format": "pdf"})
    client.get(url_for("plan", world["plan"]), {"format": "pdf"})
    area = ServiceArea.objects.get(name="Living and Ageing Well")
    client.get(url_for("appendix", world["plan"]), {"format": "pdf", "service_area": area.pk})
    assert len(pdf_calls) == 4


# Filters --------------------------------------------------------------------------------------------


def appendix_json(client, plan, **query) -> dict:
    response = client.get(url_for("appendix", plan), {"format": "json", **query})
    assert response.status_code == 200
    return json.loads(response.content)


@pytest.fixture
def elsewhere():
    """A 2022/23 scheme with Q3 figures in another directorate (£50,000 target)."""
    area = ServiceAreaFactory(name="Elsewhere", portfolio__name="Other portfolio", portfolio__directorate__name="Other")
    SchemeQuarterFactory(
        scheme=SchemeFactory(service_area=area, financial_year=APPENDIX_PERIOD.year, target=Decimal(50000)),
        quarter=APPENDIX_PERIOD.quarter,
        forecast_year_end=Decimal(50000),
        forecast_next_year=Decimal(50000),
    )
    return area


def test_directorate_filter_narrows_the_appendix(client, world, finance, elsewhere):
    client.force_login(finance)
    everything = appendix_json(client, world["plan"])
    overall = next(s for s in everything["sections"] if s["key"] == "overall")
    assert Decimal(overall["total"]["values"]["target"]) == Decimal(OVERALL_TOTAL[0]) + 50000

    directorate = Directorate.objects.get(name="Adult Social Care")
    data = appendix_json(client, world["plan"], directorate=directorate.pk)
    assert [s["title"] for s in data["sections"]] == [
        f"{n}. {name}" for n, name in enumerate(APPENDIX_SECTIONS, start=1)
    ] + ["7. Overall Total"]
    overall = next(s for s in data["sections"] if s["key"] == "overall")
    assert [row["values"]["portfolio"] for row in overall["rows"]] == PORTFOLIOS
    assert Decimal(overall["total"]["values"]["target"]) == Decimal(OVERALL_TOTAL[0])
    assert data["filters"] == {"Directorate": "Adult Social Care"}
    # Stated totals are for the whole document; a filtered report does not compare with them.
    assert not [note for note in data["notes"] if "4,312" in note]


def test_service_area_filter_narrows_the_appendix(client, world, finance, elsewhere):
    client.force_login(finance)
    area = ServiceArea.objects.get(name="Living and Ageing Well")
    data = appendix_json(client, world["plan"], service_area=area.pk)
    assert [s["title"] for s in data["sections"]] == ["1. Living and Ageing Well", "2. Overall Total"]
    overall = data["sections"][-1]
    assert [row["values"]["portfolio"] for row in overall["rows"]] == ["Living and Ageing Well"]
    assert Decimal(overall["total"]["values"]["target"]) == Decimal("10888000")
    assert Decimal(overall["total"]["values"]["mitigations"]) == Decimal("661000")


def test_directorate_filter_narrows_the_transformation_report(client, world, finance):
    client.force_login(finance)
    url = url_for("transformation", world["plan"])
    other = Directorate.objects.get(name="Adult Social Care")
    data = json.loads(client.get(url, {"format": "json", "directorate": other.pk}).content)
    assert [s["key"] for s in data["sections"]] == ["total"]
    assert Decimal(data["sections"][0]["total"]["values"]["target"]) == 0
    own = Directorate.objects.get(name="Adult Social Services")
    data = json.loads(client.get(url, {"format": "json", "directorate": own.pk}).content)
    assert Decimal(data["sections"][-1]["total"]["values"]["target"]) == Decimal("7956000")


def test_filtered_html_page_keeps_the_filter_in_the_download_links(client, world, finance):
    client.force_login(finance)
    area = ServiceArea.objects.get(name="Living and Ageing Well")
    page = client.get(url_for("appendix", world["plan"]), {"service_area": area.pk}).content.decode()
    assert f"?service_area={area.pk}&amp;format=pdf" in page
    assert "Adults with a Disability" not in page.split('class="report-body"', 1)[1]


# Query counts -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "period"), [("appendix", APPENDIX_PERIOD), ("transformation", TRANSFORMATION_PERIOD)])
def test_page_query_count_does_not_grow_with_the_schemes(client, world, finance, name, period):
    client.force_login(finance)
    url = url_for(name, world["plan"])
    client.get(url)  # the session and the user, once
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    rows = client.get(url).context["page"].rows
    multiply_schemes(period, 10)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url, {"page": 2})
    assert response.status_code == 200
    response_rows = response.context["page"].rows
    assert response_rows > rows  # the copies are in the report (and its pages)
    assert len(many) == len(few), [query["sql"] for query in many.captured_queries]
