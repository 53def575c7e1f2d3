"""Importing a tracker in the browser: finance uploads, sees the preview, confirms; refusals,
unreadable files (a 400 page with the message, never a 500) and the template download."""

from __future__ import annotations

import html
import re

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from monitoring import services
from monitoring import tracker as tracker_module
from monitoring.imports import tracker_import
from monitoring.models import Scheme, SchemeQuarter
from monitoring.tracker import LABELS, read_tracker
from recovery.periods import FinancialYear, Period, Quarter
from tests.monitoring.tracker_helpers import (
    TRACKER_002,
    TRACKER_004,
    broken_sheet,
    scheme,
    state,
    xlsx,
    zip_bomb,
)

pytestmark = pytest.mark.django_db

UPLOAD = reverse("monitoring:tracker_upload")
TEMPLATE = reverse("monitoring:tracker_template")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def confirm_url(token: str) -> str:
    return reverse("monitoring:tracker_confirm", args=[token])


def form_of(preview) -> dict[str, object]:
    """What the preview's form sends as it is shown: its fingerprint and every scheme ticked."""
    summary = preview.context["summary"]
    return {"fingerprint": summary.fingerprint, "scheme": [change.key for change in summary.changes]}


def upload(client, data: bytes, name: str = "tracker.xlsx"):
    return client.post(UPLOAD, {"file": SimpleUploadedFile(name, data, content_type=XLSX)})


def text(response) -> str:
    return html.unescape(response.content.decode())


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def stored_uploads() -> list[str]:
    if not default_storage.exists("tracker-uploads"):
        return []
    return default_storage.listdir("tracker-uploads")[1]


@pytest.fixture
def as_finance(client, finance):
    client.force_login(finance)
    return client


# Upload, preview, confirm


def test_upload_page(as_finance):
    response = as_finance.get(UPLOAD)
    assert response.status_code == 200
    assert TEMPLATE in response.content.decode()


def test_finance_uploads_sees_the_preview_and_confirms(as_finance, finance):
    before = state()
    response = upload(as_finance, TRACKER_004.read_bytes(), "tracker_004.xlsx")

    assert response.status_code == 200
    summary = response.context["summary"]
    assert (summary.new, summary.updated, summary.unchanged) == (35, 0, 0)
    content = text(response)
    assert re.search(r"New schemes</th><td[^>]*>35<", content)
    assert re.search(r"Updated schemes</th><td[^>]*>0<", content)
    assert re.search(r"Unchanged schemes</th><td[^>]*>0<", content)
    assert "Adult Social Care Transformation (Adult Social Services)" in content
    assert "tracker_004.xlsx" in content
    token = response.context["token"]
    assert confirm_url(token) in content
    assert state() == before, "the preview imported something"

    confirmed = as_finance.post(confirm_url(token), form_of(response))

    assert confirmed.status_code == 302
    assert confirmed["Location"] == reverse("monitoring:quarters")
    page = as_finance.get(confirmed["Location"])
    assert "Imported: 35 new, 0 updated and 0 unchanged schemes." in messages_of(page)
    assert Scheme.objects.count() == 35
    assert SchemeQuarter.objects.count() == 35
    assert {record.history_user for record in Scheme.history.all()} == {finance}
    assert stored_uploads() == []


def test_preview_lists_every_warning(as_finance):
    response = upload(as_finance, TRACKER_002.read_bytes())
    assert response.status_code == 200
    content = text(response)
    assert "1 warning" in content
    assert "row 23, column Forecast (£000s): stated 4,312; rows 11–22 add up to 4,338." in content
    assert "4,338" in content
    assert response.context["token"]


def test_preview_of_an_edited_file_counts_updates(as_finance, administrator):
    tracker_import(source=TRACKER_004.read_bytes(), user=administrator)
    response = upload(as_finance, TRACKER_004.read_bytes())
    summary = response.context["summary"]
    assert (summary.new, summary.updated, summary.unchanged) == (0, 0, 35)


def test_preview_with_errors_lists_them_and_cannot_be_confirmed(as_finance):
    data = xlsx([scheme(), scheme(ref="2", rag="PURPLE"), scheme(ref="3", quarter="Q5")])
    response = upload(as_finance, data)

    assert response.status_code == 400
    content = text(response)
    assert re.search(r"\d+ errors: nothing can be imported", content)
    assert "row 3, column RAG:" in content
    assert "(value: “PURPLE”)" in content
    assert "row 4, column Quarter:" in content
    assert "(value: “Q5”)" in content
    assert response.context["token"] == ""
    assert "/confirm/" not in content
    assert [name for name in stored_uploads() if name.endswith(".xlsx")] == []  # only the list of problems
    assert Scheme.objects.count() == 0


def test_a_token_is_confirmed_once(as_finance):
    preview = upload(as_finance, TRACKER_004.read_bytes())
    token = preview.context["token"]
    assert as_finance.post(confirm_url(token), form_of(preview)).status_code == 302
    before = state()
    again = as_finance.post(confirm_url(token), form_of(preview), follow=True)
    assert again.redirect_chain == [(UPLOAD, 302)]
    assert "That upload is not waiting to be imported: upload the file again." in messages_of(again)
    assert state() == before


