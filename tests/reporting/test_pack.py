"""The committee pack: Appendix 1, the Transformation update and the exception report as one PDF
with a contents page. One real render (WeasyPrint), read back with pdftotext."""

from __future__ import annotations

import re
import subprocess

import pytest
from django.contrib.auth import get_user_model

from recovery.reporting import renderers

pytestmark = pytest.mark.django_db

PACK = "/reports/pack/2012-13/Q2/"
PDFTOTEXT = "/usr/bin/pdftotext"


def user(username: str):
    return get_user_model().objects.get(username=username)


def pdf_text(pdf: bytes) -> str:
    done = subprocess.run(  # noqa: S603 - a fixed program, the PDF on stdin
        [PDFTOTEXT, "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return done.stdout.decode("utf-8")


@pytest.fixture
def renders(monkeypatch) -> list[str]:
    """Count the pack renders, still rendering for real."""
    calls: list[str] = []
    real = renderers.render_pack_pdf

    def counting(**kwargs):
        calls.append(kwargs["title"])
        return real(**kwargs)

    monkeypatch.setattr(renderers, "render_pack_pdf", counting)
    return calls


def test_pack_is_one_pdf_with_a_contents_page(client, demo, renders):
    client.force_login(user("executive"))

    response = client.get(PACK)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="committee-pack-2012-q2.pdf"'
    assert response.content.startswith(b"%PDF-")
    text = pdf_text(response.content)
    for expected in (
        "Contents",
        "Appendix 1",
        "Transformation Plan Update Report to End of Quarter 2",
        "Exception report",
        "7,956,000",  # seed 004's TOTAL target
        "RED and AMBER schemes",
    ):
        assert expected in text, expected
    # The contents page gives each report's page, in order, after the cover.
    pages = [
        int(re.search(rf"\d\. {re.escape(title)}[^\n]*?\.+ page (\d+)", text).group(1))
        for title in ("Appendix 1", "Transformation Plan Update Report to End of Quarter 2", "Exception report")
    ]
    assert 2 <= pages[0] < pages[1] < pages[2]
    sheets = text.split("\f")
    assert "Contents" in sheets[0]
    # Each page number in the contents is the page that report starts on.
    for title, page in zip(("Appendix 1", "Transformation Plan Update", "Exception report"), pages, strict=True):
        assert title in sheets[page - 1], (title, page)
        assert f"Page {page} of " in sheets[page - 1]

    # Asked again with the data unchanged, the pack comes from the cache, not a second render.
    again = client.get(PACK)
    assert again.status_code == 200
    assert again.content == response.content
    assert renders == ["Committee pack: savings and recovery plans, Q2 2012/13"]


@pytest.mark.parametrize("username", ["manager"])
def test_manager_may_not_download_the_pack(client, demo, renders, username):
    client.force_login(user(username))

    assert client.get(PACK).status_code == 403
    assert renders == []


def test_anonymous_is_sent_to_log_in(client, demo, renders):
    response = client.get(PACK)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert renders == []


def test_pack_html_gives_every_element_id_once(client, demo, monkeypatch):
    """The three reports share one HTML document: an id used by each (the Notes heading that
    aria-labelledby points at) must not repeat, or WeasyPrint warns "Anchor defined twice" and
    the later sections are labelled by the first report's heading. Checked on the HTML handed to
    WeasyPrint, without rendering it."""
    import weasyprint

    documents: list[str] = []

    class FakeHTML:
        def __init__(self, *, string: str, **kwargs: object) -> None:
            documents.append(string)

        def write_pdf(self, **options: object) -> bytes:
            return b"%PDF-1.7 fake"

    monkeypatch.setattr(weasyprint, "HTML", FakeHTML)
    client.force_login(user("finance"))

    assert client.get(PACK).status_code == 200

    (html,) = documents
    ids = re.findall(r'\sid="([^"]+)"', html)
    repeated = sorted({value for value in ids if ids.count(value) > 1})
    assert repeated == []
    # Every contents link and every aria-labelledby points at an id that exists.
    for target in re.findall(r'href="#([^"]+)"', html) + re.findall(r'aria-labelledby="([^"]+)"', html):
        assert target in ids, target
