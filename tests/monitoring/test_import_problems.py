"""A tracker with thousands of bad rows: the preview counts the problems by kind, lists the
first 200, and offers every one of them as CSV (formula-safe), never a page of 40,000 lines."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from monitoring.import_problems import SHOWN, kinds, problem_kind, problems_csv
from monitoring.tracker import Problem
from tests.monitoring.tracker_helpers import scheme, xlsx

pytestmark = pytest.mark.django_db

UPLOAD = reverse("monitoring:tracker_upload")


def bad_file() -> bytes:
    rows = [scheme(ref=str(n), title=f"Scheme {n}", target="+1+1" if n == 0 else "abc") for n in range(300)]
    rows += [scheme(ref=str(n), title=f"Scheme {n}", quarter="Q5") for n in range(300, 450)]
    return xlsx(rows)


def test_problems_of_one_kind_differ_only_in_row_and_value():
    first = Problem("'abc' is not an amount of money: write it like 1,234 or (2).", "S", 2, "Target", "abc")
    second = Problem("'12x' is not an amount of money: write it like 1,234 or (2).", "S", 9, "Target", "12x")
    other_column = Problem("'abc' is not an amount of money: write it like 1,234 or (2).", "S", 3, "YTD actual")
    assert problem_kind(first) == problem_kind(second)
    assert problem_kind(first) == "column Target: '…' is not an amount of money: write it like N or (N)."
    assert problem_kind(other_column) != problem_kind(first)
    assert [(k.kind, k.count) for k in kinds([first, other_column, second])] == [
        ("column Target: '…' is not an amount of money: write it like N or (N).", 2),
        ("column YTD actual: '…' is not an amount of money: write it like N or (N).", 1),
    ]


def test_the_csv_has_every_problem_and_no_formula():
    errors = [Problem("=HYPERLINK(x) is not an amount", "Schemes", 2, "Target", "=HYPERLINK(x)")]
    warnings = [Problem("a file-wide note", "Schemes")]
    lines = list(csv.reader(io.StringIO(problems_csv(errors=errors, warnings=warnings).decode("utf-8-sig"))))
    assert lines == [
        ["level", "sheet", "row", "column", "value", "message"],
        ["error", "Schemes", "2", "Target", "'=HYPERLINK(x)", "'=HYPERLINK(x) is not an amount"],
        ["warning", "Schemes", "", "", "", "a file-wide note"],
    ]


def test_a_file_of_hundreds_of_bad_rows_is_summarised(client, finance):
    client.force_login(finance)
    response = client.post(UPLOAD, {"file": SimpleUploadedFile("bad.xlsx", bad_file())})

    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    # An unreadable quarter is two errors a row (the quarter, and figures without a quarter).
    assert "600 errors: nothing can be imported" in page
    by_kind = re.findall(r"<tr><td>(column [^<]*)</td><td class=\"text-end\">(\d+)</td></tr>", page)
    assert by_kind == [
        ("column Target: '…' is not an amount of money: write it like N or (N).", "300"),
        ("column Quarter: '…' is not a quarter: use QN QN QN or QN", "150"),
        ("column Quarter: Figures and a RAG belong to a quarter: give the Quarter (QN to QN).", "150"),
    ]
    assert f"The first {SHOWN} of 600:" in page
    error_list = page[page.index(f"The first {SHOWN} of 600:") : page.index("</ul>", page.index("The first"))]
    assert error_list.count("<li>") == SHOWN

    link = reverse("monitoring:tracker_problems", args=[response.context["problems_token"]])
    assert link in page
    download = client.get(link)
    assert download.status_code == 200
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    lines = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert len(lines) == 1 + 600
    assert lines[1] == [
        "error",
        "Schemes",
        "2",
        "Target",
        "'+1+1",
        "'+1+1' is not an amount of money: write it like 1,234 or (2).",
    ]
    assert lines[-1][:4] == ["error", "Schemes", "451", "Quarter"]


def test_the_csv_is_only_for_the_session_that_previewed(client, finance, administrator, manager):
    client.force_login(finance)
    token = client.post(UPLOAD, {"file": SimpleUploadedFile("bad.xlsx", bad_file())}).context["problems_token"]
    link = reverse("monitoring:tracker_problems", args=[token])
    other = Client()
    other.force_login(administrator)
    assert other.get(link).status_code == 404
    other.force_login(manager)
    assert other.get(link).status_code == 403
    assert client.get(link).status_code == 200


def test_a_file_with_few_problems_lists_them_all_without_a_table(client, finance):
    client.force_login(finance)
    response = client.post(UPLOAD, {"file": SimpleUploadedFile("t.xlsx", xlsx([scheme(rag="PURPLE")]))})
    page = html.unescape(response.content.decode())
    assert "1 error: nothing can be imported" in page
    assert "Errors by kind" not in page
    assert "The first" not in page
    assert "Download every error and warning (CSV)" in page