def test_confirm_with_another_sessions_token_imports_nothing(client, finance, administrator):
    client.force_login(finance)
    preview = upload(client, TRACKER_004.read_bytes())
    token = preview.context["token"]

    other = Client()
    other.force_login(administrator)
    response = other.post(confirm_url(token), form_of(preview), follow=True)

    assert response.redirect_chain == [(UPLOAD, 302)]
    assert "That upload is not waiting to be imported: upload the file again." in messages_of(response)
    assert Scheme.objects.count() == 0
    assert client.post(confirm_url(token), form_of(preview)).status_code == 302
    assert Scheme.objects.count() == 35


@pytest.mark.parametrize("token", ["0" * 32, "not-a-token", "A" * 32])
def test_confirm_with_an_unknown_token(as_finance, token):
    response = as_finance.post(confirm_url(token), follow=True)
    assert response.redirect_chain == [(UPLOAD, 302)]
    assert "That upload is not waiting to be imported: upload the file again." in messages_of(response)
    assert Scheme.objects.count() == 0


def test_confirm_after_the_quarter_was_locked_imports_nothing(as_finance, finance):
    preview = upload(as_finance, TRACKER_004.read_bytes())
    services.quarter_lock(period=Period(FinancialYear(2012), Quarter.Q2), user=finance)

    response = as_finance.post(confirm_url(preview.context["token"]), form_of(preview))

    assert response.status_code == 400
    assert "Q2 2012/13 is locked" in text(response)
    assert Scheme.objects.count() == 0


def test_confirm_is_post_only(as_finance):
    token = upload(as_finance, TRACKER_004.read_bytes()).context["token"]
    assert as_finance.get(confirm_url(token)).status_code == 405
    assert Scheme.objects.count() == 0


# Who may import


@pytest.mark.parametrize("who", ["manager", "executive"])
def test_others_cannot_upload_confirm_or_download_the_template(client, who, request, finance):
    finance_client = Client()
    finance_client.force_login(finance)
    preview = upload(finance_client, TRACKER_004.read_bytes())
    client.force_login(request.getfixturevalue(who))

    assert client.get(UPLOAD).status_code == 403
    assert upload(client, TRACKER_004.read_bytes()).status_code == 403
    assert client.post(confirm_url(preview.context["token"]), form_of(preview)).status_code == 403
    assert client.get(TEMPLATE).status_code == 403
    assert Scheme.objects.count() == 0
    assert len(stored_uploads()) == 1  # finance's, nothing of theirs


def test_anonymous_is_sent_to_sign_in(client):
    for response in (
        client.get(UPLOAD),
        upload(client, b"x"),
        client.get(TEMPLATE),
        client.post(confirm_url("0" * 32)),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


def test_an_administrator_may_import(client, administrator):
    client.force_login(administrator)
    preview = upload(client, TRACKER_004.read_bytes())
    assert client.post(confirm_url(preview.context["token"]), form_of(preview)).status_code == 302
    assert Scheme.objects.count() == 35


# Files that cannot be read: a 400 page with the message


BAD_FILES = {
    "plain text": (lambda: b"Financial year,Title,Target\n2023/24,Scheme,100\n", "not an Excel workbook"),
    "password": (lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4096, "password-protected"),
    "no header": (lambda: xlsx([["Scheme", 100]] * 25, header=None), "has no header row"),
    "zip bomb": (lambda: zip_bomb(101), "too large once uncompressed"),
    "broken sheet": (broken_sheet, "cannot be read"),
}


@pytest.mark.parametrize("kind", BAD_FILES)
def test_an_unreadable_file_gets_a_400_page_with_the_message(as_finance, kind):
    make, words = BAD_FILES[kind]
    response = upload(as_finance, make())
    assert response.status_code == 400
    assert words in text(response)
    assert stored_uploads() == []
    assert Scheme.objects.count() == 0


def test_over_the_byte_limit(as_finance, monkeypatch):
    data = TRACKER_004.read_bytes()
    monkeypatch.setattr(tracker_module, "MAX_BYTES", len(data) - 1)
    response = upload(as_finance, data)
    assert response.status_code == 400
    assert "larger than" in text(response)


def test_too_many_rows(as_finance, monkeypatch):
    monkeypatch.setattr(tracker_module, "MAX_ROWS", 5)
    response = upload(as_finance, TRACKER_004.read_bytes())
    assert response.status_code == 400
    assert "more than 5 rows" in text(response)


def test_no_file(as_finance):
    # A browser's form always sends the CSRF token with it, so the form is bound.
    response = as_finance.post(UPLOAD, {"csrfmiddlewaretoken": "x"})
    assert response.status_code == 400
    assert "This field is required." in text(response)
    assert Scheme.objects.count() == 0


# The template


def test_template_download_reads_back_as_a_tracker(as_finance):
    response = as_finance.get(TEMPLATE)

    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert "attachment" in response["Content-Disposition"]
    assert ".xlsx" in response["Content-Disposition"]
    result = read_tracker(response.content)
    assert result.sheet == "Schemes"
    assert result.errors == []
    assert result.warnings == []
    assert len(result.rows) == 1
    example = result.rows[0]
    assert example.title == "Example scheme (delete this row)"
    assert str(example.target) == "150000.00"
    assert example.present == frozenset(LABELS)


def test_template_imports(as_finance):
    data = as_finance.get(TEMPLATE).content
    preview = upload(as_finance, data)
    assert as_finance.post(confirm_url(preview.context["token"]), form_of(preview)).status_code == 302
    assert Scheme.objects.get().title == "Example scheme (delete this row)"
